// The static map: MapLibre reads the tiles from tiles.pmtiles by HTTP range requests (the pmtiles
// protocol) and the page recolours every area at any threshold from data.json, computed here with
// the API's definitions (table.ts). No server: any static host serves the folder.
import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { PMTiles, Protocol } from 'pmtiles';

import { countClasses, NO_DATA } from '../src/palette';
import { areaPCNs, counts, type Data, pcnAreas, search, stats } from './table';
import './style.css';

declare const MAPLIBRE_WORKER: string;
interface Boot {
  worker: Worker;
  data: Promise<Data>;
}
const boot = (window as unknown as { pcnsiteBoot: Boot }).pcnsiteBoot;

// Hand MapLibre the worker the page's HTML already started.
{
  const Native = window.Worker;
  let early: Worker | undefined = boot.worker;
  window.Worker = function (url: string | URL, opts?: WorkerOptions) {
    if (early && new URL(String(url), location.href).href === new URL(MAPLIBRE_WORKER, location.href).href) {
      const w = early;
      early = undefined;
      return w;
    }
    return new Native(url, opts);
  } as unknown as typeof Worker;
  maplibregl.setWorkerUrl(MAPLIBRE_WORKER);
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const pct = (v: number) => `${(Math.round(v * 1000) / 10).toLocaleString('en-GB')}%`;
const int = (v: number) => Math.round(v).toLocaleString('en-GB');
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const protocol = new Protocol();
maplibregl.addProtocol('pmtiles', protocol.tile);

const state = { t: 0.01, area: -1, pcn: -1, set: '' };
const site = { map: undefined as maplibregl.Map | undefined, ready: false, data: undefined as Data | undefined, state, counts: new Int32Array(0) as Int32Array<ArrayBuffer> };
(window as unknown as { pcnsite: typeof site }).pcnsite = site;

function readHash() {
  const q = new URLSearchParams(location.hash.slice(1));
  const t = Number(q.get('t'));
  if (q.has('t') && Number.isFinite(t) && t >= 0 && t <= 100) state.t = t / 100;
}
function writeHash(d: Data) {
  const q = new URLSearchParams();
  q.set('t', String(Math.round(state.t * 100 * 1000) / 1000));
  if (state.area >= 0) q.set('area', d.areas[state.area][0]);
  if (state.pcn >= 0) q.set('pcn', d.pcns[state.pcn][0]);
  if (state.set) q.set('set', state.set);
  history.replaceState(null, '', `#${q}`);
}

async function main() {
  readHash();
  // The map starts from the archive's header (its first bytes, which MapLibre reads anyway), while
  // data.json is still on its way: the table is needed for the colours, not for the tiles.
  const tiles = new URL('tiles.pmtiles', location.href).href;
  const archive = new PMTiles(tiles);
  protocol.add(archive);
  const h = await archive.getHeader();
  const map = new maplibregl.Map({
    container: 'map',
    bounds: [h.minLon, h.minLat, h.maxLon, h.maxLat],
    fitBoundsOptions: { padding: 20 },
    attributionControl: { compact: true },
    style: {
      version: 8,
      sources: { pcnmap: { type: 'vector', url: `pmtiles://${tiles}`, promoteId: { areas: 'code' } } },
      layers: [
        { id: 'bg', type: 'background', paint: { 'background-color': '#f7f9fa' } },
        { id: 'areas-fill', type: 'fill', source: 'pcnmap', 'source-layer': 'areas', paint: { 'fill-color': NO_DATA } },
        { id: 'areas-line', type: 'line', source: 'pcnmap', 'source-layer': 'areas', minzoom: 8, paint: { 'line-color': '#fff', 'line-width': 0.4 } },
        {
          id: 'areas-selected', type: 'line', source: 'pcnmap', 'source-layer': 'areas',
          paint: { 'line-color': '#212b32', 'line-width': ['case', ['boolean', ['feature-state', 'sel'], false], 2, 0] },
        },
        { id: 'icb-line', type: 'line', source: 'pcnmap', 'source-layer': 'boundaries', filter: ['==', ['get', 'kind'], 'icb'], paint: { 'line-color': '#425563', 'line-width': 1 } },
      ],
    },
  });
  site.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  // The first frame with the areas' tiles coloured, the mark bench/firstpaint.sh reads (as the
  // served map's): the tiles loaded and the colours set from data.json, whichever comes last.
  const painted = () => {
    if (!site.counts.length || !map.getSource('pcnmap') || !map.isSourceLoaded('pcnmap')) return;
    map.off('sourcedata', painted);
    map.once('render', () => performance.mark('pcnmap-areas-painted'));
  };
  map.on('sourcedata', painted);
  const loaded = new Promise((r) => map.once('load', r));
  const d = await boot.data;
  site.data = d;
  if (!new URLSearchParams(location.hash.slice(1)).has('t')) state.t = d.threshold;
  $('release').textContent = `release ${d.release} (registrations of ${d.extract_date}, PCN membership as of ${d.as_of})`;
  $('attribution').textContent = d.attribution;
  const byCode = new Map(d.areas.map((a, i) => [a[0], i]));

  const recolour = () => {
    site.counts = counts(d, state.t);
    const s = stats(site.counts);
    const scale = countClasses(s.histogram, 'viridis');
    const expr: unknown[] = ['step', ['coalesce', ['feature-state', 'pcns'], -1], NO_DATA];
    for (const c of scale.classes) expr.push(c.lo, c.colour);
    for (let a = 0; a < d.areas.length; a++) map.setFeatureState({ source: 'pcnmap', sourceLayer: 'areas', id: d.areas[a][0] }, { pcns: site.counts[a] });
    map.setPaintProperty('areas-fill', 'fill-color', expr as maplibregl.ExpressionSpecification);
    $('legend').innerHTML = [scale.noData!, ...scale.classes].map((c) => `<span><i style="background:${c.colour}"></i>${esc(c.label)}</span>`).join('');
    renderSummary(s);
    renderPanel();
    writeHash(d);
  };

  const renderSummary = (s: ReturnType<typeof stats>) => {
    const w = 300, h = 80, max = Math.max(1, ...s.histogram);
    const bw = w / Math.max(1, s.histogram.length);
    const bars = s.histogram.map((n, k) => `<rect x="${(k * bw).toFixed(1)}" y="${(h - (h * n) / max).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${((h * n) / max).toFixed(1)}"><title>${k} PCNs: ${n} areas</title></rect>`).join('');
    $('summary').innerHTML = `<h2>PCNs per area at ${pct(state.t)}</h2>
      <p id="summary-stats">${int(s.count)} areas: mean <b id="mean">${s.mean.toFixed(2)}</b>, SD ${s.sd.toFixed(2)}, median <b id="median">${s.median}</b>, P10 ${s.p10}, P90 ${s.p90}, max ${s.max}</p>
      <svg class="hist" viewBox="0 0 ${w} ${h + 12}" role="img" aria-label="Histogram of PCNs per area">${bars}<text x="0" y="${h + 10}">0</text><text x="${w - 10}" y="${h + 10}">${s.histogram.length - 1}</text></svg>`;
  };

  let selected: number[] = [];
  const select = (areas: number[]) => {
    for (const a of selected) map.setFeatureState({ source: 'pcnmap', sourceLayer: 'areas', id: d.areas[a][0] }, { sel: false });
    selected = areas;
    for (const a of selected) map.setFeatureState({ source: 'pcnmap', sourceLayer: 'areas', id: d.areas[a][0] }, { sel: true });
  };

  const renderPanel = () => {
    const panel = $('panel');
    if (state.area >= 0) {
      const a = d.areas[state.area];
      const rows = areaPCNs(d, state.area).slice(0, 25).map((r) => `<tr class="${r.share >= state.t ? '' : 'below'}"><td><a href="#" data-pcn="${r.pcn}">${esc(d.pcns[r.pcn][1])}</a></td><td class="n">${int(r.patients)}</td><td class="n">${pct(r.share)}</td></tr>`).join('');
      panel.innerHTML = `<h2 id="panel-title">${esc(a[1])} <small>${esc(a[0])}</small></h2>
        <p>${int(a[2])} registered residents; served by <b id="panel-count">${site.counts[state.area]}</b> PCNs at ${pct(state.t)} (${d.cells[state.area].length / 2} with any patients)</p>
        <table><tr><th>PCN</th><th class="n">patients</th><th class="n">share</th></tr>${rows}</table>`;
    } else if (state.pcn >= 0) {
      const p = d.pcns[state.pcn];
      const at = pcnAreas(d, state.pcn);
      const serving = at.filter((r) => r.share >= state.t && r.patients > 0);
      const rows = at.slice(0, 25).map((r) => `<tr class="${r.share >= state.t ? '' : 'below'}"><td><a href="#" data-area="${r.area}">${esc(d.areas[r.area][1])}</a></td><td class="n">${int(r.patients)}</td><td class="n">${pct(r.share)}</td></tr>`).join('');
      panel.innerHTML = `<h2 id="panel-title">${esc(p[1])} <small>${esc(p[0])}</small></h2>
        <p>list size ${int(p[2])}; has patients in ${at.length} areas and serves <b id="panel-count">${serving.length}</b> at ${pct(state.t)}</p>
        <table><tr><th>area</th><th class="n">patients</th><th class="n">share of area</th></tr>${rows}</table>`;
      select(serving.map((r) => r.area));
    } else {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
  };
  $('panel').addEventListener('click', (e) => {
    const el = (e.target as HTMLElement).closest('a');
    if (!el) return;
    e.preventDefault();
    if (el.dataset.pcn) showPCN(Number(el.dataset.pcn));
    if (el.dataset.area) showArea(Number(el.dataset.area), true);
  });

  const fit = (bboxes: [number, number, number, number][]) => {
    if (!bboxes.length) return;
    const b = bboxes.reduce((m, x) => [Math.min(m[0], x[0]), Math.min(m[1], x[1]), Math.max(m[2], x[2]), Math.max(m[3], x[3])]);
    map.fitBounds(b as [number, number, number, number], { padding: 40, maxZoom: 12, duration: 0 });
  };
  const showArea = (a: number, zoom: boolean) => {
    state.area = a;
    state.pcn = -1;
    select([a]);
    if (zoom) fit([d.areas[a][3]]);
    renderPanel();
    writeHash(d);
  };
  const showPCN = (p: number) => {
    state.pcn = p;
    state.area = -1;
    renderPanel();
    fit(selected.map((a) => d.areas[a][3]));
    writeHash(d);
  };

  map.on('click', 'areas-fill', (e) => {
    const code = e.features?.[0]?.properties?.code;
    const a = byCode.get(code);
    if (a !== undefined) showArea(a, false);
  });
  map.on('mouseenter', 'areas-fill', () => (map.getCanvas().style.cursor = 'pointer'));
  map.on('mouseleave', 'areas-fill', () => (map.getCanvas().style.cursor = ''));

  // The threshold: typed as a percentage, or dragged.
  const tInput = $<HTMLInputElement>('t');
  const tRange = $<HTMLInputElement>('t-range');
  const setT = (percent: number) => {
    if (!Number.isFinite(percent) || percent < 0 || percent > 100) return;
    state.t = percent / 100;
    tInput.value = String(percent);
    tRange.value = String(Math.min(10, percent));
    recolour();
  };
  tInput.value = String(Math.round(state.t * 100 * 1000) / 1000);
  tRange.value = tInput.value;
  tInput.addEventListener('change', () => setT(parseFloat(tInput.value)));
  tRange.addEventListener('input', () => setT(parseFloat(tRange.value)));

  // Search.
  const q = $<HTMLInputElement>('q');
  const list = $<HTMLUListElement>('results');
  q.addEventListener('input', () => {
    const hits = search(d, q.value);
    list.innerHTML = hits.map((h, i) => `<li role="option" data-i="${i}">${h.kind === 'pcn' ? 'PCN' : 'area'}: ${esc(h.name)} <small>${esc(h.code)}</small></li>`).join('');
    list.hidden = hits.length === 0;
    list.onclick = (e) => {
      const li = (e.target as HTMLElement).closest('li');
      if (!li) return;
      const h = hits[Number(li.dataset.i)];
      list.hidden = true;
      q.value = h.name;
      if (h.kind === 'area') showArea(h.index, true);
      else showPCN(h.index);
    };
  });
  q.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') (list.querySelector('li') as HTMLElement | null)?.click();
  });

  loaded.then(async () => {
    recolour();
    painted();
    const hq = new URLSearchParams(location.hash.slice(1));
    const area = byCode.get(hq.get('area') || '');
    if (area !== undefined) showArea(area, true);
    const pi = d.pcns.findIndex((p) => p[0] === hq.get('pcn'));
    if (pi >= 0) showPCN(pi);
    if (d.sets) {
      const sets = await (await fetch('sets.geojson')).json();
      map.addSource('sets', { type: 'geojson', data: sets });
      map.addLayer({ id: 'sets-line', type: 'line', source: 'sets', filter: ['==', ['get', 'set'], ''], paint: { 'line-color': '#e66100', 'line-width': 2 } });
      const names = [...new Set(sets.features.map((f: { properties: { set: string } }) => f.properties.set))] as string[];
      const sel = $<HTMLSelectElement>('sets');
      sel.innerHTML += names.map((n) => `<option>${esc(n)}</option>`).join('');
      $('sets-label').hidden = false;
      sel.addEventListener('change', () => {
        state.set = sel.value;
        map.setFilter('sets-line', ['==', ['get', 'set'], state.set]);
        writeHash(d);
      });
      if (hq.get('set') && names.includes(hq.get('set')!)) {
        sel.value = hq.get('set')!;
        sel.dispatchEvent(new Event('change'));
      }
    }
    map.once('idle', () => {
      site.ready = true;
      performance.mark('pcnsite-ready');
    });
  });
}

main().catch((e) => {
  document.body.insertAdjacentHTML('afterbegin', `<p role="alert" style="background:#d5281b;color:#fff;padding:.5rem 1rem;margin:0">The map could not load: ${esc(String(e))}</p>`);
  throw e;
});
