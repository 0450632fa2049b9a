// "Areas in view": the keyboard's way to what a click on the map does. A disclosure under the legend
// lists the areas whose interior point is in view, by name, each a button that opens the area's
// panel (from which Tab steps through its PCNs). The list follows the map as it moves, and is built
// only while open: at low zoom thousands of areas are loaded.

import { h, replace } from './dom';
import { collectRings, interiorPoint } from './labels';
import type { MapView } from './map';

const MAX = 300;

export class InView {
  private details: HTMLDetailsElement;
  private summary: HTMLElement;
  private list: HTMLElement;
  private timer = 0;
  private shownKey = '';

  constructor(
    private view: MapView,
    parent: HTMLElement,
    private select: (code: string) => void,
  ) {
    this.summary = h('summary', null, 'Areas in view');
    this.list = h('ul', { class: 'in-view-list', 'aria-label': 'Areas in view' });
    this.details = h('details', { id: 'in-view', class: 'in-view' }, this.summary, this.list);
    parent.appendChild(this.details);
    this.details.addEventListener('toggle', () => this.update());
    view.map.on('moveend', () => this.schedule());
    view.map.on('sourcedata', (e) => e.isSourceLoaded && this.schedule());
  }

  private schedule(): void {
    if (!this.details.open) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.update(), 150);
  }

  /** The areas in view, by name: [code, name]. */
  areas(): [string, string][] {
    const bounds = this.view.map.getBounds();
    const rings = new Map<string, { name: string; rings: number[][][] }>();
    for (const f of this.view.areaFeatures()) {
      const code = f.properties?.code as string | undefined;
      if (!code) continue;
      let e = rings.get(code);
      if (!e) rings.set(code, (e = { name: String(f.properties.name || code), rings: [] }));
      collectRings(f, e.rings);
    }
    const out: [string, string][] = [];
    for (const [code, e] of rings) {
      const p = interiorPoint(e.rings);
      if (p && bounds.contains(p)) out.push([code, e.name]);
    }
    return out.sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
  }

  update(): void {
    if (!this.details.open) {
      replace(this.list);
      this.shownKey = '';
      return;
    }
    const all = this.areas();
    this.summary.textContent = `Areas in view (${all.length})`;
    const shown = all.slice(0, MAX);
    // Rebuild only when the list changed, and keep the keyboard's place in it when it did.
    const key = `${all.length}:${shown.map((a) => a[0]).join(',')}`;
    if (key === this.shownKey) return;
    this.shownKey = key;
    const focused = this.list.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.code : undefined;
    replace(
      this.list,
      shown.map(([code, name]) => h('li', null, h('button', { type: 'button', class: 'link', 'data-code': code, onclick: () => this.select(code) }, name, ' ', h('span', { class: 'muted' }, code)))),
      all.length > MAX ? h('li', { class: 'muted small' }, `and ${all.length - MAX} more: zoom in to list them`) : null,
      all.length === 0 ? h('li', { class: 'muted small' }, 'No area in view.') : null,
    );
    if (focused) this.list.querySelector<HTMLElement>(`button[data-code="${focused}"]`)?.focus();
  }
}
