// The legend: one row per class, with the number of areas in it where that is known.

import { replace, h } from './dom';
import { fmtInt } from './format';
import type { Class, Scale } from './palette';

/** A one-line key (swatches between the first and last labels) for the collapsed options on a phone. */
export function renderMiniLegend(el: HTMLElement, title: string, scale: Scale): void {
  const cs = scale.classes;
  if (!cs.length) return replace(el);
  replace(
    el,
    h('span', { class: 'mini-title' }, title),
    h(
      'span',
      { class: 'mini-ramp', 'aria-hidden': 'true' },
      h('span', { class: 'mini-label' }, cs[0].label),
      cs.map((c) => h('span', { class: 'mini-swatch', style: `background:${c.colour}` })),
      h('span', { class: 'mini-label' }, cs[cs.length - 1].label),
    ),
  );
}

export function renderLegend(el: HTMLElement, title: string, scale: Scale, note?: string): void {
  // The no-data class is listed unless it is known to be empty.
  const rows: Class[] = [...(scale.noData && scale.noData.count !== 0 ? [scale.noData] : []), ...scale.classes];
  const counted = rows.some((c) => c.count !== undefined);
  const maxCount = Math.max(1, ...rows.map((c) => c.count || 0));
  replace(
    el,
    h('h2', { class: 'legend-title', id: 'legend-title' }, title),
    h(
      'ul',
      { class: 'legend-rows', 'aria-labelledby': 'legend-title' },
      rows.map((c) =>
        h(
          'li',
          { class: 'legend-row', 'data-lo': c.lo },
          h('span', { class: 'swatch', style: `background:${c.colour}`, 'aria-hidden': 'true' }),
          h('span', { class: 'legend-label' }, c.label),
          counted
            ? h(
                'span',
                { class: 'legend-count', title: `${fmtInt(c.count || 0)} areas` },
                h('span', { class: 'legend-bar', style: `width:${Math.round(((c.count || 0) / maxCount) * 100)}%`, 'aria-hidden': 'true' }),
                h('span', { class: 'legend-n' }, fmtInt(c.count || 0)),
              )
            : null,
        ),
      ),
    ),
    counted ? h('p', { class: 'legend-note' }, 'Bars: how many areas fall in each class.') : null,
    note ? h('p', { class: 'legend-note' }, note) : null,
  );
}
