// The geojson-vt + vt-pbf baseline of bench/export.sh: reads the MSOA GeoJSON (gzipped), cuts every
// tile of z0–12 that holds a feature, encodes each as a Mapbox Vector Tile (extent 4096, as pcnmap)
// and gzips it (zlib's default level, as MBTiles hold them), counting tiles and bytes. It writes no
// file: Node has no SQLite of its own, and the write is a small part of pcnmap's export.
//
// usage: node bench/geojsonvt/export.mjs AREAS.geojson.gz
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import GeoJSONVT from 'geojson-vt';
import vtpbf from 'vt-pbf';

const maxZoom = 12;
const data = JSON.parse(gunzipSync(readFileSync(process.argv[2])).toString());
const index = new GeoJSONVT(data, { maxZoom, indexMaxZoom: 5, extent: 4096 });
let tiles = 0, bytes = 0;
const stack = [[0, 0, 0]];
while (stack.length) {
  const [z, x, y] = stack.pop();
  const t = index.getTile(z, x, y);
  if (!t || t.features.length === 0) continue;
  const gz = gzipSync(vtpbf.fromGeojsonVt({ areas: t }, { version: 2 }));
  tiles++;
  bytes += gz.length;
  if (z < maxZoom) {
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) stack.push([z + 1, 2 * x + dx, 2 * y + dy]);
  }
}
console.log(`${tiles} tiles, ${(bytes / 1e6).toFixed(1)} MB`);
