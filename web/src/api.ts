// The JSON API of `pcnmap serve` (documented at /api/openapi.json), as the page uses it.

export interface Unit {
  code: string;
  name?: string;
}

export interface PCNRef {
  code: string;
  name: string;
}

export interface AreaPCN extends PCNRef {
  patients: number;
  share: number;
  serves: boolean;
}

export type BBox = [number, number, number, number];

export interface Area {
  code: string;
  name: string;
  threshold: number;
  registered: number;
  in_pcn: number;
  pcns: number;
  pcns_any: number;
  dominant_pcn: PCNRef | null;
  dominant_share: number;
  hhi: number;
  effective_pcns: number;
  entropy: number;
  urban: boolean | null;
  /** False when the area's residents are only partly counted (see complete.ts). */
  complete: boolean;
  units: Record<string, Unit>;
  by_pcn: AreaPCN[];
  bbox: BBox;
}

export interface Practice {
  code: string;
  name: string;
  list_size: number;
}

export interface PCNArea {
  code: string;
  name: string;
  patients: number;
  share: number;
  list_share: number;
  serves: boolean;
  dominant: boolean;
  core: boolean;
}

export interface PCN {
  code: string;
  name: string;
  threshold: number;
  core_share: number;
  list_size: number;
  resident: number;
  areas_any: number;
  areas: number;
  core_areas: number;
  containment: number;
  dominant_areas: number;
  units: Record<string, Unit>;
  practices: Practice[];
  area_shares: PCNArea[];
  /** The areas it serves at the threshold; null only when it has no resident patients. */
  bbox: BBox | null;
  /** Its core footprint; null only when it has no resident patients. */
  core_bbox: BBox | null;
}

export interface Overlap extends PCNRef {
  shared_areas: number;
  shared_areas_any: number;
  overlap: number;
}

export interface Overlaps extends PCNRef {
  threshold: number;
  overlaps: Overlap[];
}

export interface SearchResult {
  type: 'area' | 'pcn';
  code: string;
  name: string;
  bbox: BBox | null;
}

export interface Stats {
  n: number;
  mean: number;
  sd: number;
  min: number;
  p10: number;
  median: number;
  p90: number;
  max: number;
  histogram?: number[];
}

export interface AreaSummary {
  code?: string;
  name?: string;
  areas: number;
  registered: number;
  pcns_any: Stats;
  pcns: Stats;
}

export interface Summary {
  release: string;
  extract_date?: string;
  as_of?: string;
  threshold: number;
  practices: number;
  pcns: number;
  areas: AreaSummary;
  breakdowns?: Record<string, AreaSummary[]>;
  /** How the registration rows were used; region is the study region the release was ingested within. */
  coverage?: { region?: string; denominators?: string };
  incomplete_areas?: number;
}

export interface TileJSON {
  tiles: string[];
  minzoom: number;
  maxzoom: number;
  bounds: BBox;
  center: [number, number, number];
  attribution?: string;
  vector_layers: { id: string; fields: Record<string, string> }[];
}

/** An error answer of the API, with its status and message. */
export class APIError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The base URL of the server: the page's own directory, so the page works behind a path prefix. */
export const base = (): string => location.origin + location.pathname.replace(/[^/]*$/, '');

/** The APIError of a failed answer, with the server's message when it sent one. */
export async function failure(res: Response): Promise<APIError> {
  let msg = res.statusText;
  try {
    msg = (await res.json()).error || msg;
  } catch {
    // not JSON: keep the status text
  }
  return new APIError(res.status, msg);
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(base() + path, { signal, headers: { Accept: 'application/json' } });
  if (!res.ok) throw await failure(res);
  return res.json() as Promise<T>;
}

const q = encodeURIComponent;

export const api = {
  tileJSON: (layer: string) => get<TileJSON>(`tiles/${q(layer)}.json`),
  summary: (t: string, signal?: AbortSignal) => get<Summary>(`api/summary?threshold=${q(t)}`, signal),
  area: (code: string, t: string, signal?: AbortSignal) => get<Area>(`api/areas/${q(code)}?threshold=${q(t)}`, signal),
  pcn: (code: string, t: string, signal?: AbortSignal) => get<PCN>(`api/pcns/${q(code)}?threshold=${q(t)}`, signal),
  overlaps: (code: string, t: string, signal?: AbortSignal) =>
    get<Overlaps>(`api/pcns/${q(code)}/overlaps?threshold=${q(t)}`, signal),
  search: (text: string, signal?: AbortSignal) =>
    get<{ query: string; results: SearchResult[] }>(`api/search?q=${q(text)}&limit=12`, signal),
};

/** The tile URL template of a layer with its query, keeping {z}/{x}/{y} unescaped. */
export function tileURL(layer: string, params: Record<string, string>): string {
  const qs = Object.entries(params)
    .map(([k, v]) => `${q(k)}=${q(v)}`)
    .join('&');
  return `${base()}tiles/${q(layer)}/{z}/{x}/{y}.mvt${qs ? '?' + qs : ''}`;
}
