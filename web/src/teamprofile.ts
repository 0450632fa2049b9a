// The neighbourhood profile of the selected team, from GET /api/teams/{set}/neighbourhoods (what
// `pcnmap neighbourhoods assess` prints): its residents against the size band, the local authorities
// and wards they live in, the urban share, the deprivation deciles (the IMD's and its income and
// employment domains' when the release has them) and the rural-urban classes. It is
// loaded on first use, so it costs the first paint nothing.

import { get } from './api';
import { core20Class, decilesTestId, deprivationProfiles, type Deprivation } from './deprivation';
import { h } from './dom';
import { fmtInt, fmtShare } from './format';
import { fig } from './selection';

export interface UnitShare {
  code: string;
  name: string;
  share: number;
}

export interface Profile {
  name: string;
  registered: number;
  in_band: boolean;
  las: UnitShare[];
  wards?: UnitShare[];
  /** -1 when the release has no rural-urban context. */
  urban: number;
  deprivation?: Deprivation;
  /** The IMD's income and employment domains, in the same form; absent when the release lacks them. */
  income?: Deprivation;
  employment?: Deprivation;
  rural_urban?: UnitShare[];
}

export interface Assessment {
  set: string;
  threshold: number;
  band: { min: number; max: number };
  neighbourhoods: Profile[];
  missing?: string[];
}

export const fetchAssessment = (set: string, threshold: string, signal?: AbortSignal) =>
  get<Assessment>(`api/teams/${encodeURIComponent(set)}/neighbourhoods?threshold=${encodeURIComponent(threshold)}`, signal);

/** "30k–50k" for the band of 30,000 to 50,000 residents. */
export const bandText = (b: { min: number; max: number }): string => {
  const k = (v: number) => (v % 1000 === 0 ? `${v / 1000}k` : fmtInt(v));
  return b.min > 0 ? `${k(b.min)}–${k(b.max)}` : `up to ${k(b.max)}`;
};

/** The first n units as "Name 48%, Name 39%", and how many more. */
export const unitList = (us: UnitShare[], n: number): string => {
  const shown = us.slice(0, n).map((u) => `${u.name} ${fmtShare(u.share)}`);
  if (us.length > n) shown.push(`${us.length - n} more`);
  return shown.join(', ') || 'none';
};

/** The profile of the neighbourhood named team in a, or null when a has none of that name. */
export function renderProfile(a: Assessment, team: string): HTMLElement | null {
  const n = a.neighbourhoods.find((x) => x.name === team);
  if (!n) return null;
  const deps = deprivationProfiles(n);
  const band = bandText(a.band);
  return h(
    'div',
    { class: 'team-profile', 'data-team': team },
    h('h4', { id: 'team-profile-title' }, 'Neighbourhood profile'),
    h(
      'dl',
      { class: 'figs' },
      fig(
        `Size band ${band}`,
        h('span', { class: 'profile-band', 'data-in-band': String(n.in_band) }, n.in_band ? 'within' : n.registered < a.band.min ? 'below' : 'above'),
        'Registered residents against the neighbourhood size band (the 10 Year Plan’s 30–50k by default).',
      ),
      n.urban >= 0 ? fig('Urban', h('span', { class: 'profile-urban', 'data-value': n.urban }, fmtShare(n.urban)), 'Share of its residents in LSOAs the rural-urban classification calls urban.') : null,
      deps.map((d) => fig(d.label, h('span', { class: core20Class(d.key), 'data-value': d.profile.core20 }, fmtShare(d.profile.core20)), d.help)),
      fig('Local authorities', h('span', { class: 'profile-las' }, unitList(n.las, 3)), undefined, true),
      n.wards ? fig('Wards', h('span', { class: 'profile-wards' }, unitList(n.wards, 5)), undefined, true) : null,
      n.rural_urban ? fig('Rural-urban classes', h('span', { class: 'profile-ruc' }, unitList(n.rural_urban, 3)), undefined, true) : null,
    ),
    deps.map((d) => decileBars(d.profile.deciles, d.caption, decilesTestId(d.key))),
    a.missing?.length ? h('p', { class: 'muted small' }, 'Not given: ', a.missing.map((m) => m.split(':')[0]).join(', '), ' (the release lacks the context file).') : null,
  );
}

/** Residents by decile (the IMD's or a domain's) as a row of ten labelled bars, 1 the most deprived. */
function decileBars(deciles: number[], caption: string, testid: string): HTMLElement {
  const max = Math.max(0.0001, ...deciles);
  return h(
    'figure',
    { class: 'deciles' },
    h('figcaption', { class: 'small' }, caption),
    h(
      'ol',
      { class: 'decile-bars', 'data-testid': testid },
      deciles.map((s, i) =>
        h(
          'li',
          { title: `Decile ${i + 1}: ${fmtShare(s)}`, 'data-share': s },
          h('span', { class: 'decile-bar', style: `height: ${Math.round((s / max) * 100)}%` }),
          h('span', { class: 'decile-label' }, String(i + 1)),
        ),
      ),
    ),
  );
}
