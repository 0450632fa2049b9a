// The page's state and its round trip through the URL fragment, so a view can be shared:
// #map=ZOOM/LAT/LON&t=1&m=pcns&b=icb&area=E02001259 (or &pcn=U12345), and with a footprint set
// chosen &teams=Trafford%20localities&team=North, with its what-if moves &moves=E02001259:North:Central
// (encoded as moveurl.ts says).

import { rawMoves } from './moveurl';

export type Metric = 'pcns' | 'dominant_share' | 'effective_pcns' | 'registered';
export const METRICS: Metric[] = ['pcns', 'dominant_share', 'effective_pcns', 'registered'];

export type PCNShade = 'list_share' | 'share';

export interface View {
  zoom: number;
  lat: number;
  lon: number;
}

export interface State {
  view?: View;
  /** Threshold in percent (1 means 1%). */
  threshold: number;
  metric: Metric;
  /** Context kind whose outlines are drawn and summarised ("icb", "la", …); "" for none. */
  bounds?: string;
  area?: string;
  pcn?: string;
  shade: PCNShade;
  /** The footprint set drawn over the areas (a set name), and its selected team. */
  teams?: string;
  team?: string;
  /** The set's what-if moves as the URL writes them (moveurl.ts), checked when the set is loaded. */
  moves?: string;
  /** Its practice moves, PRACTICE:FROM_PCN:TO_PCN comma-separated (codes only: nothing to encode). */
  pmoves?: string;
}

export const DEFAULT_THRESHOLD = 1;

export const defaults = (): State => ({ threshold: DEFAULT_THRESHOLD, metric: 'pcns', shade: 'list_share' });

const CODE = /^[A-Za-z0-9_-]{1,32}$/;
/** Set and team names are free text: anything printable, up to 200 characters. */
const NAME = /^[^\u0000-\u001f\u007f]{1,200}$/;

/** Parses a threshold written as a percentage ("1", "0.5", "2%"); undefined when invalid. */
export function parsePercent(s: string): number | undefined {
  const t = s.trim().replace(/%$/, '').trim();
  if (!/^\d*\.?\d+$|^\d+\.$/.test(t)) return undefined;
  const v = Number(t);
  if (!Number.isFinite(v) || v < 0 || v > 100) return undefined;
  return Math.round(v * 1000) / 1000;
}

/** Formats a threshold in percent for display: 0.5 → "0.5%". */
export const formatPercent = (t: number): string => `${+t.toFixed(3)}%`;

/** The threshold as the API and tile URLs take it ("1%"). */
export const apiThreshold = (t: number): string => `${+t.toFixed(3)}%`;

export function readHash(hash: string): State {
  const s = defaults();
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const m = (q.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite) && m[0] >= 0 && m[0] <= 22 && Math.abs(m[1]) <= 85 && Math.abs(m[2]) <= 180) {
    s.view = { zoom: m[0], lat: m[1], lon: m[2] };
  }
  const t = parsePercent(q.get('t') || '');
  if (t !== undefined) s.threshold = t;
  const metric = q.get('m') as Metric;
  if (METRICS.includes(metric)) s.metric = metric;
  const b = q.get('b');
  if (b !== null && (b === '' || CODE.test(b))) s.bounds = b;
  const area = q.get('area');
  const pcn = q.get('pcn');
  if (pcn && CODE.test(pcn)) s.pcn = pcn;
  else if (area && CODE.test(area)) s.area = area;
  if (q.get('shade') === 'share') s.shade = 'share';
  const teams = q.get('teams');
  if (teams && NAME.test(teams)) {
    s.teams = teams;
    const team = q.get('team');
    if (team && NAME.test(team)) s.team = team;
    const moves = rawMoves(hash);
    if (moves && moves.length <= 64000) s.moves = moves;
    const pm = q.get('pmoves');
    if (pm && /^[\w:,]{1,20000}$/.test(pm)) s.pmoves = pm;
  }
  return s;
}

export function writeHash(s: State): string {
  const parts: string[] = [];
  if (s.view) parts.push(`map=${s.view.zoom.toFixed(2)}/${s.view.lat.toFixed(4)}/${s.view.lon.toFixed(4)}`);
  parts.push(`t=${+s.threshold.toFixed(3)}`);
  parts.push(`m=${s.metric}`);
  if (s.bounds !== undefined) parts.push(`b=${encodeURIComponent(s.bounds)}`);
  if (s.pcn) parts.push(`pcn=${encodeURIComponent(s.pcn)}`);
  else if (s.area) parts.push(`area=${encodeURIComponent(s.area)}`);
  if (s.pcn && s.shade !== 'list_share') parts.push(`shade=${s.shade}`);
  if (s.teams) {
    parts.push(`teams=${encodeURIComponent(s.teams)}`);
    if (s.team) parts.push(`team=${encodeURIComponent(s.team)}`);
    if (s.moves) parts.push(`moves=${s.moves}`); // already encoded
    if (s.pmoves) parts.push(`pmoves=${s.pmoves}`);
  }
  return '#' + parts.join('&');
}
