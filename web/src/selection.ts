// The side panel of a selected area or PCN, and the CSV of its table.

import type { Area, AreaPCN, Overlaps, PCN } from './api';
import { completeNote } from './complete';
import { toCSV } from './csv';
import { h, replace } from './dom';
import { displayName, fmt1, fmtInt, fmtShare } from './format';
import type { Scale } from './palette';
import { formatPercent, type PCNShade } from './state';
import { KIND_NAMES } from './summary';

export interface SelectionActions {
  selectArea(code: string): void;
  selectPCN(code: string): void;
  close(): void;
  download(): void;
  setShade(shade: PCNShade): void;
}

/** A small "i" that explains a figure on hover or focus. */
export const hint = (text: string) => h('span', { class: 'hint', tabindex: '0', role: 'img', 'aria-label': text, 'data-tip': text }, 'i');

export const fig = (label: string, value: string | Node, tip?: string, wide = false) =>
  h('div', { class: wide ? 'fig fig-wide' : 'fig' }, h('dt', null, label, tip ? hint(tip) : null), h('dd', null, value));

function header(kind: string, code: string, name: string, a: SelectionActions): HTMLElement {
  return h(
    'header',
    { class: 'sel-header' },
    h('div', null, h('span', { class: `badge badge-${kind.toLowerCase()}` }, kind), h('code', { class: 'code' }, code)),
    h('h2', { id: 'selection-title', tabindex: '-1' }, name),
    h('button', { class: 'icon-button close', type: 'button', 'aria-label': `Close ${kind.toLowerCase()} details`, onclick: () => a.close() }, '×'),
  );
}

function units(u: Record<string, { code: string; name?: string }>): HTMLElement | null {
  const order = u['sub-icb'] ? ['icb', 'sub-icb', 'la', 'region'] : ['icb', 'ccg', 'la', 'region'];
  const rows = order
    .filter((k) => u[k])
    .map((k) => h('div', null, h('dt', null, KIND_NAMES[k] || k), h('dd', { title: u[k].code }, displayName(u[k].name || u[k].code))));
  return rows.length ? h('dl', { class: 'units' }, rows) : null;
}

/** One PCN's bar of a chart of shares (of an area's or a team's residents), its name a link to the PCN. */
export function shareBar(p: AreaPCN, max: number, a: Pick<SelectionActions, 'selectPCN'>, dominant: boolean): HTMLElement {
  return h(
    'li',
    { class: `bar-row${p.serves ? '' : ' below'}`, 'data-code': p.code, 'data-share': p.share },
    h(
      'button',
      { type: 'button', class: 'link bar-name', title: `${displayName(p.name)} (${p.code}): show where its patients live`, onclick: () => a.selectPCN(p.code) },
      displayName(p.name),
      dominant ? h('span', { class: 'tag' }, 'largest') : null,
    ),
    h(
      'span',
      { class: 'bar-track', 'aria-hidden': 'true' },
      h('span', { class: 'bar', style: `width:${Math.max(0.5, (p.share / max) * 100).toFixed(1)}%` }),
    ),
    h('span', { class: 'bar-value' }, fmtShare(p.share), h('span', { class: 'sr-only' }, ` of residents, ${fmtInt(p.patients)} patients`)),
  );
}

/** A grey bar for what the PCN bars leave out (practices in no PCN, PCNs under the threshold). */
export function restBar(label: string, share: number, max: number): HTMLElement {
  return h(
    'div',
    { class: 'bar-row below outside' },
    h('span', { class: 'bar-name' }, label),
    h('span', { class: 'bar-track', 'aria-hidden': 'true' }, h('span', { class: 'bar', style: `width:${Math.max(0.5, (share / max) * 100).toFixed(1)}%` })),
    h('span', { class: 'bar-value' }, fmtShare(share)),
  );
}

/** Renders an area's panel; region is the release's study region (the summary's coverage.region). */
export function renderArea(el: HTMLElement, area: Area, t: number, a: SelectionActions, region?: string): void {
  const serving = area.by_pcn.filter((p) => p.serves);
  const below = area.by_pcn.filter((p) => !p.serves);
  const belowShare = below.reduce((s, p) => s + p.share, 0);
  const outside = area.registered > 0 ? Math.max(0, 1 - area.in_pcn / area.registered) : 0;
  const max = Math.max(0.0001, ...area.by_pcn.map((p) => p.share));
  const dom = area.dominant_pcn?.code;
  const note = completeNote(area, region);
  const cut = note.indexOf(': ') + 2; // the lead, in bold
  replace(
    el,
    header('Area', area.code, area.name, a),
    note ? h('p', { class: 'notice', role: 'note', 'data-testid': 'area-incomplete' }, h('strong', null, note.slice(0, cut)), note.slice(cut)) : null,
    h(
      'dl',
      { class: 'figs' },
      fig('Registered patients', fmtInt(area.registered), 'Patients registered at any GP practice who live in this area, including practices in no PCN.'),
      fig(`PCNs ≥ ${formatPercent(t)}`, h('strong', { class: 'pcn-count', 'data-pcns': area.pcns }, fmtInt(area.pcns))),
      fig('PCNs with any patients', fmtInt(area.pcns_any)),
      fig('Effective PCNs', area.effective_pcns ? fmt1(area.effective_pcns) : '–', '1 / HHI: how many equal-sized PCNs would give the same concentration.'),
      area.urban === null ? null : fig('Setting', area.urban ? 'Urban' : 'Rural'),
      fig(
        'Largest PCN',
        area.dominant_pcn
          ? h(
              'span',
              null,
              h('button', { type: 'button', class: 'link', onclick: () => a.selectPCN(area.dominant_pcn!.code) }, displayName(area.dominant_pcn.name)),
              h('span', { class: 'muted' }, ` · ${fmtShare(area.dominant_share)} of residents`),
            )
          : 'none',
        undefined,
        true,
      ),
    ),
    units(area.units),
    h('h3', { id: 'shares-title' }, 'Residents by PCN'),
    h('p', { class: 'muted small' }, `Share of the area’s registered residents. PCNs under ${formatPercent(t)} are grouped and greyed.`),
    h(
      'ul',
      { class: 'bars', 'aria-labelledby': 'shares-title', 'data-testid': 'area-shares' },
      serving.map((p) => shareBar(p, max, a, p.code === dom)),
    ),
    below.length
      ? h(
          'details',
          { class: 'below-group' },
          h(
            'summary',
            null,
            h('span', { class: 'bar-name' }, `${below.length} PCN${below.length === 1 ? '' : 's'} under ${formatPercent(t)}`),
            h('span', { class: 'bar-track', 'aria-hidden': 'true' }, h('span', { class: 'bar', style: `width:${Math.max(0.5, (belowShare / max) * 100).toFixed(1)}%` })),
            h('span', { class: 'bar-value' }, fmtShare(belowShare)),
          ),
          h('ul', { class: 'bars' }, below.map((p) => shareBar(p, max, a, false))),
        )
      : null,
    outside > 0.00005 ? restBar('Practices in no PCN', outside, max) : null,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button', onclick: () => a.download() }, downloadIcon(), 'Download CSV')),
  );
}

export function areaCSV(area: Area): string {
  return toCSV(
    ['area_code', 'area_name', 'registered', 'pcn_code', 'pcn_name', 'patients', 'share', 'at_threshold', 'threshold'],
    area.by_pcn.map((p) => [area.code, area.name, area.registered, p.code, p.name, p.patients, p.share, p.serves ? 1 : 0, area.threshold]),
  );
}

export function renderPCN(el: HTMLElement, pcn: PCN, ov: Overlaps | undefined, t: number, shade: PCNShade, legend: Scale, a: SelectionActions): void {
  const top = pcn.area_shares.slice(0, 12);
  const table = (rows: typeof pcn.area_shares) =>
    h(
      'table',
      { class: 'data' },
      h('caption', { class: 'sr-only' }, 'Areas where the PCN’s patients live'),
      h(
        'thead',
        null,
        h('tr', null, h('th', { scope: 'col' }, 'Area'), h('th', { scope: 'col', class: 'num' }, 'Patients'), h('th', { scope: 'col', class: 'num' }, '% of list'), h('th', { scope: 'col', class: 'num' }, '% of area')),
      ),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            { class: r.serves ? '' : 'below' },
            h(
              'td',
              { class: r.core ? 'core' : undefined, title: r.core ? 'In the core footprint' : undefined },
              h('button', { type: 'button', class: 'link', onclick: () => a.selectArea(r.code) }, r.name),
              r.core ? h('span', { class: 'sr-only' }, ' (core footprint)') : null,
            ),
            h('td', { class: 'num' }, fmtInt(r.patients)),
            h('td', { class: 'num' }, fmtShare(r.list_share)),
            h('td', { class: 'num' }, fmtShare(r.share)),
          ),
        ),
      ),
    );
  replace(
    el,
    header('PCN', pcn.code, displayName(pcn.name), a),
    h(
      'dl',
      { class: 'figs' },
      fig('List size', fmtInt(pcn.list_size), 'Every registered patient of its member practices, wherever they live.'),
      fig('Practices', fmtInt(pcn.practices.length)),
      fig('Areas with patients', fmtInt(pcn.areas_any)),
      fig(`Areas where ≥ ${formatPercent(t)}`, fmtInt(pcn.areas)),
      fig(`Core footprint (${Math.round(pcn.core_share * 100)}%)`, `${fmtInt(pcn.core_areas)} area${pcn.core_areas === 1 ? '' : 's'}`, `The fewest areas holding ${Math.round(pcn.core_share * 100)}% of its resident patients, outlined on the map.`),
      fig('Containment', fmtShare(pcn.containment), 'Share of its resident patients living in areas where it is the largest PCN.'),
    ),
    units(pcn.units),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'pcn-shade' }, 'Shade the map by'),
      h(
        'select',
        { id: 'pcn-shade', onchange: (e: Event) => a.setShade((e.target as HTMLSelectElement).value as PCNShade) },
        h('option', { value: 'list_share', selected: shade === 'list_share' }, 'Share of the PCN’s patients in each area'),
        h('option', { value: 'share', selected: shade === 'share' }, 'PCN’s share of each area’s residents'),
      ),
    ),
    h(
      'ul',
      { class: 'legend-inline', 'aria-label': 'Map key' },
      legend.classes.map((c) => h('li', null, h('span', { class: 'swatch', style: `background:${c.colour}`, 'aria-hidden': 'true' }), c.label)),
      h('li', null, h('span', { class: 'swatch swatch-core', 'aria-hidden': 'true' }), 'core footprint'),
    ),
    h('h3', null, 'Where its patients live'),
    h('p', { class: 'muted small' }, 'Marked on the left: areas of its core footprint. Greyed: areas where it has under ', formatPercent(t), ' of residents.'),
    table(top),
    pcn.area_shares.length > top.length
      ? h('details', { class: 'more' }, h('summary', null, `All ${fmtInt(pcn.area_shares.length)} areas`), table(pcn.area_shares.slice(top.length)))
      : null,
    h('h3', { id: 'overlaps-title' }, 'Overlaps most with'),
    ov
      ? ov.overlaps.length
        ? h(
            'table',
            { class: 'data', 'aria-labelledby': 'overlaps-title' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                h('th', { scope: 'col' }, 'PCN'),
                h('th', { scope: 'col', class: 'num', title: `Areas where both have ≥ ${formatPercent(t)} of residents` }, 'Shared areas'),
                h('th', { scope: 'col', class: 'num', title: 'Σ over areas of the smaller of the two PCNs’ patients' }, 'Overlap'),
              ),
            ),
            h(
              'tbody',
              null,
              ov.overlaps.slice(0, 8).map((o) =>
                h(
                  'tr',
                  null,
                  h('td', null, h('button', { type: 'button', class: 'link', onclick: () => a.selectPCN(o.code) }, displayName(o.name))),
                  h('td', { class: 'num' }, fmtInt(o.shared_areas)),
                  h('td', { class: 'num' }, fmtInt(o.overlap)),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, `No other PCN shares an area with it at ${formatPercent(t)}.`)
      : h('p', { class: 'muted' }, 'Loading…'),
    h(
      'details',
      { class: 'more' },
      h('summary', null, `Member practices (${pcn.practices.length})`),
      h(
        'ul',
        { class: 'plain' },
        pcn.practices.map((p) => h('li', null, `${displayName(p.name)} `, h('code', null, p.code), h('span', { class: 'muted' }, ` · ${fmtInt(p.list_size)}`))),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button', onclick: () => a.download() }, downloadIcon(), 'Download CSV')),
  );
}

export function pcnCSV(pcn: PCN): string {
  return toCSV(
    ['pcn_code', 'pcn_name', 'list_size', 'area_code', 'area_name', 'patients', 'share_of_list', 'share_of_area', 'at_threshold', 'dominant', 'core', 'threshold'],
    pcn.area_shares.map((r) => [pcn.code, pcn.name, pcn.list_size, r.code, r.name, r.patients, r.list_share, r.share, r.serves ? 1 : 0, r.dominant ? 1 : 0, r.core ? 1 : 0, pcn.threshold]),
  );
}

function downloadIcon(): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  svg.innerHTML = '<path d="M8 1v9m0 0L4.5 6.5M8 10l3.5-3.5M2 12v2h12v-2" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/>';
  return svg;
}

/** Message shown in the panel while loading or on an error. */
export function renderMessage(el: HTMLElement, title: string, msg: string, isError: boolean, a: SelectionActions): void {
  replace(
    el,
    h(
      'header',
      { class: 'sel-header' },
      h('div'),
      h('h2', { id: 'selection-title', tabindex: '-1' }, title),
      h('button', { class: 'icon-button close', type: 'button', 'aria-label': 'Close details', onclick: () => a.close() }, '×'),
    ),
    h('p', { class: isError ? 'error' : 'muted' }, msg),
  );
}
