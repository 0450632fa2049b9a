// End-to-end test of the map page in a real headless browser: Debian's chromium driven by
// playwright-core, against `pcnmap serve` on a workspace ingested from the bundled fixture.
//
//   make e2e                      (builds bin/pcnmap with the bundle, then runs this)
//   PCNMAP_BIN=bin/pcnmap node --test test/e2e.test.mjs   (from server/web, after make build)
//
// Environment: PCNMAP_BIN (the binary, default ../../bin/pcnmap), CHROMIUM (default /usr/bin/chromium).
// Skipped, with a message, when chromium is absent. Screenshots go to test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..');
const root = path.resolve(web, '../..');
const bin = path.resolve(root, process.env.PCNMAP_BIN || 'bin/pcnmap');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const results = path.join(web, 'test-results');
// The target for the first meaningful paint; the test fails only far beyond it (the
// machine is shared), and prints the figure either way.
const PAINT_TARGET_MS = 2000;
const PAINT_LIMIT_MS = Number(process.env.PAINT_LIMIT_MS || 8000);

const skip = !existsSync(chromiumPath)
  ? `chromium not found at ${chromiumPath}: install it (apt-get install -y chromium) to run the browser test`
  : !existsSync(bin)
    ? `${path.relative(root, bin)} not built: run make build first`
    : false;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Ingests the fixture as the Makefile's run target does. */
function ingest(db) {
  const f = (p) => path.join('fixtures', p);
  execFileSync(
    bin,
    [
      'ingest', '--db', db,
      '--areas', f('msoa.geojson'),
      '--registrations', f('registrations-2021-01.csv.gz'),
      '--membership', f('epcn-2019-12.xlsx'),
      '--lookup', f('lsoa-msoa-lookup.csv'),
      '--context', f('lsoa-msoa-lookup.csv'), '--context', f('lsoa-ccg-lad.csv'), '--context', f('lsoa-sub-icb.csv'),
      '--context', f('sub-icb-icb.csv'), '--context', f('ccg-stp.csv'), '--context', f('lsoa-ruc.csv'),
      '--context', f('sub-icb-bng.geojson'),
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

async function startServer(db) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['serve', '--db', db, '--addr', `127.0.0.1:${port}`], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
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

/** The variance of the pixels' luminance in a PNG, computed by the browser itself. */
async function pixelVariance(page, png) {
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
async function areaPoint(page) {
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

const waitReady = (page) => page.waitForFunction(() => window.pcnmap && window.pcnmap.ready, null, { timeout: 20000 });
const waitIdle = (page) => page.evaluate(() => new Promise((r) => (window.pcnmap.map.loaded() ? r() : window.pcnmap.map.once('idle', r))));

test('the map page in a browser', { skip, timeout: 180000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pcnmap-e2e-'));
  mkdirSync(results, { recursive: true });
  const db = path.join(tmp, 'fixture.db');
  ingest(db);
  const { base, proc } = await startServer(db);
  let browser;
  t.after(async () => {
    await browser?.close();
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    rmSync(tmp, { recursive: true, force: true });
  });
  // launch() gives every run a fresh temporary profile (user-data-dir), so the cache is cold.
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const problems = []; // console errors and page errors, from every page
  const tiles = []; // [status, url] of every tile answer
  const watch = (page, name) => {
    page.on('console', (m) => m.type() === 'error' && problems.push(`${name}: console error: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
    page.on('response', (r) => r.url().includes('/tiles/') && tiles.push([r.status(), r.url().slice(base.length)]));
  };
  const api = async (p) => (await fetch(base + p)).json();
  {
    // A fresh context is a cold cache: no HTTP cache, no service workers.
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await ctx.newPage();
    watch(page, 'desktop');

    await t.test('renders the areas, with tiles answered 200/204, within the paint budget', async () => {
      await page.goto(base + '/');
      await waitReady(page);
      await page.waitForFunction(() => performance.getEntriesByName('pcnmap-areas-painted').length > 0);
      const mark = (name) => page.evaluate((n) => performance.getEntriesByName(n)[0].startTime, name);
      const ms = await mark('pcnmap-areas-painted');
      const idle = await mark('pcnmap-first-idle');
      const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => `${m.name.replace('pcnmap-', '')} ${Math.round(m.startTime)}`).join(', '));
      t.diagnostic(`first meaningful paint (cold cache, from navigation start): areas drawn at ${Math.round(ms)} ms, map idle at ${Math.round(idle)} ms; target ${PAINT_TARGET_MS} ms: ${ms < PAINT_TARGET_MS ? 'met' : 'MISSED'} [${marks}]`);
      assert.ok(ms < PAINT_LIMIT_MS, `first idle after ${ms} ms`);
      const areaTiles = tiles.filter(([, u]) => u.startsWith('/tiles/areas/'));
      assert.ok(areaTiles.some(([s]) => s === 200), `no areas tile answered 200: ${JSON.stringify(areaTiles)}`);
      for (const [s, u] of tiles) assert.ok([200, 204, 304].includes(s), `tile ${u} answered ${s}`);
      const shot = await page.locator('#map').screenshot({ path: path.join(results, 'map-desktop.png') });
      const px = await pixelVariance(page, shot);
      t.diagnostic(`map screenshot: luminance variance ${px.variance.toFixed(0)}, ${px.colours} colours`);
      assert.ok(px.variance > 50 && px.colours > 8, `the map looks blank: ${JSON.stringify(px)}`);
      await page.screenshot({ path: path.join(results, 'page-desktop.png') });
    });

    let code;
    await t.test('clicking an area opens its panel with the shares of /api/areas', async () => {
      const p = await areaPoint(page);
      assert.ok(p, 'no area on screen to click');
      // hovering names the area and gives its value
      await page.mouse.move(p.x, p.y);
      await page.waitForSelector('#tooltip:not([hidden])');
      const tip = await page.locator('#tooltip').innerText();
      assert.match(tip, new RegExp(p.code));
      assert.match(tip, /PCNs? at ≥ 1%/);
      await page.mouse.click(p.x, p.y);
      await page.waitForSelector('#selection .pcn-count');
      code = await page.locator('#selection .sel-header code').textContent();
      assert.equal(code, p.code);
      const a = await api(`/api/areas/${code}?threshold=1%25`);
      assert.equal(Number(await page.locator('#selection .pcn-count').getAttribute('data-pcns')), a.pcns);
      const rows = await page.locator('#selection [data-testid=area-shares] > li').evaluateAll((els) => els.map((e) => [e.dataset.code, Number(e.dataset.share)]));
      const want = a.by_pcn.filter((x) => x.serves).map((x) => [x.code, x.share]);
      assert.deepEqual(rows, want);
      const below = a.by_pcn.length - want.length;
      if (below) assert.match(await page.locator('#selection .below-group > summary').textContent(), new RegExp(`^${below} PCNs? under 1%`));
      assert.match(page.url(), new RegExp(`area=${code}`));
      await page.screenshot({ path: path.join(results, 'area-selected.png') });
    });

    await t.test('the CSV download holds the area’s table', async () => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#selection button', { hasText: 'Download CSV' }).click()]);
      const file = path.join(tmp, 'area.csv');
      await dl.saveAs(file);
      const lines = readFileSync(file, 'utf8').replace(/^\ufeff/, '').trim().split(/\r\n/);
      const a = await api(`/api/areas/${code}?threshold=1%25`);
      assert.equal(lines[0], 'area_code,area_name,registered,pcn_code,pcn_name,patients,share,at_threshold,threshold');
      assert.equal(lines.length - 1, a.by_pcn.length);
      assert.ok(lines[1].startsWith(`${code},`));
    });

    await t.test('changing the threshold changes the legend and the area’s PCN count', async () => {
      const before = await page.locator('#legend').innerText();
      const started = Date.now();
      await page.locator('#threshold-presets button', { hasText: /^5%$/ }).click();
      const a = await api(`/api/areas/${code}?threshold=5%25`);
      await page.waitForFunction((n) => document.querySelector('#selection .pcn-count')?.dataset.pcns === String(n) && document.querySelector('#legend-title')?.textContent.includes('5%'), a.pcns);
      const after = await page.locator('#legend').innerText();
      assert.notEqual(after, before);
      // the legend counts are the histogram of /api/summary at 5%
      const sum = await api('/api/summary?threshold=5%25');
      const shown = await page.locator('#legend .legend-n').allTextContents();
      const total = shown.reduce((s, v) => s + Number(v.replace(/,/g, '')), 0);
      assert.equal(total, sum.areas.areas);
      await page.waitForFunction(() => typeof window.pcnmap.lastThresholdMs === 'number');
      const ms = await page.evaluate(() => window.pcnmap.lastThresholdMs);
      t.diagnostic(`threshold 1% → 5%: tiles swapped in ${Math.round(ms)} ms (${Date.now() - started} ms wall clock)`);
      assert.ok(tiles.some(([s, u]) => s === 200 && u.startsWith('/tiles/areas/') && u.includes('threshold=5%25')), 'no areas tile at 5%');
      assert.match(page.url(), /[#&]t=5(&|$)/);
      // typed threshold
      await page.fill('#threshold-input', '2.5');
      await page.press('#threshold-input', 'Enter');
      const a25 = await api(`/api/areas/${code}?threshold=2.5%25`);
      await page.waitForFunction((n) => document.querySelector('#selection .pcn-count')?.dataset.pcns === String(n) && document.querySelector('#legend-title')?.textContent.includes('2.5%'), a25.pcns);
      await page.locator('#threshold-presets button', { hasText: /^1%$/ }).click();
      await page.waitForFunction(() => document.querySelector('#legend-title')?.textContent.includes('1%'));
    });

    let pcn;
    await t.test('searching a PCN shows where its patients live', async () => {
      const a = await api(`/api/areas/${code}?threshold=1%25`);
      pcn = a.dominant_pcn;
      await page.fill('#search-input', pcn.name.toLowerCase());
      await page.waitForSelector(`#search-list [role=option] >> text=${pcn.code}`);
      const tileSeen = page.waitForResponse((r) => r.url().includes(`/tiles/pcn/`) && r.url().includes(`pcn=${pcn.code}`) && r.status() === 200);
      await page.locator('#search-list [role=option]', { hasText: pcn.code }).click();
      await tileSeen;
      await page.waitForSelector('#selection .badge-pcn');
      assert.equal(await page.locator('#selection .sel-header code').textContent(), pcn.code);
      await sleep(900); // the fly-to
      await waitIdle(page);
      const n = await page.evaluate(() => window.pcnmap.map.queryRenderedFeatures({ layers: ['pcn-fill'] }).length);
      assert.ok(n > 0, 'the pcn layer drew nothing');
      const p = await api(`/api/pcns/${pcn.code}?threshold=1%25`);
      assert.match(await page.locator('#selection').innerText(), new RegExp(p.list_size.toLocaleString('en-GB')));
      await page.waitForSelector('#selection table.data >> nth=1'); // the overlaps table
      assert.match(page.url(), new RegExp(`pcn=${pcn.code}`));
      await page.screenshot({ path: path.join(results, 'pcn-selected.png') });
    });

    await t.test('the URL round-trips the view and the selection', async () => {
      await page.evaluate(() => new Promise((r) => setTimeout(r, 400))); // the URL is written 250 ms after a move
      const url = page.url();
      const view = await page.evaluate(() => ({ c: window.pcnmap.map.getCenter(), z: window.pcnmap.map.getZoom() }));
      const again = await ctx.newPage();
      watch(again, 'reloaded');
      await again.goto(url);
      await waitReady(again);
      await again.waitForSelector('#selection .badge-pcn');
      assert.equal(await again.locator('#selection .sel-header code').textContent(), pcn.code);
      const v2 = await again.evaluate(() => ({ c: window.pcnmap.map.getCenter(), z: window.pcnmap.map.getZoom() }));
      assert.ok(Math.abs(v2.z - view.z) < 0.02 && Math.abs(v2.c.lng - view.c.lng) < 1e-3 && Math.abs(v2.c.lat - view.c.lat) < 1e-3, `view ${JSON.stringify(v2)} != ${JSON.stringify(view)}`);
      assert.equal(await again.locator('#threshold-presets [aria-pressed=true]').textContent(), '1%');
      assert.equal(again.url(), url);
      await again.close();
    });

    await t.test('works on a phone-sized screen, with the panel collapsed', async () => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      const p = await phone.newPage();
      watch(p, 'phone');
      await p.goto(`${base}/#area=${code}`);
      await waitReady(p);
      assert.equal(await p.locator('#panel-body').isVisible(), false, 'panel open on a phone');
      await p.locator('#panel-toggle').click();
      await p.waitForSelector('#selection .pcn-count', { state: 'visible' });
      assert.equal(await p.locator('#panel-toggle').getAttribute('aria-expanded'), 'true');
      await p.screenshot({ path: path.join(results, 'phone.png') });
      await phone.close();
    });

    await t.test('controls are keyboard reachable and named', async () => {
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll('button, input, select, a[href], [tabindex="0"]')]
          .filter((el) => el.offsetParent !== null)
          .filter((el) => {
            const label = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.textContent.trim() || el.getAttribute('title');
            return !label;
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      assert.deepEqual(unnamed, []);
      await page.reload();
      await waitReady(page);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      const seen = new Set();
      for (let i = 0; i < 40; i++) {
        seen.add(await page.evaluate(() => document.activeElement.id || document.activeElement.className || document.activeElement.tagName));
        await page.keyboard.press('Tab');
      }
      for (const id of ['metric', 'threshold-input', 'outlines']) assert.ok(seen.has(id), `Tab never reached #${id}: ${[...seen].join(' ')}`);
    });

    await t.test('no console errors', () => {
      assert.deepEqual(problems, []);
    });
    await ctx.close();
  }
});
