// The PMTiles export read back with the `pmtiles` npm package (the reader the static map uses): the
// same tiles, at every z/x/y over the data, as `pcnmap serve --mbtiles` serves from the MBTiles
// export of the same workspace, and the same again from `pcnmap serve --pmtiles`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { PMTiles, TileType } from 'pmtiles';

import { bin, ingest, root, startServe } from './harness.mjs';

/** A pmtiles Source over a local file. */
class LocalSource {
  constructor(file) {
    this.file = file;
    this.fd = openSync(file, 'r');
  }
  getKey() {
    return this.file;
  }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const n = readSync(this.fd, buf, 0, length, offset);
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + n) };
  }
}

const skip = existsSync(bin) ? false : `${path.relative(root, bin)} not built: run make build first`;

test('the PMTiles export holds the MBTiles export\'s tiles', { skip, timeout: 120000 }, async (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pcnmap-pmtiles-'));
  const db = path.join(tmp, 'fixture.db');
  ingest(db);
  const mb = path.join(tmp, 'f.mbtiles');
  const pm = path.join(tmp, 'f.pmtiles');
  for (const out of [mb, pm]) {
    execFileSync(bin, ['tiles', 'export', '--db', db, '--out', out, '--layers', 'areas,boundaries'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const servers = [await startServe(['--mbtiles', mb]), await startServe(['--pmtiles', pm])];
  t.after(async () => {
    for (const { proc } of servers) {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  const archive = new PMTiles(new LocalSource(pm));
  const h = await archive.getHeader();
  assert.equal(h.specVersion, 3);
  assert.equal(h.tileType, TileType.Mvt);
  assert.equal(h.minZoom, 0);
  assert.equal(h.maxZoom, 12);
  const md = await archive.getMetadata();
  assert.deepEqual(md.vector_layers.map((l) => l.id).sort(), ['areas', 'boundaries']);
  assert.match(md.attribution, /Open Government Licence/);

  // Every tile over the data's bounds, z0-12: the JS reader's bytes (gunzipped) against the servers'.
  const lon2x = (lon, z) => Math.floor(((lon + 180) / 360) * 2 ** z);
  const lat2y = (lat, z) => Math.floor(((1 - Math.log(Math.tan((lat * Math.PI) / 180) + 1 / Math.cos((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z);
  let same = 0;
  let absent = 0;
  for (let z = h.minZoom; z <= h.maxZoom; z++) {
    for (let x = lon2x(h.minLon, z); x <= lon2x(h.maxLon, z); x++) {
      for (let y = lat2y(h.maxLat, z); y <= lat2y(h.minLat, z); y++) {
        const got = await archive.getZxy(z, x, y);
        const js = got ? Buffer.from(got.data) : null;
        for (const { base } of servers) {
          const r = await fetch(`${base}/tiles/areas/${z}/${x}/${y}.mvt`);
          assert.ok(r.status === 200 || r.status === 204, `${base} ${z}/${x}/${y}: ${r.status}`);
          const served = r.status === 200 ? Buffer.from(await r.arrayBuffer()) : null;
          assert.ok(js === null ? served === null : served !== null && js.equals(served), `tile ${z}/${x}/${y}: pmtiles ${js?.length} bytes, ${base} ${served?.length}`);
        }
        if (js) same++;
        else absent++;
      }
    }
  }
  assert.ok(same > 50, `only ${same} tiles compared`);
  t.diagnostic(`${same} tiles the same in the JS reader and both servers, ${absent} absent from all`);
});
