// The area × PCN table of data.json and the numbers the API computes from it (overlap.Dataset in
// Go): an area's PCNs at threshold t are those with patients > 0 and patients / registered ≥ t, in
// the same floating point; summary statistics are the API's (SD over n − 1, type-7 percentiles).

export interface Data {
  release: string;
  extract_date: string;
  as_of: string;
  threshold: number;
  attribution: string;
  sets: boolean;
  pcns: [string, string, number][]; // code, name, list size
  areas: [string, string, number, [number, number, number, number]][]; // code, name, registered, bbox
  cells: number[][]; // per area: pcn index, patients, pcn index, patients, …
}

/** Whether a PCN with `patients` in an area of `registered` serves it at t (Go's Dataset.Serves). */
export function serves(patients: number, registered: number, t: number): boolean {
  return patients > 0 && (registered > 0 ? patients / registered : 0) >= t;
}

/** Every area's count of PCNs at t. */
export function counts(d: Data, t: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(d.areas.length);
  for (let a = 0; a < d.areas.length; a++) {
    const reg = d.areas[a][2];
    const c = d.cells[a];
    let n = 0;
    for (let i = 0; i < c.length; i += 2) if (serves(c[i + 1], reg, t)) n++;
    out[a] = n;
  }
  return out;
}

/** An area's PCNs, most patients first (ties by code, as the API), with their shares. */
export function areaPCNs(d: Data, a: number): { pcn: number; patients: number; share: number }[] {
  const reg = d.areas[a][2];
  const c = d.cells[a];
  const out = [];
  for (let i = 0; i < c.length; i += 2) out.push({ pcn: c[i], patients: c[i + 1], share: reg > 0 ? c[i + 1] / reg : 0 });
  out.sort((x, y) => y.patients - x.patients || (d.pcns[x.pcn][0] < d.pcns[y.pcn][0] ? -1 : 1));
  return out;
}

/** The areas where PCN p has patients: area index, patients, share of the area. */
export function pcnAreas(d: Data, p: number): { area: number; patients: number; share: number }[] {
  const out = [];
  for (let a = 0; a < d.areas.length; a++) {
    const c = d.cells[a];
    for (let i = 0; i < c.length; i += 2) {
      if (c[i] === p) {
        const reg = d.areas[a][2];
        out.push({ area: a, patients: c[i + 1], share: reg > 0 ? c[i + 1] / reg : 0 });
      }
    }
  }
  return out.sort((x, y) => y.patients - x.patients);
}

export interface Stats {
  count: number;
  mean: number;
  sd: number;
  min: number;
  p10: number;
  median: number;
  p90: number;
  max: number;
  histogram: number[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo]);
}

/** The distribution of counts, as /api/summary gives it for all areas. */
export function stats(values: ArrayLike<number>): Stats {
  const v = Array.from(values).sort((a, b) => a - b);
  const n = v.length;
  const mean = n ? v.reduce((s, x) => s + x, 0) / n : 0;
  const sd = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const histogram = new Array(n ? v[n - 1] + 1 : 1).fill(0);
  for (const x of v) histogram[x]++;
  return { count: n, mean, sd, min: v[0] ?? 0, p10: quantile(v, 0.1), median: quantile(v, 0.5), p90: quantile(v, 0.9), max: v[n - 1] ?? 0, histogram };
}

export interface Hit {
  kind: 'area' | 'pcn';
  index: number;
  code: string;
  name: string;
}

/** Areas and PCNs whose code starts with, or whose name contains, q (case-insensitive). */
export function search(d: Data, q: string, limit = 10): Hit[] {
  const s = q.trim().toLowerCase();
  if (!s) return [];
  const hits: Hit[] = [];
  const add = (kind: 'area' | 'pcn', index: number, code: string, name: string) => {
    const c = code.toLowerCase();
    const n = name.toLowerCase();
    if (c === s || c.startsWith(s) || n.includes(s)) hits.push({ kind, index, code, name });
  };
  d.areas.forEach((a, i) => add('area', i, a[0], a[1]));
  d.pcns.forEach((p, i) => add('pcn', i, p[0], p[1]));
  const rank = (h: Hit) => (h.code.toLowerCase() === s ? 0 : h.name.toLowerCase().startsWith(s) ? 1 : 2);
  hits.sort((x, y) => rank(x) - rank(y) || x.name.localeCompare(y.name));
  return hits.slice(0, limit);
}
