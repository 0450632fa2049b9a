// The static site of `pcnmap site export` in Debian's chromium, served by nginx with the
// configuration docs/deploy.md gives (docs/nginx-site.conf): the map renders from tiles.pmtiles read
// by range requests, a clicked area's PCN count at a new threshold equals the API's (`pcnmap serve`
// on the same workspace), the summary's mean equals /api/summary's, search finds an area and a PCN,
// footprint sets are listed, no console errors, and no request leaves 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { bin, freePort, ingest, launch, pixelVariance, results, root, skip as browserSkip, sleep, startServer } from './harness.mjs';

const nginx = spawnSync('nginx', ['-v']).error ? false : 'nginx';
const skip = browserSkip || (nginx ? false : 'nginx not installed (apt-get install -y nginx): skipping the static-site test');

/** nginx on a free port serving dir with the documented site configuration. */
async function startNginx(tmp, dir) {
  const port = await freePort();
  const site = readFileSync(path.join(root, 'docs/nginx-site.conf'), 'utf8')
    .replace(/^\s*#.*$/gm, '')
    .replace('listen 8080;', `listen 127.0.0.1:${port};`)
    .replace(/root [^;]+;/, `root ${dir};`);
  const t = path.join(tmp, 'nginx');
  mkdirSync(t, { recursive: true });
  const conf = path.join(t, 'nginx.conf');
  writeFileSync(conf, `worker_processes 1;
error_log stderr warn;
pid ${t}/nginx.pid;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path ${t}; proxy_temp_path ${t}; fastcgi_temp_path ${t}; uwsgi_temp_path ${t}; scgi_temp_path ${t};
  ${site}
}
`);
  const proc = spawn('nginx', ['-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited ${proc.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${base}/index.html`)).ok) return { base, proc };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  proc.kill();
  throw new Error(`nginx did not answer: ${stderr}`);
}

const stop = async (proc) => {
  proc.kill('SIGTERM');
  await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
};

test('the static site in a browser, served by nginx', { skip, timeout: 180000 }, async (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pcnmap-site-'));
  chmodSync(tmp, 0o755); // nginx's workers run as another user
  const db = path.join(tmp, 'fixture.db');
  ingest(db);
  execFileSync(bin, ['teams', 'import', '--db', db, '--name', 'Trafford localities', path.join('fixtures', 'trafford-localities.geojson')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const out = path.join(tmp, 'site');
  execFileSync(bin, ['site', 'export', '--db', db, '--out', out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const web = await startNginx(tmp, out);
  const api = await startServer(db);
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await stop(web.proc);
    await stop(api.proc);
    rmSync(tmp, { recursive: true, force: true });
  });

  // Range requests, as the pmtiles reader makes them.
  const r = await fetch(`${web.base}/tiles.pmtiles`, { headers: { Range: 'bytes=0-126' } });
  assert.equal(r.status, 206);
  assert.equal((await r.arrayBuffer()).byteLength, 127);

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const problems = [];
  const outside = [];
  const ranges = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (q) => {
    if (new URL(q.url()).hostname !== '127.0.0.1' && !q.url().startsWith('blob:') && !q.url().startsWith('data:')) outside.push(q.url());
    if (q.url().endsWith('/tiles.pmtiles')) ranges.push(q.headers().range);
  });
  const apiJSON = async (p) => (await fetch(api.base + p)).json();

  await t.test('renders the map from tiles.pmtiles', async () => {
    await page.goto(`${web.base}/`);
    await page.waitForFunction(() => window.pcnsite && window.pcnsite.ready, null, { timeout: 30000 });
    const shot = await page.locator('#map').screenshot({ path: path.join(results, 'site.png') });
    const px = await pixelVariance(page, shot);
    assert.ok(px.variance > 50 && px.colours > 8, `the map looks blank: ${JSON.stringify(px)}`);
    assert.ok(ranges.length > 0 && ranges.every((h) => /^bytes=\d+-\d+$/.test(h || '')), `tiles.pmtiles requests without ranges: ${JSON.stringify(ranges)}`);
    assert.match(await page.locator('#attribution').textContent(), /Open Government Licence v3\.0/);
  });

  await t.test('a clicked area counts its PCNs at a new threshold as the API does', async () => {
    await page.fill('#t', '2.5');
    await page.locator('#t').dispatchEvent('change');
    const hit = await page.evaluate(() => {
      const map = window.pcnsite.map;
      const c = map.getCanvas().getBoundingClientRect();
      const hits = [];
      for (let y = 40; y < c.height - 40; y += 15) {
        for (let x = 40; x < c.width - 40; x += 15) {
          const f = map.queryRenderedFeatures([x, y], { layers: ['areas-fill'] })[0];
          if (f && [[8, 0], [-8, 0], [0, 8], [0, -8]].every(([dx, dy]) => map.queryRenderedFeatures([x + dx, y + dy], { layers: ['areas-fill'] })[0]?.properties.code === f.properties.code)) hits.push({ x: c.left + x, y: c.top + y, code: f.properties.code });
        }
      }
      return hits[Math.floor(hits.length / 2)];
    });
    assert.ok(hit, 'no area under the map');
    await page.mouse.click(hit.x, hit.y);
    await page.waitForSelector('#panel:not([hidden]) #panel-count');
    const shown = Number(await page.locator('#panel-count').textContent());
    const want = await apiJSON(`/api/areas/${hit.code}?threshold=2.5%25`);
    assert.equal(shown, want.pcns, `area ${hit.code}: the page says ${shown} PCNs at 2.5%, the API ${want.pcns}`);
    assert.match(await page.locator('#panel-title').textContent(), new RegExp(want.name));
    // Every area, not only the clicked one.
    const all = await page.evaluate(() => Object.fromEntries(window.pcnsite.data.areas.map((a, i) => [a[0], window.pcnsite.counts[i]])));
    for (const code of Object.keys(all).slice(0, 30)) {
      const a = await apiJSON(`/api/areas/${code}?threshold=2.5%25`);
      assert.equal(all[code], a.pcns, `area ${code} at 2.5%: page ${all[code]}, API ${a.pcns}`);
    }
    const s = await apiJSON('/api/summary?threshold=2.5%25');
    assert.equal(await page.locator('#mean').textContent(), s.areas.pcns.mean.toFixed(2));
    assert.equal(Number(await page.locator('#median').textContent()), s.areas.pcns.median);
  });

  await t.test('search finds an area and a PCN', async () => {
    await page.fill('#q', 'Trafford 001');
    await page.waitForSelector('#results:not([hidden]) li');
    await page.locator('#results li').first().click();
    assert.match(await page.locator('#panel-title').textContent(), /Trafford 001/);
    await page.fill('#q', 'NORTH TRAFFORD');
    await page.waitForSelector('#results:not([hidden]) li');
    await page.locator('#results li', { hasText: 'PCN' }).first().click();
    assert.match(await page.locator('#panel-title').textContent(), /NORTH TRAFFORD PCN/);
    const p = await apiJSON('/api/pcns/U66368?threshold=2.5%25');
    assert.equal(Number(await page.locator('#panel-count').textContent()), p.areas, `PCN areas at 2.5%: page vs API ${p.areas}`);
  });

  await t.test('lists the footprint sets', async () => {
    await page.waitForSelector('#sets-label:not([hidden])');
    await page.selectOption('#sets', 'Trafford localities');
    assert.match(await page.evaluate(() => location.hash), /set=Trafford/);
  });

  await t.test('no console errors, no request off the machine', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(outside, []);
  });
});
