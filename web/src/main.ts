// pcnmap's map page: wires the map, the controls, the panels and the URL together.

import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';

import type { MapGeoJSONFeature } from 'maplibre-gl';

import { api, APIError, type Area, type Overlaps, type PCN, type SearchResult, type Summary, type TileJSON } from './api';
import { download } from './csv';
import { $, announce, h, replace } from './dom';
import { displayName, fmtDate } from './format';
import { InView } from './inview';
import { Labels } from './labels';
import { renderLegend, renderMiniLegend } from './legend';
import { MapView, prewarm } from './map';
import { METRIC_DEFS, PCN_SHADES } from './metrics';
import type { Scale } from './palette';
import { setupSearch } from './search';
import { areaCSV, pcnCSV, renderArea, renderMessage, renderPCN, type SelectionActions } from './selection';
import { apiThreshold, formatPercent, METRICS, parsePercent, readHash, writeHash, type Metric, type PCNShade, type State } from './state';
import { changed, Store, type SetOptions } from './store';
import { KIND_NAMES, outlineKinds, renderSummary } from './summary';
import { TeamsUI } from './teams';

const PRESETS = [0, 0.5, 1, 2, 5, 10];

const ui = {
  map: $('#map'),
  metric: $<HTMLSelectElement>('#metric'),
  presets: $('#threshold-presets'),
  thresholdInput: $<HTMLInputElement>('#threshold-input'),
  thresholdForm: $<HTMLFormElement>('#threshold-form'),
  thresholdError: $('#threshold-error'),
  outlines: $<HTMLSelectElement>('#outlines'),
  legend: $('#legend'),
  selection: $('#selection'),
  summary: $('#summary'),
  panel: $('#panel'),
  panelToggle: $<HTMLButtonElement>('#panel-toggle'),
  tooltip: $('#tooltip'),
  release: $('#release'),
  searchInput: $<HTMLInputElement>('#search-input'),
  searchList: $<HTMLUListElement>('#search-list'),
  controls: $('#controls'),
  controlsToggle: $<HTMLButtonElement>('#controls-toggle'),
  miniLegend: $('#legend-mini'),
};

/**
 * The page's state: what the URL says, and the summary the colours are scaled to. It changes only
 * through store.setState; the subscriber below (follow) keeps the URL, the map and the panels in step.
 */
type Page = State & { summary?: Summary; summaryError?: string };
const store = new Store<Page>(readHash(location.hash));
let tj: TileJSON;
let view: MapView | undefined;
let scale: Scale;
let area: Area | undefined;
let pcn: PCN | undefined;
let overlaps: Overlaps | undefined;
let selCtrl: AbortController | undefined;
let sumCtrl: AbortController | undefined;
let teams: TeamsUI | undefined;

/** Whether the server has the JSON API (false when it serves a pre-built MBTiles file only). */
let hasAPI = true;

// ---- the URL ----

let urlTimer = 0;
function writeURL(push = false): void {
  window.clearTimeout(urlTimer);
  const go = () => {
    const hash = writeHash(store.state);
    if (hash === location.hash) return;
    if (push) history.pushState(null, '', hash);
    else history.replaceState(null, '', hash);
  };
  if (push) go();
  else urlTimer = window.setTimeout(go, 250);
}

/** The map's current view, for the state. */
function currentView(m: MapView) {
  const v = m.view();
  return { zoom: v.zoom, lat: v.lat, lon: v.lon };
}

// ---- the state drives the URL, the map and the panels ----

/** The keys of the state the URL holds. */
const URL_KEYS: (keyof State)[] = ['view', 'threshold', 'metric', 'bounds', 'area', 'pcn', 'shade', 'teams', 'team', 'moves', 'pmoves'];

function follow(s: Readonly<Page>, prev: Readonly<Page>, opts: SetOptions): void {
  if (s.threshold !== prev.threshold) renderThresholdControls();
  if (!view) return; // the map is being made: start() draws the first state
  if (changed(s, prev, ...URL_KEYS)) writeURL(opts.push);
  if (s.metric !== prev.metric) ui.metric.value = s.metric;
  if (s.area !== prev.area) view.setSelectedArea(s.area ?? '');
  if (prev.pcn && !s.pcn) view.setPCN(undefined, null, []);
  if (changed(s, prev, 'metric', 'summary') || (prev.pcn && !s.pcn)) recolour();
  if (s.shade !== prev.shade && s.pcn) showPCN();
  if (changed(s, prev, 'metric', 'summary', 'summaryError')) renderSummaryNow();
  if ((s.bounds ?? '') !== (prev.bounds ?? '')) {
    ui.outlines.value = s.bounds ?? '';
    view.setBoundaryKind(s.bounds ?? '');
    void idle().then(renderSummaryNow);
  }
}
store.subscribe(follow);

// ---- colours and legend ----

function metricScale(): Scale {
  return METRIC_DEFS[store.state.metric].scale(store.state.summary);
}

function pcnScale(): Scale {
  return PCN_SHADES[store.state.shade].scale();
}

function renderLegendNow(): void {
  const state = store.state;
  if (state.pcn) {
    const d = PCN_SHADES[state.shade];
    renderLegend(ui.legend, d.title, pcnScale(), pcn ? `${displayName(pcn.name)}. Outlined: its core footprint (${Math.round(pcn.core_share * 100)}% of its patients).` : undefined);
    renderMiniLegend(ui.miniLegend, d.title, pcnScale());
  } else {
    const d = METRIC_DEFS[state.metric];
    renderLegend(ui.legend, d.title(state.threshold), scale, d.note);
    renderMiniLegend(ui.miniLegend, d.title(state.threshold), scale);
  }
}

function recolour(): void {
  scale = metricScale();
  view?.setFill(scale.expression, !!store.state.pcn);
  renderLegendNow();
}

// ---- summary ----

function inView() {
  const kind = store.state.bounds ?? '';
  return { kind, unit: kind ? view?.unitInView() : undefined };
}

function renderSummaryNow(): void {
  const s = store.state;
  renderSummary(ui.summary, s.summary, s.threshold, s.metric === 'pcns' ? scale : undefined, inView(), s.summaryError);
}

/** What index.html started fetching before the bundle ran. */
interface Boot {
  t: string;
  worker?: Worker;
  tileJSON: Promise<TileJSON>;
  summary: Promise<Summary>;
}
const boot = (window as unknown as { pcnmapBoot?: Boot }).pcnmapBoot;

/** Fetches the summary at threshold t, as the state's summary and summaryError; throws AbortError when superseded. */
async function loadSummary(t: number, early?: Promise<Summary>): Promise<Pick<Page, 'summary' | 'summaryError'>> {
  sumCtrl?.abort();
  sumCtrl = new AbortController();
  try {
    return { summary: await (early || api.summary(apiThreshold(t), sumCtrl.signal)), summaryError: undefined };
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    if (e instanceof APIError && e.status === 404) hasAPI = false;
    return {
      summary: undefined,
      summaryError: e instanceof APIError && e.status === 404 ? 'This server has no workspace loaded (pre-built tiles only).' : `The summary could not be loaded: ${(e as Error).message}`,
    };
  }
}

// ---- threshold ----

function renderThresholdControls(): void {
  const t = store.state.threshold;
  ui.presets.querySelectorAll<HTMLButtonElement>('button').forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.t) === t)));
  if (document.activeElement !== ui.thresholdInput) ui.thresholdInput.value = String(t);
}

let thresholdSeq = 0;
async function setThreshold(t: number): Promise<void> {
  if (!view || (t === store.state.threshold && store.state.summary)) return;
  const map = view;
  store.setState({ threshold: t });
  const seq = ++thresholdSeq;
  const started = performance.now();
  let loaded;
  try {
    loaded = await loadSummary(t);
  } catch {
    return; // superseded
  }
  if (seq !== thresholdSeq) return;
  // The new tiles come with the new colours; the state's new summary recolours the rest.
  scale = METRIC_DEFS[store.state.metric].scale(loaded.summary);
  const swapped = map.setThreshold(apiThreshold(t), store.state.pcn ? undefined : scale.expression);
  store.setState(loaded);
  void refreshSelection();
  void teams?.setThreshold(t);
  const sum = store.state.summary;
  announce(`Threshold ${formatPercent(t)}: ${sum ? `mean ${sum.areas.pcns.mean.toFixed(2)} PCNs per area` : ''}`);
  await swapped;
  if (seq === thresholdSeq) (window as unknown as { pcnmap: Record<string, unknown> }).pcnmap.lastThresholdMs = performance.now() - started;
}

// ---- selection ----

const actions: SelectionActions = {
  selectArea: (code) => void selectArea(code, { fly: true, push: true }),
  selectPCN: (code) => void selectPCN(code, { fly: true, push: true }),
  close: () => clearSelection(true),
  download: () => {
    const t = `${store.state.threshold}pct`;
    if (store.state.pcn && pcn) download(`pcnmap-pcn-${pcn.code}-t${t}.csv`, pcnCSV(pcn));
    else if (area) download(`pcnmap-area-${area.code}-t${t}.csv`, areaCSV(area));
  },
  setShade: (shade: PCNShade) => store.setState({ shade }),
};

function showPanel(open: boolean): void {
  ui.panel.classList.toggle('open', open);
  ui.panelToggle.setAttribute('aria-expanded', String(open));
}

function clearSelection(push: boolean): void {
  selCtrl?.abort();
  area = pcn = overlaps = undefined;
  store.setState({ area: undefined, pcn: undefined }, { push });
  ui.selection.hidden = true;
  replace(ui.selection);
  teams?.areaSelected(undefined);
  ui.panelToggle.textContent = 'Summary';
}

async function selectArea(code: string, opts: { fly?: boolean; push?: boolean } = {}): Promise<void> {
  if (!hasAPI) return;
  selCtrl?.abort();
  const ctrl = (selCtrl = new AbortController());
  pcn = overlaps = undefined;
  store.setState({ pcn: undefined, area: code }, { push: opts.push });
  ui.selection.hidden = false;
  if (!area || area.code !== code) renderMessage(ui.selection, code, 'Loading…', false, actions);
  try {
    area = await api.area(code, apiThreshold(store.state.threshold), ctrl.signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    renderMessage(ui.selection, code, e instanceof APIError && e.status === 404 ? `No area ${code} in this workspace.` : `Could not load ${code}: ${(e as Error).message}`, true, actions);
    return;
  }
  renderArea(ui.selection, area, store.state.threshold, actions, store.state.summary?.coverage?.region);
  teams?.areaSelected(area);
  ui.panelToggle.textContent = 'Area details';
  announce(`${area.name}: ${area.pcns} PCNs at ${formatPercent(store.state.threshold)}`);
  if (opts.fly) view?.fit(area.bbox, 13);
}

function showPCN(): void {
  if (!pcn || !view) return;
  const core = pcn.area_shares.filter((a) => a.core).map((a) => a.code);
  view.setPCN(pcn.code, pcnScale().expression, core);
  view.setFill(scale.expression, true);
  renderPCN(ui.selection, pcn, overlaps, store.state.threshold, store.state.shade, pcnScale(), actions);
  renderLegendNow();
}

async function selectPCN(code: string, opts: { fly?: boolean; push?: boolean } = {}): Promise<void> {
  if (!hasAPI) return;
  selCtrl?.abort();
  const ctrl = (selCtrl = new AbortController());
  area = undefined;
  store.setState({ area: undefined, pcn: code }, { push: opts.push });
  ui.selection.hidden = false;
  if (!pcn || pcn.code !== code) renderMessage(ui.selection, code, 'Loading…', false, actions);
  const t = apiThreshold(store.state.threshold);
  const ovP = api.overlaps(code, t, ctrl.signal).catch(() => undefined);
  try {
    pcn = await api.pcn(code, t, ctrl.signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    renderMessage(ui.selection, code, e instanceof APIError && e.status === 404 ? `No PCN ${code} in this workspace.` : `Could not load ${code}: ${(e as Error).message}`, true, actions);
    return;
  }
  overlaps = undefined;
  showPCN();
  ui.panelToggle.textContent = 'PCN details';
  announce(`${displayName(pcn.name)}: list size ${pcn.list_size}`);
  const box = pcn.core_bbox ?? pcn.bbox;
  if (opts.fly && box) view?.fit(box, 12);
  overlaps = await ovP;
  if (ctrl.signal.aborted || store.state.pcn !== code) return;
  renderPCN(ui.selection, pcn, overlaps, store.state.threshold, store.state.shade, pcnScale(), actions);
}

async function refreshSelection(): Promise<void> {
  const s = store.state;
  if (s.pcn) await selectPCN(s.pcn);
  else if (s.area) await selectArea(s.area);
}

const idle = () => new Promise<void>((r) => view?.map.once('idle', () => r()));

// ---- hover ----

function onHover(f: MapGeoJSONFeature | undefined, pf: MapGeoJSONFeature | undefined, pt: { x: number; y: number }): void {
  const tip = ui.tooltip;
  if (!f) {
    tip.hidden = true;
    return;
  }
  const p = f.properties;
  let line: string;
  const s = store.state;
  if (s.pcn) {
    line = pf ? PCN_SHADES[s.shade].describe(pf.properties[s.shade] as number) : 'none of the PCN’s patients live here';
  } else {
    line = METRIC_DEFS[s.metric].describe(p[s.metric] as number | null, s.threshold);
  }
  const team = teams?.teamAt(pt);
  replace(tip, h('strong', null, String(p.name ?? '')), h('span', { class: 'muted' }, ` ${p.code ?? ''}`), h('br'), line, team ? [h('br'), `Team: ${team}`] : null);
  tip.hidden = false;
  const r = ui.map.getBoundingClientRect();
  const x = Math.min(pt.x + 14, r.width - tip.offsetWidth - 8);
  const y = pt.y + 14 + tip.offsetHeight > r.height ? pt.y - tip.offsetHeight - 10 : pt.y + 14;
  tip.style.transform = `translate(${Math.max(4, x)}px, ${y}px)`;
}

// ---- controls ----

function setupControls(map: MapView, kinds: string[]): void {
  const state = store.state;
  replace(
    ui.metric,
    METRICS.map((m) => h('option', { value: m, selected: m === state.metric }, METRIC_DEFS[m].label)),
  );
  ui.metric.addEventListener('change', () => store.setState({ metric: ui.metric.value as Metric }));
  replace(
    ui.presets,
    PRESETS.map((t) =>
      h(
        'button',
        { type: 'button', class: 'chip', 'data-t': t, 'aria-pressed': String(t === state.threshold), onclick: () => void setThreshold(t) },
        formatPercent(t),
      ),
    ),
  );
  ui.thresholdForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const t = parsePercent(ui.thresholdInput.value);
    if (t === undefined) {
      ui.thresholdError.textContent = 'Enter a percentage from 0 to 100.';
      ui.thresholdInput.setAttribute('aria-invalid', 'true');
      return;
    }
    ui.thresholdError.textContent = '';
    ui.thresholdInput.removeAttribute('aria-invalid');
    void setThreshold(t);
  });
  ui.thresholdInput.addEventListener('change', () => ui.thresholdForm.requestSubmit());
  renderThresholdControls();

  replace(
    ui.outlines,
    h('option', { value: '' }, 'None'),
    kinds.map((k) => h('option', { value: k, selected: k === state.bounds }, KIND_NAMES[k] || k)),
  );
  ui.outlines.value = state.bounds ?? '';
  ui.outlines.disabled = kinds.length === 0;
  ui.outlines.addEventListener('change', () => store.setState({ bounds: ui.outlines.value }));

  ui.panelToggle.addEventListener('click', () => showPanel(!ui.panel.classList.contains('open')));
  ui.controlsToggle.addEventListener('click', () => {
    const open = !ui.controls.classList.contains('open');
    ui.controls.classList.toggle('open', open);
    ui.controlsToggle.setAttribute('aria-expanded', String(open));
  });

  setupSearch(ui.searchInput, ui.searchList, (r: SearchResult) => {
    if (r.type === 'pcn') void selectPCN(r.code, { fly: true, push: true });
    else void selectArea(r.code, { fly: true, push: true });
    if (phone()) showPanel(true);
  });

  // Keyboard: a crosshair marks the middle of the visible map while the map has the focus, and
  // Enter (or Space) selects the area under it; Escape closes the selection from anywhere but the
  // search box.
  const canvas = map.map.getCanvas();
  const cross = h('div', { class: 'crosshair', 'aria-hidden': 'true', hidden: true });
  ui.map.appendChild(cross);
  const placeCross = () => {
    const [x, y] = map.visibleCentre();
    cross.style.transform = `translate(${x}px, ${y}px)`;
  };
  canvas.addEventListener('focus', () => {
    if (!canvas.matches(':focus-visible')) return;
    placeCross();
    cross.hidden = false;
  });
  canvas.addEventListener('blur', () => (cross.hidden = true));
  window.addEventListener('resize', placeCross);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.target === ui.searchInput || !(store.state.area || store.state.pcn)) return;
    clearSelection(true);
  });
  canvas.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const f = map.featureAt(map.visibleCentre());
    if (f?.properties?.code) {
      e.preventDefault();
      void selectArea(String(f.properties.code), { push: true });
    }
  });
}

// ---- the state from the URL (start, back/forward) ----

async function applyState(next: State): Promise<void> {
  if (!view) return;
  const prev = store.state;
  if (next.view) {
    const v = view.view();
    if (Math.abs(v.lon - next.view.lon) > 1e-4 || Math.abs(v.lat - next.view.lat) > 1e-4 || Math.abs(v.zoom - next.view.zoom) > 0.01) {
      view.map.jumpTo({ center: [next.view.lon, next.view.lat], zoom: next.view.zoom });
    }
  }
  // Every key of the URL, absent ones cleared; the threshold through setThreshold (new summary, new tiles).
  const patch: Partial<Page> = {};
  for (const k of URL_KEYS) (patch as Record<string, unknown>)[k] = next[k];
  patch.threshold = prev.threshold;
  store.setState(patch);
  if (next.threshold !== prev.threshold) await setThreshold(next.threshold);
  if (next.pcn) {
    if (next.pcn !== pcn?.code || !prev.pcn) await selectPCN(next.pcn, { fly: !next.view });
    else showPCN();
  } else if (next.area) {
    if (next.area !== area?.code || prev.pcn) await selectArea(next.area, { fly: !next.view });
  } else if (prev.area || prev.pcn) clearSelection(false);
  await teams?.applyState(store.state);
}

// ---- start ----

const phone = () => matchMedia('(max-width: 720px)').matches;

/** The part of the map the options card covers, on wide screens (on phones it collapses). */
function overlayInset() {
  const wide = window.innerWidth > 720;
  const r = ui.controls.getBoundingClientRect();
  const m = ui.map.getBoundingClientRect();
  return { top: 0, right: 0, bottom: 0, left: wide ? Math.max(0, r.right - m.left) : 0 };
}

async function start(): Promise<void> {
  performance.mark('pcnmap-start');
  const w = window as unknown as { pcnmap: Record<string, unknown> };
  w.pcnmap = { ready: false };
  prewarm(boot?.worker);
  let kinds: string[] = [];
  try {
    const early = boot && boot.t === String(store.state.threshold) ? boot : undefined;
    const [tileJSON, loaded] = await Promise.all([early?.tileJSON || api.tileJSON('areas'), loadSummary(store.state.threshold, early?.summary)]);
    tj = tileJSON;
    store.setState(loaded);
    performance.mark('pcnmap-tilejson');
  } catch (e) {
    document.getElementById('loading')?.remove();
    replace(ui.map, h('div', { class: 'fatal', role: 'alert' }, h('h2', null, 'The map could not load'), h('p', null, (e as Error).message)));
    return;
  }
  const summary = store.state.summary;
  kinds = outlineKinds(summary);
  const b0 = store.state.bounds;
  if (b0 === undefined || (b0 && !kinds.includes(b0))) store.setState({ bounds: kinds[0] ?? '' });
  const state = store.state;
  if (summary) {
    ui.release.textContent = `Release ${summary.release}${summary.extract_date ? ` · registrations ${fmtDate(summary.extract_date)}` : ''}`;
  }
  scale = metricScale();
  const v = state.view;
  const map = new MapView(
    ui.map,
    tj,
    apiThreshold(state.threshold),
    state.pcn ? '#e3e7eb' : scale.expression,
    v ? { center: [v.lon, v.lat], zoom: v.zoom } : undefined,
    kinds.length > 0,
    state.bounds ?? '',
    overlayInset(),
    {
      hover: onHover,
      click: (code) => {
        if (code) {
          void selectArea(code, { push: true });
          if (phone()) showPanel(true);
        } else if (store.state.area) clearSelection(true);
      },
      moved: () => {
        store.setState({ view: currentView(map) });
        renderSummaryNow();
      },
    },
  );
  view = map;
  performance.mark('pcnmap-map');
  w.pcnmap.map = map.map;
  w.pcnmap.view = map;
  new Labels(map, ui.map);
  new InView(map, $('#controls-body'), (code) => void selectArea(code, { push: true }));
  window.addEventListener('resize', () => (map.inset = overlayInset()));
  setupControls(map, kinds);
  if (hasAPI) {
    teams = new TeamsUI({
      view: map, mapEl: ui.map, field: $('#teams-field'), select: $<HTMLSelectElement>('#teams-set'), importButton: $<HTMLButtonElement>('#teams-import'), designButton: $<HTMLButtonElement>('#teams-design'), section: $('#teams'),
      state: () => store.state, setState: (patch, opts) => store.setState(patch, opts), selectPCN: actions.selectPCN,
    });
    void teams.start();
  }
  renderLegendNow();
  map.map.once('load', () => {
    performance.mark('pcnmap-load');
    const s = store.state;
    if (s.pcn) void selectPCN(s.pcn, { fly: !s.view });
    else if (s.area) void selectArea(s.area, { fly: !s.view });
    if (!s.view) store.setState({ view: currentView(map) });
  });
  map.map.once('data', () => performance.mark('pcnmap-first-data'));
  // The areas' first tiles on screen: the first frame drawn after their source has loaded.
  const painted = () => {
    if (!map.areasLoaded()) return;
    map.map.off('sourcedata', painted);
    map.map.once('render', () => {
      performance.mark('pcnmap-areas-painted');
      document.getElementById('loading')?.remove();
      w.pcnmap.areasPainted = performance.now();
      renderSummaryNow();
    });
  };
  map.map.on('sourcedata', painted);
  map.map.once('idle', () => {
    performance.mark('pcnmap-first-idle');
    document.getElementById('loading')?.remove();
    w.pcnmap.firstIdle = performance.now();
    w.pcnmap.ready = true;
    renderSummaryNow();
  });
  window.addEventListener('popstate', () => void applyState(readHash(location.hash)));
  window.addEventListener('hashchange', () => {
    const next = readHash(location.hash);
    if (writeHash(next) !== writeHash(store.state)) void applyState(next);
  });
  if (!hasAPI) {
    ui.searchInput.disabled = true;
    ui.thresholdInput.disabled = true;
  }
}

void start();
