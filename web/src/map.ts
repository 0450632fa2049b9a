// The map: MapLibre GL JS drawing the server's vector tiles with no basemap. The areas are drawn
// twice over: a fill coloured by the chosen metric at the current threshold (a source per threshold,
// swapped without a flash once the new tiles are in), and a threshold-independent source for the
// outlines, hover and selection, which never reloads.

import maplibregl from 'maplibre-gl';
import type { ExpressionSpecification, FilterSpecification, GeoJSONFeature, MapGeoJSONFeature, MapMouseEvent, StyleSpecification } from 'maplibre-gl';

import { tileURL, type BBox, type TileJSON } from './api';
import { NO_DATA } from './palette';

export interface MapHandlers {
  hover(f: MapGeoJSONFeature | undefined, pcn: MapGeoJSONFeature | undefined, point: { x: number; y: number }): void;
  click(code: string | undefined): void;
  moved(): void;
}

export const AREAS = 'areas';
export const BASE = 'areas-base';
const BOUNDARIES = 'boundaries';
const PCN = 'pcn';

const INK = '#17212b';
const HOVER: ExpressionSpecification = ['boolean', ['feature-state', 'hover'], false];

/** Layer ids, bottom to top. */
export const L = {
  fill: (n: number) => `areas-fill-${n}`,
  pcnFill: 'pcn-fill',
  outline: 'areas-outline',
  boundaryHit: 'boundaries-hit',
  boundaryCasing: 'boundaries-casing',
  boundaryLine: 'boundaries-line',
  pcnCoreCasing: 'pcn-core-casing',
  pcnCore: 'pcn-core',
  selectedCasing: 'areas-selected-casing',
  selected: 'areas-selected',
};

const src = (n: number) => `${AREAS}-t${n}`;

export class MapView {
  readonly map: maplibregl.Map;
  private gen = 0; // the displayed fill's generation
  private nextGen = 0;
  /** The source of each fill generation: BASE (the threshold the page opened with) or areas-N. */
  private sourceOf = new Map<number, string>();
  private baseThreshold: string;
  private pending?: { gen: number; timer: number; onData: (e: maplibregl.MapSourceDataEvent) => void };
  private fillColour: unknown = NO_DATA;
  private fillOpacity = 1;
  private hovered?: string | number;
  private hasBoundaries: boolean;
  private boundaryKind: string;
  private pcnCode?: string;
  /** Screen space covered by the page's own overlays (the options card), kept clear by fit(). */
  inset = { top: 0, right: 0, bottom: 0, left: 0 };

  constructor(
    container: HTMLElement,
    tj: TileJSON,
    threshold: string,
    fillColour: unknown,
    view: { center: [number, number]; zoom: number } | undefined,
    hasBoundaries: boolean,
    boundaryKind: string,
    inset: { top: number; right: number; bottom: number; left: number },
    private handlers: MapHandlers,
  ) {
    this.inset = inset;
    this.fillColour = fillColour;
    this.hasBoundaries = hasBoundaries;
    this.boundaryKind = boundaryKind;
    this.baseThreshold = threshold;
    this.sourceOf.set(0, BASE);
    const maxzoom = tj.maxzoom || 12;
    const style: StyleSpecification = {
      version: 8,
      sources: {
        [BASE]: { type: 'vector', tiles: [tileURL(AREAS, { threshold })], minzoom: 0, maxzoom, bounds: tj.bounds },
      },
      // No background layer: the map's element has the colour (.map in style.css), so a frame drawn
      // before the tiles arrive costs nothing and the first frames go to the areas.
      layers: [
        this.fillLayer(0),
        {
          // The white edges between areas, and the hovered area's dark outline: one layer, so the
          // worker lays out the areas' lines once. Below zoom 6 the edges would be invisible and
          // cost the most (every area of England in view), so the layer starts there.
          id: L.outline,
          type: 'line',
          minzoom: 6,
          source: BASE,
          'source-layer': AREAS,
          paint: {
            'line-color': ['case', HOVER, INK, '#ffffff'],
            'line-opacity': ['interpolate', ['linear'], ['zoom'], 6, ['case', HOVER, 1, 0.1], 7, ['case', HOVER, 1, 0.35], 10, ['case', HOVER, 1, 0.7]],
            'line-width': ['interpolate', ['linear'], ['zoom'], 6, ['case', HOVER, 2.2, 0.2], 10, ['case', HOVER, 2.4, 0.6], 14, ['case', HOVER, 3, 1.4]],
          },
        },
        {
          id: L.selectedCasing,
          type: 'line',
          source: BASE,
          'source-layer': AREAS,
          filter: ['==', ['get', 'code'], ''],
          paint: { 'line-color': '#ffffff', 'line-width': 6, 'line-opacity': 0.9 },
        },
        {
          id: L.selected,
          type: 'line',
          source: BASE,
          'source-layer': AREAS,
          filter: ['==', ['get', 'code'], ''],
          paint: { 'line-color': INK, 'line-width': 2.8 },
        },
      ],
    };
    this.map = new maplibregl.Map({
      container,
      style,
      bounds: view ? undefined : (tj.bounds as [number, number, number, number]),
      fitBoundsOptions: { padding: this.padding(24) },
      center: view?.center,
      zoom: view?.zoom,
      minZoom: 3,
      maxZoom: 16,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      renderWorldCopies: false,
      // The style is built here, typed by TypeScript and covered by the end-to-end test: validating
      // it again on the main thread would only delay the first frame.
      validateStyle: false,
    } as maplibregl.MapOptions);
    this.map.touchZoomRotate.disableRotation();
    this.map.keyboard.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-right');
    this.map.getCanvas().setAttribute('aria-label', 'Map of England’s areas coloured by PCN overlap. Arrow keys pan, plus and minus zoom, Enter selects the area at the centre.');

    this.map.on('mousemove', (e) => this.onMove(e));
    this.map.on('mouseout', () => {
      this.setHover(undefined);
      this.handlers.hover(undefined, undefined, { x: 0, y: 0 });
    });
    this.map.on('click', (e) => {
      const f = this.featureAt(e.point);
      this.handlers.click(f?.properties?.code as string | undefined);
    });
    this.map.on('moveend', () => this.handlers.moved());
    // The outlines wait for the choropleth's first tiles: on the first view of England the page's
    // one map worker and its first frames then go to the areas, and the outlines follow a frame later.
    if (hasBoundaries) this.map.once('load', () => this.addBoundaries(tj));
  }

  /** Adds the context outlines (ICB, local authority…) under the selection's outline. */
  private addBoundaries(tj: TileJSON): void {
    const map = this.map;
    map.addSource(BOUNDARIES, { type: 'vector', tiles: [tileURL(BOUNDARIES, {})], minzoom: 0, maxzoom: tj.maxzoom || 12, bounds: tj.bounds });
    const kindFilter: FilterSpecification = ['==', ['get', 'kind'], this.boundaryKind];
    const layers: maplibregl.LayerSpecification[] = [
      { id: L.boundaryHit, type: 'fill', source: BOUNDARIES, 'source-layer': BOUNDARIES, filter: kindFilter, paint: { 'fill-opacity': 0 } },
      {
        id: L.boundaryCasing,
        type: 'line',
        source: BOUNDARIES,
        'source-layer': BOUNDARIES,
        filter: kindFilter,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': '#ffffff', 'line-opacity': 0.75, 'line-width': ['interpolate', ['linear'], ['zoom'], 5, 2, 10, 4.5] },
      },
      {
        id: L.boundaryLine,
        type: 'line',
        source: BOUNDARIES,
        'source-layer': BOUNDARIES,
        filter: kindFilter,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': '#2c3e50', 'line-width': ['interpolate', ['linear'], ['zoom'], 5, 0.8, 10, 1.8] },
      },
    ];
    for (const l of layers) map.addLayer(l, L.selectedCasing);
  }

  private fillLayer(n: number): maplibregl.FillLayerSpecification {
    return {
      id: L.fill(n),
      type: 'fill',
      source: this.sourceOf.get(n) || BASE,
      'source-layer': AREAS,
      paint: {
        'fill-color': this.fillColour as maplibregl.ExpressionSpecification,
        'fill-opacity': this.fillOpacity,
        'fill-antialias': false,
      },
    };
  }

  /** The areas-layer feature (at the displayed threshold) under a screen point. */
  featureAt(p: maplibregl.PointLike): MapGeoJSONFeature | undefined {
    return this.map.queryRenderedFeatures(p, { layers: [L.fill(this.gen)] })[0];
  }

  private onMove(e: MapMouseEvent): void {
    const f = this.featureAt(e.point);
    const pf = this.pcnCode && this.map.getLayer(L.pcnFill) ? this.map.queryRenderedFeatures(e.point, { layers: [L.pcnFill] })[0] : undefined;
    this.setHover(f?.id);
    this.map.getCanvas().style.cursor = f ? 'pointer' : '';
    this.handlers.hover(f, pf, e.point);
  }

  private setHover(id: string | number | undefined): void {
    if (id === this.hovered) return;
    if (this.hovered !== undefined) this.map.setFeatureState({ source: BASE, sourceLayer: AREAS, id: this.hovered }, { hover: false });
    this.hovered = id;
    if (id !== undefined) this.map.setFeatureState({ source: BASE, sourceLayer: AREAS, id }, { hover: true });
  }

  /** Colours the areas by a new expression (a new metric, or new classes). */
  setFill(colour: unknown, dimmed: boolean): void {
    this.fillColour = dimmed ? '#e3e7eb' : colour;
    this.fillOpacity = 1;
    for (const n of [this.gen, this.pending?.gen]) {
      if (n === undefined || !this.map.getLayer(L.fill(n))) continue;
      this.map.setPaintProperty(L.fill(n), 'fill-color', this.fillColour);
      this.map.setPaintProperty(L.fill(n), 'fill-opacity', this.fillOpacity);
    }
  }

  /**
   * Shows the areas at a new threshold: a new source and fill layer go above the displayed one, which
   * is removed once the new tiles of the view have loaded (or after 4 s), so the map never flashes.
   * The source the page opened with stays: the outlines, hover and selection are drawn from it.
   */
  setThreshold(threshold: string, colour: unknown): Promise<void> {
    if (!this.pcnCode && colour !== undefined) this.fillColour = colour;
    const map = this.map;
    if (this.pending) this.dropPending();
    const gen = ++this.nextGen;
    const id = threshold === this.baseThreshold ? BASE : src(gen);
    this.sourceOf.set(gen, id);
    if (id !== BASE) {
      const base = map.getSource(BASE) as maplibregl.VectorTileSource;
      map.addSource(id, { type: 'vector', tiles: [tileURL(AREAS, { threshold })], minzoom: 0, maxzoom: base.maxzoom, bounds: base.bounds });
    }
    map.addLayer(this.fillLayer(gen), this.layerAbove(L.fill(this.gen)));
    return new Promise((resolve) => {
      const done = () => {
        if (!this.pending || this.pending.gen !== gen) return resolve();
        map.off('sourcedata', onData);
        window.clearTimeout(this.pending.timer);
        this.pending = undefined;
        const old = this.gen;
        this.gen = gen;
        this.removeFill(old);
        resolve();
      };
      const onData = (e: maplibregl.MapSourceDataEvent) => {
        if (e.sourceId === id && map.isSourceLoaded(id)) done();
      };
      map.on('sourcedata', onData);
      this.pending = { gen, timer: window.setTimeout(done, 4000), onData };
      if (map.isSourceLoaded(id)) window.setTimeout(done, 0);
    });
  }

  private removeFill(n: number): void {
    const id = this.sourceOf.get(n);
    this.sourceOf.delete(n);
    if (this.map.getLayer(L.fill(n))) this.map.removeLayer(L.fill(n));
    if (id && id !== BASE && this.map.getSource(id)) this.map.removeSource(id);
  }

  private dropPending(): void {
    const p = this.pending;
    if (!p) return;
    this.map.off('sourcedata', p.onData);
    window.clearTimeout(p.timer);
    this.pending = undefined;
    this.removeFill(p.gen);
  }

  /** The id of the layer just above id, for inserting a layer right over it. */
  private layerAbove(id: string): string | undefined {
    const layers = this.map.getStyle().layers;
    const i = layers.findIndex((l) => l.id === id);
    return i >= 0 && i + 1 < layers.length ? layers[i + 1].id : undefined;
  }

  /** Draws the outlines of one context kind ("" for none). */
  setBoundaryKind(kind: string): void {
    this.boundaryKind = kind;
    if (!this.hasBoundaries || !this.map.getLayer(L.boundaryHit)) return;
    const f: FilterSpecification = ['==', ['get', 'kind'], kind];
    for (const id of [L.boundaryHit, L.boundaryCasing, L.boundaryLine]) this.map.setFilter(id, f);
  }

  /** Whether the threshold-independent areas source has loaded the tiles of the view. */
  areasLoaded(): boolean {
    return !!this.map.getSource(BASE) && this.map.isSourceLoaded(BASE);
  }

  /**
   * The unit of the drawn kind in view: the one at the centre of the visible map, or failing that
   * (the centre is outside every unit) the one most of the visible map shows.
   */
  unitInView(): { code: string; name: string; atCentre: boolean } | undefined {
    if (!this.hasBoundaries || !this.map.getLayer(L.boundaryHit)) return undefined;
    const name = (f: MapGeoJSONFeature) => String(f.properties.name || f.properties.code);
    const f = this.map.queryRenderedFeatures(this.visibleCentre(), { layers: [L.boundaryHit] })[0];
    if (f) return { code: String(f.properties.code), name: name(f), atCentre: true };
    // sample a grid over the visible map
    const c = this.map.getContainer();
    const i = this.inset;
    const votes = new Map<string, { n: number; f: MapGeoJSONFeature }>();
    for (let gy = 1; gy < 8; gy++) {
      for (let gx = 1; gx < 8; gx++) {
        const x = i.left + ((c.clientWidth - i.left - i.right) * gx) / 8;
        const y = i.top + ((c.clientHeight - i.top - i.bottom) * gy) / 8;
        const g = this.map.queryRenderedFeatures([x, y], { layers: [L.boundaryHit] })[0];
        if (!g) continue;
        const k = String(g.properties.code);
        const v = votes.get(k);
        if (v) v.n++;
        else votes.set(k, { n: 1, f: g });
      }
    }
    let best: { n: number; f: MapGeoJSONFeature } | undefined;
    for (const v of votes.values()) if (!best || v.n > best.n) best = v;
    return best ? { code: String(best.f.properties.code), name: name(best.f), atCentre: false } : undefined;
  }

  /** Outlines the selected area ("" for none). */
  setSelectedArea(code: string): void {
    const f: FilterSpecification = ['==', ['get', 'code'], code];
    this.map.setFilter(L.selectedCasing, f);
    this.map.setFilter(L.selected, f);
  }

  /** Shows where a PCN's patients live (code undefined hides it), its core footprint outlined. */
  setPCN(code: string | undefined, colour: unknown, core: string[]): void {
    const map = this.map;
    if (code !== this.pcnCode) {
      for (const id of [L.pcnFill, L.pcnCoreCasing, L.pcnCore]) if (map.getLayer(id)) map.removeLayer(id);
      if (map.getSource(PCN)) map.removeSource(PCN);
      this.pcnCode = code;
      if (!code) return;
      const base = map.getSource(BASE) as maplibregl.VectorTileSource;
      map.addSource(PCN, { type: 'vector', tiles: [tileURL(PCN, { pcn: code })], minzoom: 0, maxzoom: base.maxzoom });
      map.addLayer(
        {
          id: L.pcnFill,
          type: 'fill',
          source: PCN,
          'source-layer': PCN,
          paint: { 'fill-color': colour as maplibregl.ExpressionSpecification, 'fill-opacity': 0.9, 'fill-antialias': false },
        },
        L.outline,
      );
      const lineAt = L.selectedCasing;
      map.addLayer(
        {
          id: L.pcnCoreCasing,
          type: 'line',
          source: PCN,
          'source-layer': PCN,
          filter: ['in', ['get', 'code'], ['literal', core]],
          paint: { 'line-color': '#ffffff', 'line-width': 4.5, 'line-opacity': 0.85 },
        },
        lineAt,
      );
      map.addLayer(
        {
          id: L.pcnCore,
          type: 'line',
          source: PCN,
          'source-layer': PCN,
          filter: ['in', ['get', 'code'], ['literal', core]],
          paint: { 'line-color': INK, 'line-width': 2, 'line-dasharray': [2, 1] },
        },
        lineAt,
      );
      return;
    }
    if (!code) return;
    map.setPaintProperty(L.pcnFill, 'fill-color', colour);
    const f: FilterSpecification = ['in', ['get', 'code'], ['literal', core]];
    map.setFilter(L.pcnCoreCasing, f);
    map.setFilter(L.pcnCore, f);
  }

  /** Loaded features of the threshold-independent areas source (for the labels). */
  areaFeatures(): GeoJSONFeature[] {
    return this.map.querySourceFeatures(BASE, { sourceLayer: AREAS });
  }

  /** The view's centre and zoom. */
  view(): { lon: number; lat: number; zoom: number } {
    const c = this.map.getCenter();
    return { lon: c.lng, lat: c.lat, zoom: this.map.getZoom() };
  }

  fit(b: BBox, maxZoom = 12): void {
    this.map.fitBounds(
      [
        [b[0], b[1]],
        [b[2], b[3]],
      ],
      { padding: this.padding(48), maxZoom, duration: matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 700 },
    );
  }

  private padding(p: number) {
    const i = this.inset;
    return { top: i.top + p, right: i.right + p, bottom: i.bottom + p, left: i.left + p };
  }

  /** The screen point at the middle of the part of the map not covered by overlays. */
  visibleCentre(): [number, number] {
    const c = this.map.getContainer();
    const i = this.inset;
    return [(i.left + c.clientWidth - i.right) / 2, (i.top + c.clientHeight - i.bottom) / 2];
  }

  /** Whether every tile of the view is loaded and drawn. */
  settled(): boolean {
    return this.map.loaded() && !this.pending;
  }
}

/**
 * Starts MapLibre's worker while the page fetches what it needs to create the map. index.html
 * already started one, from the same script (see build.mjs), before the bundle had even compiled:
 * MapLibre is given that one when it asks for its first worker, so the worker's compile runs on the
 * second core alongside the bundle's, and the first tiles find it ready.
 */
export function prewarm(early?: Worker): void {
  if (early) {
    const Native = window.Worker;
    window.Worker = function (url: string | URL, opts?: WorkerOptions) {
      window.Worker = Native;
      return String(url) === MAPLIBRE_WORKER ? early : new Native(url, opts);
    } as unknown as typeof Worker;
  }
  maplibregl.setWorkerUrl(MAPLIBRE_WORKER);
  maplibregl.prewarm();
}

/** The bounding box of a set of features' geometries. */
export function featuresBBox(fs: GeoJSONFeature[]): BBox | undefined {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      const [x, y] = c as number[];
      if (x < w) w = x;
      if (x > e) e = x;
      if (y < s) s = y;
      if (y > n) n = y;
    } else if (Array.isArray(c)) for (const d of c) visit(d);
  };
  for (const f of fs) if (f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon') visit(f.geometry.coordinates);
  return w <= e ? [w, s, e, n] : undefined;
}
