// The area panel's note on areas whose residents are only partly counted, in a real browser.
//
//   PCNMAP_BIN=bin/pcnmap node --test test/complete.test.mjs   (from web, after make build)
//
// The 2021 fixture (Stoke-on-Trent within la:E06000021) with its registrations cut to the practices
// of three south Stoke PCNs, as an extract of some practices only would be: the 16 north MSOAs are
// then incomplete (server/testdata/incomplete2021.py counts them independently; E02002951 holds 18
// registered patients), the south ones complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { bin, launch, results, root, skip, startServer, waitReady, watcher } from './harness.mjs';

const fx = (p) => path.join(root, 'fixtures', '2021', p);

/** The fixture's registrations of the practices of three south Stoke PCNs, as a CSV at dst. */
function southStoke(dst) {
  // PUBLICATION, EXTRACT_DATE and PRACTICE_CODE come first and unquoted; PCN_CODE, PCN_NAME later.
  const practices = new Set(
    readFileSync(fx('practice-map-2025-10.csv'), 'utf8')
      .split('\n')
      .filter((l) => /,(SOUTH STOKE WEST|SOUTH STOKE CENTRAL|MEIR) PCN,/.test(l))
      .map((l) => l.split(',')[2]),
  );
  assert.equal(practices.size, 16);
  const lines = gunzipSync(readFileSync(fx('registrations-2025-10-icb-QNC-stoke.csv.gz'))).toString('utf8').split('\n');
  // LSOA_CODE, PRACTICE_CODE first.
  writeFileSync(dst, [lines[0], ...lines.slice(1).filter((l) => practices.has(l.split(',')[1]))].join('\n') + '\n');
}

test('the area panel says when an area’s residents are only partly counted', { skip, timeout: 120000 }, async (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pcnmap-complete-'));
  const db = path.join(tmp, 'w.db');
  const regs = path.join(tmp, 'registrations-2025-10-south-stoke.csv');
  southStoke(regs);
  execFileSync(
    bin,
    [
      'ingest', '--db', db, '--within', 'la:E06000021',
      '--areas', fx('msoa21.geojson'), '--registrations', regs, '--membership', fx('practice-map-2025-10.csv'),
      '--lookup', fx('lsoa21-msoa21.csv'),
      '--context', fx('lsoa21-sicbl24-icb24.csv'), '--context', fx('lsoa21-ward24-lad24.csv'), '--context', fx('practice-map-2025-10.csv'),
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const { base, proc } = await startServer(db);
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    rmSync(tmp, { recursive: true, force: true });
  });
  const { problems, watch } = watcher(base);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watch(page, 'complete');

  await t.test('an incomplete area: the note names the region and the count', async () => {
    await page.goto(`${base}/#t=1&area=E02002951`);
    await waitReady(page);
    await page.waitForSelector('#selection .pcn-count');
    const note = page.locator('#selection [data-testid="area-incomplete"]');
    assert.equal(await note.count(), 1);
    assert.equal(await note.getAttribute('role'), 'note');
    mkdirSync(results, { recursive: true });
    await page.locator('#selection').screenshot({ path: path.join(results, 'area-incomplete.png') });
    assert.equal(
      await note.innerText(),
      'Residents only partly counted: this release is cut to Stoke-on-Trent and holds some practices’ patients only, and most of this area’s residents are registered with practices it does not hold. Its 18 registered patients are under half the median area’s, so its figures describe part of its population.',
    );
  });

  await t.test('a complete area: no note', async () => {
    const a = await (await fetch(`${base}/api/areas/E02002980`)).json();
    assert.equal(a.complete, true);
    await page.goto(`${base}/#t=1&area=E02002980`);
    await page.reload();
    await waitReady(page);
    await page.waitForFunction(() => document.querySelector('#selection .sel-header code')?.textContent === 'E02002980');
    await page.waitForSelector('#selection .pcn-count');
    assert.equal(await page.locator('#selection [data-testid="area-incomplete"]').count(), 0);
  });

  assert.deepEqual(problems, []);
});
