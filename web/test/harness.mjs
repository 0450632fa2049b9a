// Shared by the browser tests: the paths, the fixture workspace, a pcnmap server on a free port,
// chromium, and helpers that wait for or look into the map page.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const web = path.resolve(here, '..');
export const root = path.resolve(web, '..');
export const bin = path.resolve(root, process.env.PCNMAP_BIN || 'bin/pcnmap');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
export const results = path.join(web, 'test-results');
// The issue's target for the first meaningful paint. The test prints the figure against it and never
// fails on it: timings on a shared machine are not a test's business (bench/firstpaint.sh measures).
export const PAINT_TARGET_MS = 2000;

export const skip = !existsSync(chromiumPath)
  ? `chromium not found at ${chromiumPath}: install it (apt-get install -y chromium) to run the browser test`
  : !existsSync(bin)
    ? `${path.relative(root, bin)} not built: run make build first`
    : false;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Ingests the fixture as the Makefile's run target does (with the LSOA centroids and polygons, which place team polygons). */
export function ingest(db) {
  const f = (p) => path.join('fixtures', p);
  execFileSync(
    bin,
    [
      'ingest', '--db', db,
      '--areas', f('msoa.geojson'),
      '--registrations', f('registrations-2021-01.csv.gz'),
      '--membership', f('epcn-2019-12.xlsx'),
      '--lookup', f('lsoa-msoa-lookup.csv'), '--centroids', f('lsoa-centroids.csv'), '--lsoa-polygons', f('lsoa.geojson'),
      '--context', f('lsoa-msoa-lookup.csv'), '--context', f('lsoa-ccg-lad.csv'), '--context', f('lsoa-sub-icb.csv'),
      '--context', f('sub-icb-icb.csv'), '--context', f('ccg-stp.csv'), '--context', f('lsoa-ruc.csv'),
      '--context', f('sub-icb-bng.geojson'),
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

export async function startServer(db, args = []) {
  return startServe(['--db', db, ...args]);
}

/** Starts pcnmap serve with args (--db, --mbtiles or --pmtiles and flags) on a free port. */
export async function startServe(args) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error(`pcnmap serve exited ${proc.exitCode}: ${stderr}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return { base, proc };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  proc.kill();
  throw new Error(`pcnmap serve did not answer /healthz: ${stderr}`);
}

/**
 * The fixture served for one test: ingested into a temporary workspace, with the Trafford localities
 * imported as each of sets (by the points the ingest kept), served with serveArgs, and a browser
 * launched. The test's end closes the browser, stops the server and removes the workspace.
 */
export async function servedFixture(t, { sets = [], serveArgs = [] } = {}) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pcnmap-e2e-'));
  mkdirSync(results, { recursive: true });
  const db = path.join(tmp, 'fixture.db');
  ingest(db);
  for (const name of sets) {
    const geojson = path.join('fixtures', 'trafford-localities.geojson');
    execFileSync(bin, ['teams', 'import', '--db', db, '--name', name, geojson], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const { base, proc } = await startServer(db, serveArgs);
  const fx = { tmp, base, browser: undefined };
  t.after(async () => {
    await fx.browser?.close();
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    rmSync(tmp, { recursive: true, force: true });
  });
  fx.browser = await launch();
  return fx;
}

/** The variance of the pixels' luminance in a PNG, computed by the browser itself. */
export async function pixelVariance(page, png) {
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const g = c.getContext('2d');
    g.drawImage(bmp, 0, 0);
    const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
    let n = 0, sum = 0, sum2 = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4 * 7) {
      const y = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
      sum += y; sum2 += y * y; n++;
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    const mean = sum / n;
    return { variance: sum2 / n - mean * mean, colours: colours.size };
  }, png.toString('base64'));
}

/** A screen point over a rendered area of the fill layer, clear of the options card and panel. */
export async function areaPoint(page) {
  return page.evaluate(() => {
    const map = window.pcnmap.map;
    const fill = map.getStyle().layers.find((l) => l.id.startsWith('areas-fill-')).id;
    const canvas = map.getCanvas().getBoundingClientRect();
    const card = document.getElementById('controls').getBoundingClientRect();
    const hits = [];
    for (let y = 40; y < canvas.height - 40; y += 12) {
      for (let x = 40; x < canvas.width - 40; x += 12) {
        const sx = canvas.left + x, sy = canvas.top + y;
        if (sx >= card.left && sx <= card.right && sy >= card.top && sy <= card.bottom) continue;
        const f = map.queryRenderedFeatures([x, y], { layers: [fill] })[0];
        // the middle of an area: the same area 8 px around
        if (f && [[8, 0], [-8, 0], [0, 8], [0, -8]].every(([dx, dy]) => map.queryRenderedFeatures([x + dx, y + dy], { layers: [fill] })[0]?.properties.code === f.properties.code)) {
          hits.push({ x: sx, y: sy, code: f.properties.code });
        }
      }
    }
    return hits[Math.floor(hits.length / 2)];
  });
}

export const waitReady = (page) => page.waitForFunction(() => window.pcnmap && window.pcnmap.ready, null, { timeout: 20000 });
export const waitIdle = (page) => page.evaluate(() => new Promise((r) => (window.pcnmap.map.loaded() ? r() : window.pcnmap.map.once('idle', r))));

/** Chromium as every browser test launches it: headless, no GPU, no network of its own. */
export async function launch() {
  const { chromium } = await import('playwright-core');
  // launch() gives every run a fresh temporary profile (user-data-dir), so the cache is cold.
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Records console errors, page errors and tile answers of a page. */
export function watcher(base) {
  const problems = []; // console errors and page errors, from every page
  const tiles = []; // [status, url] of every tile answer
  const watch = (page, name) => {
    page.on('console', (m) => m.type() === 'error' && problems.push(`${name}: console error: ${m.text()}${m.location()?.url ? ` (${m.location().url.slice(base.length)})` : ''}`));
    page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
    page.on('response', (r) => r.url().includes('/tiles/') && tiles.push([r.status(), r.url().slice(base.length)]));
  };
  return { problems, tiles, watch };
}
