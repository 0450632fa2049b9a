// Colour-blind-safe sequential palettes and the class breaks of each map metric.

type RGB = [number, number, number];

// Nine evenly spaced samples of each palette (matplotlib's viridis and cividis, ColorBrewer YlGnBu and
// RdPu, all readable with the common colour-vision deficiencies);
// colours between them are interpolated in RGB, which is close enough at nine stops.
const STOPS: Record<string, string[]> = {
  viridis: ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'],
  cividis: ['#00224e', '#123570', '#3b496c', '#575d6d', '#707173', '#8a8779', '#a69d75', '#c4b56c', '#fee838'],
  ylgnbu: ['#ffffd9', '#edf8b1', '#c7e9b4', '#7fcdbb', '#41b6c4', '#1d91c0', '#225ea8', '#253494', '#081d58'],
  rdpu: ['#fff7f3', '#fde0dd', '#fcc5c0', '#fa9fb5', '#f768a1', '#dd3497', '#ae017e', '#7a0177', '#49006a'],
};

export type PaletteName = keyof typeof STOPS;

function parse(hex: string): RGB {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex(c: RGB): string {
  return '#' + c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
}

/** The colour at position x (0..1) of a palette. */
export function colourAt(name: PaletteName, x: number): string {
  const stops = STOPS[name];
  const p = Math.min(1, Math.max(0, x)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(p));
  const a = parse(stops[i]);
  const b = parse(stops[i + 1]);
  const f = p - i;
  return toHex([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f]);
}

/** n colours spread over [from, to] of a palette (to < from reverses it). */
export function sample(name: PaletteName, n: number, from = 0, to = 1): string[] {
  if (n <= 1) return [colourAt(name, (from + to) / 2)];
  return Array.from({ length: n }, (_, i) => colourAt(name, from + ((to - from) * i) / (n - 1)));
}

/** Relative luminance, to pick a readable text colour over a swatch. */
export function isDark(hex: string): boolean {
  const [r, g, b] = parse(hex).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.22;
}

/** Colour of areas with no value (no PCN patients, no dominant PCN). */
export const NO_DATA = '#d4d8dd';

/** One class of a legend: values v with lo ≤ v < hi (hi undefined: no upper bound). */
export interface Class {
  lo: number;
  hi?: number;
  colour: string;
  label: string;
  count?: number; // areas in the class, where known
}

/** A metric's classes and the MapLibre expression colouring by them. */
export interface Scale {
  classes: Class[];
  noData?: Class;
  expression: unknown[];
}

/** Builds a 'step' expression over a feature property from ascending classes. */
export function stepExpression(prop: string, classes: Class[]): unknown[] {
  const expr: unknown[] = ['step', ['coalesce', ['get', prop], -1], NO_DATA];
  for (const c of classes) expr.push(c.lo, c.colour);
  return expr;
}

/**
 * Integer classes for PCNs per area from the histogram at the threshold (histogram[k] = areas with k
 * PCNs): one class per value when the range is small, otherwise classes holding about equal numbers
 * of areas, so the map keeps its contrast at every threshold.
 */
export function countClasses(histogram: number[], palette: PaletteName, maxClasses = 8): Scale {
  let min = histogram.findIndex((n, k) => k > 0 && n > 0);
  let max = histogram.length - 1;
  while (max > 0 && !histogram[max]) max--;
  if (min < 1) min = 1;
  if (max < min) max = min;
  let lows: number[];
  if (max - min + 1 <= maxClasses) {
    lows = [];
    for (let k = min; k <= max; k++) lows.push(k);
  } else {
    const total = histogram.slice(1).reduce((a, b) => a + b, 0);
    const set = new Set<number>([min]);
    let cum = 0;
    let next = 1;
    for (let k = min; k <= max && next < maxClasses; k++) {
      cum += histogram[k] || 0;
      while (next < maxClasses && cum >= (total * next) / maxClasses) {
        if (k + 1 <= max) set.add(k + 1);
        next++;
      }
    }
    lows = [...set].sort((a, b) => a - b);
  }
  const colours = sample(palette, lows.length, 1, 0.05);
  const classes: Class[] = lows.map((lo, i) => {
    const hi = i + 1 < lows.length ? lows[i + 1] : undefined;
    const top = hi === undefined ? max : hi - 1;
    const label = top === lo ? String(lo) : `${lo}–${top}`;
    let count = 0;
    for (let k = lo; k <= (hi === undefined ? histogram.length - 1 : hi - 1); k++) count += histogram[k] || 0;
    return { lo, hi, colour: colours[i], label, count };
  });
  const noData: Class = { lo: 0, hi: 1, colour: NO_DATA, label: '0', count: histogram[0] || 0 };
  return { classes, noData, expression: stepExpression('pcns', classes) };
}

/** Fixed classes for a continuous metric. */
export function fixedClasses(
  prop: string,
  breaks: number[],
  palette: PaletteName,
  format: (v: number) => string,
  range: [number, number],
  noData?: string,
): Scale {
  const colours = sample(palette, breaks.length, range[0], range[1]);
  const classes: Class[] = breaks.map((lo, i) => {
    const hi = breaks[i + 1];
    const label = hi === undefined ? `${format(lo)} or more` : i === 0 ? `under ${format(hi)}` : `${format(lo)}–${format(hi)}`;
    return { lo, hi, colour: colours[i], label };
  });
  return {
    classes,
    noData: noData ? { lo: -1, hi: 0, colour: NO_DATA, label: noData } : undefined,
    expression: stepExpression(prop, classes),
  };
}
