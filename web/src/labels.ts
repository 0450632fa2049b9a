// Place labels from the area names, drawn as HTML over the map at high zoom.
//
// MapLibre draws text only with SDF glyph files, which would have to be shipped with the binary (a few
// hundred kB per font and Unicode range) since the page must work offline. At the zooms where area
// names are worth reading (11 and above) only a few dozen areas are in view, so the page places them
// itself: each area's label goes at an interior point of its polygon (the middle of the widest
// horizontal run through its centroid, which is inside even for concave shapes), labels that would
// collide with one already placed are skipped, and the text uses the page's own font.

import type { GeoJSONFeature } from 'maplibre-gl';
import type { MapView } from './map';

const MIN_ZOOM = 11;
const MAX_LABELS = 150;

type Ring = number[][];

interface Placed {
  code: string;
  name: string;
  lngLat: [number, number];
}

export class Labels {
  private layer: HTMLDivElement;
  private placed: Placed[] = [];
  private els = new Map<string, HTMLDivElement>();
  private sizes = new Map<string, [number, number]>(); // measured once, while shown
  private timer = 0;

  constructor(
    private view: MapView,
    private container: HTMLElement,
  ) {
    this.layer = document.createElement('div');
    this.layer.className = 'labels';
    this.layer.setAttribute('aria-hidden', 'true');
    container.appendChild(this.layer);
    const map = view.map;
    map.on('move', () => this.position());
    // Team labels (teamlayer.ts) take precedence: an area label that would sit under one is hidden.
    container.addEventListener(LABELS_MOVED, () => this.position());
    map.on('moveend', () => this.schedule());
    map.on('sourcedata', (e) => {
      if (e.sourceId === 'areas-base' && e.isSourceLoaded) this.schedule();
    });
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.update(), 60);
  }

  /** Recomputes which labels to show and where. */
  update(): void {
    const map = this.view.map;
    if (map.getZoom() < MIN_ZOOM) {
      this.placed = [];
      this.render();
      return;
    }
    const bounds = map.getBounds();
    const byCode = new Map<string, { name: string; rings: Ring[] }>();
    for (const f of this.view.areaFeatures()) {
      const code = f.properties?.code as string | undefined;
      if (!code) continue;
      let e = byCode.get(code);
      if (!e) byCode.set(code, (e = { name: String(f.properties.name || code), rings: [] }));
      collectRings(f, e.rings);
    }
    const out: Placed[] = [];
    for (const [code, e] of byCode) {
      const p = interiorPoint(e.rings);
      if (p && bounds.contains(p as [number, number])) out.push({ code, name: e.name, lngLat: p });
    }
    this.placed = out.slice(0, 600);
    this.render();
  }

  private render(): void {
    const keep = new Set(this.placed.map((p) => p.code));
    for (const [code, el] of this.els) {
      if (!keep.has(code)) {
        el.remove();
        this.els.delete(code);
      }
    }
    for (const p of this.placed) {
      if (this.els.has(p.code)) continue;
      const el = document.createElement('div');
      el.className = 'label';
      el.textContent = p.name;
      this.layer.appendChild(el);
      this.els.set(p.code, el);
      this.sizes.set(p.code, [el.offsetWidth || p.name.length * 6.6 + 8, el.offsetHeight || 16]);
    }
    this.position();
  }

  /** Moves the labels with the map and hides those that would overlap. */
  private position(): void {
    if (!this.placed.length) return;
    const map = this.view.map;
    const boxes: Box[] = obstacles(this.container, '.team-label');
    let shown = 0;
    for (const p of this.placed) {
      const el = this.els.get(p.code);
      if (!el) continue;
      const pt = map.project(p.lngLat);
      const [w, hgt] = this.sizes.get(p.code) ?? [p.name.length * 6.6 + 8, 16];
      const box: [number, number, number, number] = [pt.x - w / 2, pt.y - hgt / 2, pt.x + w / 2, pt.y + hgt / 2];
      const clash = shown >= MAX_LABELS || boxes.some((b) => b[0] < box[2] && box[0] < b[2] && b[1] < box[3] && box[1] < b[3]);
      if (clash) {
        el.style.display = 'none';
        continue;
      }
      boxes.push(box);
      shown++;
      el.style.display = '';
      el.style.transform = `translate(${Math.round(pt.x)}px, ${Math.round(pt.y)}px) translate(-50%, -50%)`;
    }
  }
}

type Box = [number, number, number, number];

/** The event teamlayer.ts sends on the map's container after it moves its labels. */
export const LABELS_MOVED = 'pcnmap-labels-moved';

/** The boxes, in container pixels, of the visible elements matching selector inside container. */
function obstacles(container: HTMLElement, selector: string): Box[] {
  const c = container.getBoundingClientRect();
  const out: Box[] = [];
  for (const el of container.querySelectorAll<HTMLElement>(selector)) {
    if (el.style.display === 'none') continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0) out.push([r.left - c.left - 2, r.top - c.top - 2, r.right - c.left + 2, r.bottom - c.top + 2]);
  }
  return out;
}

/** Appends the rings of a polygon or multipolygon feature to out. */
export function collectRings(f: GeoJSONFeature, out: Ring[]): void {
  const g = f.geometry;
  if (g.type === 'Polygon') out.push(...(g.coordinates as Ring[]));
  else if (g.type === 'MultiPolygon') for (const p of g.coordinates as Ring[][]) out.push(...p);
}

/** A point inside the polygon formed by rings (even-odd): the middle of the widest horizontal run
 * through the area-weighted centroid. */
export function interiorPoint(rings: Ring[]): [number, number] | undefined {
  let a = 0;
  let cx = 0;
  let cy = 0;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const r of rings) {
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const [x0, y0] = r[j];
      const [x1, y1] = r[i];
      const cross = x0 * y1 - x1 * y0;
      a += cross;
      cx += (x0 + x1) * cross;
      cy += (y0 + y1) * cross;
      if (y1 < minY) minY = y1;
      if (y1 > maxY) maxY = y1;
    }
  }
  if (!Number.isFinite(minY)) return undefined;
  let y = a !== 0 ? cy / (3 * a) : (minY + maxY) / 2;
  if (!(y > minY && y < maxY)) y = (minY + maxY) / 2;
  const centreX = a !== 0 ? cx / (3 * a) : NaN;
  const xs: number[] = [];
  for (const r of rings) {
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const [x0, y0] = r[j];
      const [x1, y1] = r[i];
      if (y0 > y !== y1 > y) xs.push(x0 + ((y - y0) * (x1 - x0)) / (y1 - y0));
    }
  }
  xs.sort((p, q) => p - q);
  let best: [number, number] | undefined;
  let bestW = -1;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    const w = xs[i + 1] - xs[i];
    // prefer the run holding the centroid when it is not much narrower than the widest
    const bonus = centreX >= xs[i] && centreX <= xs[i + 1] ? 1.5 : 1;
    if (w * bonus > bestW) {
      bestW = w * bonus;
      best = [(xs[i] + xs[i + 1]) / 2, y];
    }
  }
  return best;
}
