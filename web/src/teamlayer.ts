// A footprint set on the map: the `teams` tile layer drawn as team outlines over the choropleth (which
// keeps working underneath), the selected team highlighted, team names as HTML labels (no glyphs
// offline, as in labels.ts), and the areas moved in a what-if marked on the areas layer by a filter,
// so nothing is re-tiled.

import type maplibregl from 'maplibre-gl';
import type { FilterSpecification, GeoJSONFeature, PointLike } from 'maplibre-gl';

import { tileURL } from './api';
import { interiorPoint, LABELS_MOVED } from './labels';
import { AREAS, BASE, L, type MapView } from './map';

const SOURCE = 'teams';
const LAYER = 'teams'; // the source layer
const INK = '#17212b';
export const MOVED_COLOUR = '#e66100';

/** Layer ids, bottom to top; all sit under the selected area's outline. */
export const TL = {
  hit: 'teams-hit',
  movedFill: 'teams-moved-fill',
  casing: 'teams-casing',
  line: 'teams-line',
  selectedCasing: 'teams-selected-casing',
  selected: 'teams-selected',
  moved: 'teams-moved',
};

const LABEL_MIN_ZOOM = 8;
const none: FilterSpecification = ['==', ['get', 'team'], '\u0000'];

export class TeamLayer {
  private set?: string;
  private selected = '';
  private moved: string[] = [];
  private labels: HTMLDivElement;
  private labelEls = new Map<string, HTMLDivElement>();
  private placed: { team: string; lngLat: [number, number] }[] = [];
  private timer = 0;

  constructor(
    private view: MapView,
    private container: HTMLElement,
  ) {
    this.labels = document.createElement('div');
    this.labels.className = 'labels team-labels';
    this.labels.setAttribute('aria-hidden', 'true');
    container.appendChild(this.labels);
    const map = view.map;
    map.on('move', () => this.position());
    map.on('moveend', () => this.schedule());
    map.on('sourcedata', (e) => {
      if (e.sourceId === SOURCE && e.isSourceLoaded) this.schedule();
    });
  }

  /** The highlighted team ("" for none). */
  get team(): string {
    return this.selected;
  }

  /** The set drawn (undefined for none). */
  get name(): string | undefined {
    return this.set;
  }

  /** Draws a set's teams, or none. */
  show(set: string | undefined): void {
    if (set === this.set) return;
    const map = this.view.map;
    for (const id of Object.values(TL)) if (map.getLayer(id)) map.removeLayer(id);
    if (map.getSource(SOURCE)) map.removeSource(SOURCE);
    this.set = set;
    this.selected = '';
    this.moved = [];
    this.placed = [];
    this.renderLabels();
    if (!set) return;
    const base = map.getSource(BASE) as maplibregl.VectorTileSource;
    map.addSource(SOURCE, { type: 'vector', tiles: [tileURL(SOURCE, { set })], minzoom: 0, maxzoom: base.maxzoom, bounds: base.bounds });
    const at = L.selectedCasing;
    const movedFilter = this.movedFilter();
    map.addLayer({ id: TL.hit, type: 'fill', source: SOURCE, 'source-layer': LAYER, paint: { 'fill-opacity': 0 } }, at);
    map.addLayer(
      { id: TL.movedFill, type: 'fill', source: BASE, 'source-layer': AREAS, filter: movedFilter, paint: { 'fill-color': MOVED_COLOUR, 'fill-opacity': 0.7 } },
      at,
    );
    map.addLayer(
      {
        id: TL.casing,
        type: 'line',
        source: SOURCE,
        'source-layer': LAYER,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': '#ffffff', 'line-opacity': 0.85, 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 3, 12, 7] },
      },
      at,
    );
    map.addLayer(
      {
        id: TL.line,
        type: 'line',
        source: SOURCE,
        'source-layer': LAYER,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': INK, 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 1.4, 12, 3.2] },
      },
      at,
    );
    map.addLayer(
      {
        id: TL.selectedCasing,
        type: 'line',
        source: SOURCE,
        'source-layer': LAYER,
        filter: none,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': INK, 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 5, 12, 9] },
      },
      at,
    );
    map.addLayer(
      {
        id: TL.selected,
        type: 'line',
        source: SOURCE,
        'source-layer': LAYER,
        filter: none,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': '#ffeb3b', 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 2, 12, 4] },
      },
      at,
    );
    map.addLayer(
      {
        id: TL.moved,
        type: 'line',
        source: BASE,
        'source-layer': AREAS,
        filter: movedFilter,
        paint: { 'line-color': MOVED_COLOUR, 'line-width': 3, 'line-dasharray': [2, 1] },
      },
      at,
    );
  }

  /** Highlights one team ("" for none). */
  setSelected(team: string): void {
    this.selected = team;
    if (!this.set) return;
    const f: FilterSpecification = team ? ['==', ['get', 'team'], team] : none;
    this.view.map.setFilter(TL.selectedCasing, f);
    this.view.map.setFilter(TL.selected, f);
    this.renderLabels();
  }

  /** Marks the areas (MSOA codes) moved in a what-if. */
  setMoved(codes: string[]): void {
    this.moved = codes;
    if (!this.set) return;
    const f = this.movedFilter();
    this.view.map.setFilter(TL.movedFill, f);
    this.view.map.setFilter(TL.moved, f);
  }

  private movedFilter(): FilterSpecification {
    return ['in', ['get', 'code'], ['literal', this.moved]];
  }

  /** The team under a screen point. */
  teamAt(p: PointLike): string | undefined {
    if (!this.set || !this.view.map.getLayer(TL.hit)) return undefined;
    const f = this.view.map.queryRenderedFeatures(p, { layers: [TL.hit] })[0];
    return f ? String(f.properties.team) : undefined;
  }

  /** Resolves once the tiles of the view have loaded (or after 5 s). */
  loaded(): Promise<void> {
    const map = this.view.map;
    return new Promise((resolve) => {
      const done = () => {
        map.off('sourcedata', check);
        window.clearTimeout(timer);
        resolve();
      };
      const check = () => {
        if (!map.getSource(SOURCE) || map.isSourceLoaded(SOURCE)) done();
      };
      const timer = window.setTimeout(done, 5000);
      map.on('sourcedata', check);
      check();
    });
  }

  /** Loaded team features (tile pieces). */
  features(): GeoJSONFeature[] {
    return this.set && this.view.map.getSource(SOURCE) ? this.view.map.querySourceFeatures(SOURCE, { sourceLayer: LAYER }) : [];
  }

  // ---- labels: one per team, inside its largest loaded piece ----

  private schedule(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.updateLabels(), 80);
  }

  private updateLabels(): void {
    const map = this.view.map;
    this.placed = [];
    if (this.set && map.getZoom() >= LABEL_MIN_ZOOM) {
      const best = new Map<string, { size: number; f: GeoJSONFeature }>();
      for (const f of this.features()) {
        const team = String(f.properties.team ?? '');
        const size = extent(f);
        const b = best.get(team);
        if (team && (!b || size > b.size)) best.set(team, { size, f });
      }
      for (const [team, { f }] of best) {
        const g = f.geometry;
        const rings = g.type === 'Polygon' ? g.coordinates : g.type === 'MultiPolygon' ? largest(g.coordinates) : [];
        const p = interiorPoint(rings as number[][][]);
        if (p) this.placed.push({ team, lngLat: p });
      }
    }
    this.renderLabels();
  }

  private renderLabels(): void {
    const keep = new Set(this.placed.map((p) => p.team));
    for (const [team, el] of this.labelEls) {
      if (!keep.has(team)) {
        el.remove();
        this.labelEls.delete(team);
      }
    }
    for (const p of this.placed) {
      let el = this.labelEls.get(p.team);
      if (!el) {
        el = document.createElement('div');
        el.className = 'label team-label';
        el.textContent = p.team;
        this.labels.appendChild(el);
        this.labelEls.set(p.team, el);
      }
      el.classList.toggle('selected', p.team === this.selected);
    }
    this.position();
  }

  private position(): void {
    const map = this.view.map;
    for (const p of this.placed) {
      const el = this.labelEls.get(p.team);
      if (!el) continue;
      const pt = map.project(p.lngLat);
      el.style.transform = `translate(${Math.round(pt.x)}px, ${Math.round(pt.y)}px) translate(-50%, -50%)`;
    }
    this.container.dispatchEvent(new Event(LABELS_MOVED));
  }
}

/** The size of a feature's bounding box in degrees², to pick a team's largest piece. */
function extent(f: GeoJSONFeature): number {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const g = f.geometry;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  for (const poly of polys) {
    for (const [x, y] of poly[0] || []) {
      if (x < w) w = x;
      if (x > e) e = x;
      if (y < s) s = y;
      if (y > n) n = y;
    }
  }
  return w <= e ? (e - w) * (n - s) : 0;
}

/** The polygon of a multipolygon with the most vertices in its outer ring (a cheap "largest"). */
function largest(polys: number[][][][]): number[][][] {
  let best: number[][][] = [];
  for (const p of polys) if ((p[0]?.length || 0) > (best[0]?.length || 0)) best = p;
  return best;
}
