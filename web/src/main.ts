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

let state: State = readHash(location.hash);
let tj: TileJSON;
let summary: Summary | undefined;
let summaryError: string | undefined;
let view: MapView;
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
    if (view) {
      const v = view.view();
      state.view = { zoom: v.zoom, lat: v.lat, lon: v.lon };
    }
    const hash = writeHash(state);
    if (hash === location.hash) return;
    if (push) history.pushState(null, '', hash);
    else history.replaceState(null, '', hash);
  };
  if (push) go();
  else urlTimer = window.setTimeout(go, 250);
}

// ---- colours and legend ----

function metricScale(): Scale {
  return METRIC_DEFS[state.metric].scale(summary);
}

function pcnScale(): Scale {
  return PCN_SHADES[state.shade].scale();
}

function renderLegendNow(): void {
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
  view.setFill(scale.expression, !!state.pcn);
  renderLegendNow();
}

// ---- summary ----

function inView() {
  const kind = state.bounds ?? '';
  return { kind, unit: kind ? view?.unitInView() : undefined };
}

function renderSummaryNow(): void {
  renderSummary(ui.summary, summary, state.threshold, state.metric === 'pcns' ? scale : undefined, inView(), summaryError);
}

/** What index.html started fetching before the bundle ran. */
interface Boot {
  t: string;
  worker?: Worker;
  tileJSON: Promise<TileJSON>;
  summary: Promise<Summary>;
}
const boot = (window as unknown as { pcnmapBoot?: Boot }).pcnmapBoot;

async function loadSummary(t: number, early?: Promise<Summary>): Promise<void> {
  sumCtrl?.abort();
  sumCtrl = new AbortController();
  try {
    summary = await (early || api.summary(apiThreshold(t), sumCtrl.signal));
    summaryError = undefined;
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    summary = undefined;
    summaryError = e instanceof APIError && e.status === 404 ? 'This server has no workspace loaded (pre-built tiles only).' : `The summary could not be loaded: ${(e as Error).message}`;
    if (e instanceof APIError && e.status === 404) hasAPI = false;
  }
}

// ---- threshold ----

function renderThresholdControls(): void {
  ui.presets.querySelectorAll<HTMLButtonElement>('button').forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.t) === state.threshold)));
  if (document.activeElement !== ui.thresholdInput) ui.thresholdInput.value = String(state.threshold);
}

let thresholdSeq = 0;
async function setThreshold(t: number): Promise<void> {
  if (t === state.threshold && summary) return;
  state.threshold = t;
  renderThresholdControls();
  writeURL();
  const seq = ++thresholdSeq;
  const started = performance.now();
  try {
    await loadSummary(t);
  } catch {
    return; // superseded
  }
  if (seq !== thresholdSeq) return;
  scale = metricScale();
  const swapped = view.setThreshold(apiThreshold(t), state.pcn ? undefined : scale.expression);
  if (!state.pcn) view.setFill(scale.expression, false);
  renderLegendNow();
  renderSummaryNow();
  void refreshSelection();
  void teams?.setThreshold(t);
  announce(`Threshold ${formatPercent(t)}: ${summary ? `mean ${summary.areas.pcns.mean.toFixed(2)} PCNs per area` : ''}`);
  await swapped;
  if (seq === thresholdSeq) (window as unknown as { pcnmap: Record<string, unknown> }).pcnmap.lastThresholdMs = performance.now() - started;
}

// ---- selection ----

const actions: SelectionActions = {
  selectArea: (code) => void selectArea(code, { fly: true, push: true }),
  selectPCN: (code) => void selectPCN(code, { fly: true, push: true }),
  close: () => clearSelection(true),
  download: () => {
    const t = `${state.threshold}pct`;
    if (state.pcn && pcn) download(`pcnmap-pcn-${pcn.code}-t${t}.csv`, pcnCSV(pcn));
    else if (area) download(`pcnmap-area-${area.code}-t${t}.csv`, areaCSV(area));
  },
  setShade: (shade: PCNShade) => {
    state.shade = shade;
    writeURL();
    showPCN();
  },
};

function showPanel(open: boolean): void {
  ui.panel.classList.toggle('open', open);
  ui.panelToggle.setAttribute('aria-expanded', String(open));
}

function clearSelection(push: boolean): void {
  selCtrl?.abort();
  const wasPCN = !!state.pcn;
  state.area = state.pcn = undefined;
  area = pcn = overlaps = undefined;
  ui.selection.hidden = true;
  replace(ui.selection);
  view.setSelectedArea('');
  teams?.areaSelected(undefined);
  if (wasPCN) {
    view.setPCN(undefined, null, []);
    recolour();
  }
  writeURL(push);
  ui.panelToggle.textContent = 'Summary';
}

async function selectArea(code: string, opts: { fly?: boolean; push?: boolean } = {}): Promise<void> {
  if (!hasAPI) return;
  selCtrl?.abort();
  const ctrl = (selCtrl = new AbortController());
  const wasPCN = !!state.pcn;
  state.pcn = undefined;
  state.area = code;
  pcn = overlaps = undefined;
  if (wasPCN) {
    view.setPCN(undefined, null, []);
    recolour();
  }
  view.setSelectedArea(code);
  writeURL(opts.push);
  ui.selection.hidden = false;
  if (!area || area.code !== code) renderMessage(ui.selection, code, 'Loading…', false, actions);
  try {
    area = await api.area(code, apiThreshold(state.threshold), ctrl.signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    renderMessage(ui.selection, code, e instanceof APIError && e.status === 404 ? `No area ${code} in this workspace.` : `Could not load ${code}: ${(e as Error).message}`, true, actions);
    return;
  }
  renderArea(ui.selection, area, state.threshold, actions);
  teams?.areaSelected(area);
  ui.panelToggle.textContent = 'Area details';
  announce(`${area.name}: ${area.pcns} PCNs at ${formatPercent(state.threshold)}`);
  if (opts.fly) view.fit(area.bbox, 13);
}

function showPCN(): void {
  if (!pcn) return;
  const core = pcn.area_shares.filter((a) => a.core).map((a) => a.code);
  view.setPCN(pcn.code, pcnScale().expression, core);
  view.setFill(scale.expression, true);
  renderPCN(ui.selection, pcn, overlaps, state.threshold, state.shade, pcnScale(), actions);
  renderLegendNow();
}

async function selectPCN(code: string, opts: { fly?: boolean; push?: boolean } = {}): Promise<void> {
  if (!hasAPI) return;
  selCtrl?.abort();
  const ctrl = (selCtrl = new AbortController());
  state.area = undefined;
  state.pcn = code;
  area = undefined;
  view.setSelectedArea('');
  writeURL(opts.push);
  ui.selection.hidden = false;
  if (!pcn || pcn.code !== code) renderMessage(ui.selection, code, 'Loading…', false, actions);
  const t = apiThreshold(state.threshold);
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
  if (opts.fly && box) view.fit(box, 12);
  overlaps = await ovP;
  if (ctrl.signal.aborted || state.pcn !== code) return;
  renderPCN(ui.selection, pcn, overlaps, state.threshold, state.shade, pcnScale(), actions);
}

async function refreshSelection(): Promise<void> {
  if (state.pcn) await selectPCN(state.pcn);
  else if (state.area) await selectArea(state.area);
}

const idle = () => new Promise<void>((r) => view.map.once('idle', () => r()));

// ---- hover ----

function onHover(f: MapGeoJSONFeature | undefined, pf: MapGeoJSONFeature | undefined, pt: { x: number; y: number }): void {
  const tip = ui.tooltip;
  if (!f) {
    tip.hidden = true;
    return;
  }
  const p = f.properties;
  let line: string;
  if (state.pcn) {
    line = pf ? PCN_SHADES[state.shade].describe(pf.properties[state.shade] as number) : 'none of the PCN’s patients live here';
  } else {
    line = METRIC_DEFS[state.metric].describe(p[state.metric] as number | null, state.threshold);
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

function setupControls(kinds: string[]): void {
  replace(
    ui.metric,
    METRICS.map((m) => h('option', { value: m, selected: m === state.metric }, METRIC_DEFS[m].label)),
  );
  ui.metric.addEventListener('change', () => {
    state.metric = ui.metric.value as Metric;
    writeURL();
    recolour();
    renderSummaryNow();
  });
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
  ui.outlines.addEventListener('change', () => {
    state.bounds = ui.outlines.value;
    view.setBoundaryKind(state.bounds);
    writeURL();
    void idle().then(renderSummaryNow);
  });

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
  const canvas = view.map.getCanvas();
  const cross = h('div', { class: 'crosshair', 'aria-hidden': 'true', hidden: true });
  ui.map.appendChild(cross);
  const placeCross = () => {
    const [x, y] = view.visibleCentre();
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
    if (e.key !== 'Escape' || e.target === ui.searchInput || !(state.area || state.pcn)) return;
    clearSelection(true);
  });
  canvas.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const f = view.featureAt(view.visibleCentre());
    if (f?.properties?.code) {
      e.preventDefault();
      void selectArea(String(f.properties.code), { push: true });
    }
  });
}

// ---- the state from the URL (start, back/forward) ----

async function applyState(next: State): Promise<void> {
  const prev = state;
  state = next;
  if (next.view) {
    const v = view.view();
    if (Math.abs(v.lon - next.view.lon) > 1e-4 || Math.abs(v.lat - next.view.lat) > 1e-4 || Math.abs(v.zoom - next.view.zoom) > 0.01) {
      view.map.jumpTo({ center: [next.view.lon, next.view.lat], zoom: next.view.zoom });
    }
  }
  ui.metric.value = next.metric;
  if ((next.bounds ?? '') !== (prev.bounds ?? '')) {
    ui.outlines.value = next.bounds ?? '';
    view.setBoundaryKind(next.bounds ?? '');
  }
  if (next.threshold !== prev.threshold) {
    state.threshold = prev.threshold;
    await setThreshold(next.threshold);
  } else recolour();
  if (next.pcn) {
    if (next.pcn !== pcn?.code || !prev.pcn) await selectPCN(next.pcn, { fly: !next.view });
    else showPCN();
  } else if (next.area) {
    if (next.area !== area?.code || prev.pcn) await selectArea(next.area, { fly: !next.view });
  } else if (prev.area || prev.pcn) clearSelection(false);
  await teams?.applyState(state);
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
    const early = boot && boot.t === String(state.threshold) ? boot : undefined;
    const [tileJSON] = await Promise.all([early?.tileJSON || api.tileJSON('areas'), loadSummary(state.threshold, early?.summary)]);
    tj = tileJSON;
    performance.mark('pcnmap-tilejson');
  } catch (e) {
    document.getElementById('loading')?.remove();
    replace(ui.map, h('div', { class: 'fatal', role: 'alert' }, h('h2', null, 'The map could not load'), h('p', null, (e as Error).message)));
    return;
  }
  kinds = outlineKinds(summary);
  if (state.bounds === undefined || (state.bounds && !kinds.includes(state.bounds))) state.bounds = kinds[0] ?? '';
  if (summary) {
    ui.release.textContent = `Release ${summary.release}${summary.extract_date ? ` · registrations ${fmtDate(summary.extract_date)}` : ''}`;
  }
  scale = metricScale();
  const v = state.view;
  view = new MapView(
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
        } else if (state.area) clearSelection(true);
      },
      moved: () => {
        writeURL();
        renderSummaryNow();
      },
    },
  );
  performance.mark('pcnmap-map');
  w.pcnmap.map = view.map;
  w.pcnmap.view = view;
  new Labels(view, ui.map);
  new InView(view, $('#controls-body'), (code) => void selectArea(code, { push: true }));
  window.addEventListener('resize', () => (view.inset = overlayInset()));
  setupControls(kinds);
  if (hasAPI) {
    teams = new TeamsUI({
      view, mapEl: ui.map, field: $('#teams-field'), select: $<HTMLSelectElement>('#teams-set'), importButton: $<HTMLButtonElement>('#teams-import'), designButton: $<HTMLButtonElement>('#teams-design'), section: $('#teams'),
      state: () => state, writeURL, selectPCN: actions.selectPCN,
    });
    void teams.start();
  }
  renderLegendNow();
  view.map.once('load', () => {
    performance.mark('pcnmap-load');
    if (state.pcn) void selectPCN(state.pcn, { fly: !state.view });
    else if (state.area) void selectArea(state.area, { fly: !state.view });
    if (!state.view) writeURL();
  });
  view.map.once('data', () => performance.mark('pcnmap-first-data'));
  // The areas' first tiles on screen: the first frame drawn after their source has loaded.
  const painted = () => {
    if (!view.areasLoaded()) return;
    view.map.off('sourcedata', painted);
    view.map.once('render', () => {
      performance.mark('pcnmap-areas-painted');
      document.getElementById('loading')?.remove();
      w.pcnmap.areasPainted = performance.now();
      renderSummaryNow();
    });
  };
  view.map.on('sourcedata', painted);
  view.map.once('idle', () => {
    performance.mark('pcnmap-first-idle');
    document.getElementById('loading')?.remove();
    w.pcnmap.firstIdle = performance.now();
    w.pcnmap.ready = true;
    renderSummaryNow();
  });
  window.addEventListener('popstate', () => void applyState(readHash(location.hash)));
  window.addEventListener('hashchange', () => {
    const next = readHash(location.hash);
    if (writeHash(next) !== writeHash(state)) void applyState(next);
  });
  if (!hasAPI) {
    ui.searchInput.disabled = true;
    ui.thresholdInput.disabled = true;
  }
}

void start();
