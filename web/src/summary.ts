// The summary panel: PCNs per area for England and for the unit (ICB, local authority, …) at the
// centre of the view, at t = 0 and at the threshold, with the histogram at the threshold.

import type { AreaSummary, Stats, Summary } from './api';
import { h, replace, s } from './dom';
import { displayName, fmt1, fmt2, fmtDate, fmtInt } from './format';
import { NO_DATA, type Scale } from './palette';
import { formatPercent } from './state';

export const KIND_NAMES: Record<string, string> = {
  icb: 'ICB',
  'sub-icb': 'Sub-ICB',
  ccg: 'CCG',
  stp: 'STP',
  la: 'Local authority',
  region: 'Region',
  'nhs-region': 'NHS region',
};

/** The context kinds a summary breaks down by that the map can also outline, in the order offered. */
export function outlineKinds(sum: Summary | undefined): string[] {
  const have = Object.keys(sum?.breakdowns || {});
  return ['icb', 'sub-icb', 'ccg', 'la', 'stp', 'nhs-region', 'region'].filter((k) => have.includes(k));
}

function colourFor(k: number, scale: Scale | undefined): string {
  if (!scale) return '#6b7785';
  if (k < 1) return NO_DATA;
  let c = scale.classes[0]?.colour || '#6b7785';
  for (const cl of scale.classes) if (k >= cl.lo) c = cl.colour;
  return c;
}

/** An SVG histogram of PCNs per area. */
export function histogram(stats: Stats, label: string, scale?: Scale): SVGSVGElement {
  const hist = stats.histogram || [];
  const W = 320;
  const H = 120;
  // The top band (pad.t) holds the mean's label, above every bar: it cannot cover one.
  const pad = { l: 30, r: 6, t: 18, b: 22 };
  const n = Math.max(hist.length, 2);
  const max = Math.max(1, ...hist);
  const bw = (W - pad.l - pad.r) / n;
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const svg = s('svg', {
    class: 'histogram',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': `${label}: ${stats.n} areas, mean ${fmt2(stats.mean)}, SD ${fmt2(stats.sd)}, from ${stats.min} to ${stats.max}`,
    preserveAspectRatio: 'none',
  });
  // y grid: 0, max/2, max
  for (const v of [0, Math.round(max / 2), max]) {
    svg.appendChild(s('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: 'grid' }));
    svg.appendChild(s('text', { x: pad.l - 4, y: y(v) + 3, 'text-anchor': 'end', class: 'tick' }, fmtInt(v)));
  }
  hist.forEach((v, k) => {
    if (!v) return;
    const r = s('rect', { x: pad.l + k * bw + 0.5, y: y(v), width: Math.max(1, bw - 1), height: y(0) - y(v), fill: colourFor(k, scale) });
    r.appendChild(s('title', {}, `${k} PCN${k === 1 ? '' : 's'}: ${fmtInt(v)} area${v === 1 ? '' : 's'}`));
    svg.appendChild(r);
  });
  // x ticks: about six
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200].find((v) => n / v <= 7) || 500;
  for (let k = 0; k < n; k += step) {
    svg.appendChild(s('text', { x: pad.l + k * bw + bw / 2, y: H - 8, 'text-anchor': 'middle', class: 'tick' }, String(k)));
  }
  // the mean
  const mx = pad.l + stats.mean * bw + bw / 2;
  svg.appendChild(s('line', { x1: mx, x2: mx, y1: pad.t - 6, y2: y(0), class: 'mean' }));
  const right = mx > W - 60; // near the right edge the label goes to the line's left
  svg.appendChild(
    s('text', { x: right ? mx - 3 : mx + 3, y: pad.t - 7, 'text-anchor': right ? 'end' : 'start', class: 'tick mean-label' }, `mean ${fmt1(stats.mean)}`),
  );
  return svg;
}

function statsTable(a: AreaSummary, t: number, caption: string): HTMLTableElement {
  // At t = 0 the two columns are the same: show one.
  const both = t > 0;
  const row = (name: string, f: (s: Stats) => string) =>
    h('tr', null, h('th', { scope: 'row' }, name), h('td', null, f(a.pcns_any)), both ? h('td', null, f(a.pcns)) : null);
  return h(
    'table',
    { class: 'stats' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', null, h('tr', null, h('td'), h('th', { scope: 'col' }, 't = 0'), both ? h('th', { scope: 'col' }, `t = ${formatPercent(t)}`) : null)),
    h(
      'tbody',
      null,
      row('Mean', (s) => fmt2(s.mean)),
      row('SD', (s) => fmt2(s.sd)),
      row('Median', (s) => fmt1(s.median)),
      row('Range', (s) => `${s.min}–${s.max}`),
    ),
  );
}

function block(title: string, sub: string, a: AreaSummary, t: number, scale: Scale | undefined, id: string): HTMLElement {
  return h(
    'section',
    { class: 'summary-block', 'aria-labelledby': id },
    h('h3', { id }, title),
    h('p', { class: 'muted' }, sub),
    statsTable(a, t, `PCNs per area in ${title}`),
    h('p', { class: 'hist-caption' }, t > 0 ? `Areas by number of PCNs with ≥ ${formatPercent(t)} of residents` : 'Areas by number of PCNs with any of their residents'),
    histogram(a.pcns, `Histogram of PCNs per area in ${title} at ${formatPercent(t)}`, scale),
  );
}

export interface InView {
  kind: string;
  unit?: { code: string; name: string; atCentre: boolean };
}

export function renderSummary(el: HTMLElement, sum: Summary | undefined, t: number, scale: Scale | undefined, inView: InView, error?: string): void {
  if (!sum) {
    replace(el, h('h2', null, 'Summary'), h('p', { class: error ? 'error' : 'muted' }, error || 'Loading…'));
    return;
  }
  const all = sum.areas;
  const kindName = KIND_NAMES[inView.kind] || inView.kind;
  let local: HTMLElement;
  if (!inView.kind) {
    // Name the control by its own label, so the hint cannot drift from the page.
    const control = document.querySelector('label[for="outlines"]')?.textContent?.trim() || 'Outlines and local summary';
    local = h('p', { class: 'muted' }, `Choose outlines (ICB, local authority…) under “${control}” to compare the unit in view.`);
  } else if (!inView.unit) {
    local = h('p', { class: 'muted' }, `No ${kindName} in view: pan or zoom to one to compare it.`);
  } else {
    const row = sum.breakdowns?.[inView.kind]?.find((r) => r.code === inView.unit!.code);
    local = row
      ? block(
          displayName(row.name || inView.unit.name),
          `${kindName} ${inView.unit.atCentre ? 'at the centre of the view' : 'most in view'} · ${fmtInt(row.areas)} areas · ${fmtInt(row.registered)} registered`,
          row,
          t,
          scale,
          'summary-local',
        )
      : h('p', { class: 'muted' }, `No summary for ${inView.unit.name}.`);
  }
  replace(
    el,
    h('h2', null, 'PCNs per area'),
    h(
      'p',
      { class: 'muted' },
      `Release ${sum.release}${sum.extract_date ? ` (registrations of ${fmtDate(sum.extract_date)})` : ''}: ${fmtInt(sum.pcns)} PCNs, ${fmtInt(sum.practices)} practices.`,
    ),
    block('All areas', `${fmtInt(all.areas)} areas · ${fmtInt(all.registered)} registered patients`, all, t, scale, 'summary-all'),
    local,
  );
}
