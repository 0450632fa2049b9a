// Bundles the map page into dist/: index.html, favicon.svg and assets/app-HASH.{js,css}.
// `node build.mjs` builds once (minified); `node build.mjs --watch` rebuilds on change (not minified).
// `make web` runs it after `npm ci`; the Go binary embeds dist/ (see embed.go).
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile, copyFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
// MapLibre's CSP build keeps its worker in a file of its own: the browser fetches and compiles it on
// a second core while the page's bundle compiles on the first, where the standard build has the
// worker's source inside the bundle and can start it only once the whole bundle has run.
const maplibreMain = require.resolve('maplibre-gl/dist/maplibre-gl-csp.js');
const maplibreWorker = require.resolve('maplibre-gl/dist/maplibre-gl-csp-worker.js');
const workerSrc = await readFile(maplibreWorker);
const worker = `assets/maplibre-worker-${createHash('sha256').update(workerSrc).digest('hex').slice(0, 8).toUpperCase()}.js`;
const dist = path.join(here, 'dist');
const watch = process.argv.includes('--watch');
// The budget of issue 4: the minified JavaScript stays under 1.5 MB. It counts what the page loads
// before its first paint: the bundle, the chunks it imports statically, and MapLibre's worker. The
// dialogs (import a set, design neighbourhoods) are split off and loaded on first use.
const JS_BUDGET = 1_500_000; // bytes

async function writePage(metafile) {
  const outs = Object.keys(metafile.outputs).map((p) => path.relative(dist, path.resolve(here, p)).split(path.sep).join('/'));
  const js = outs.find((p) => /^assets\/app-[^/]+\.js$/.test(p));
  const css = outs.find((p) => /^assets\/app-[^/]+\.css$/.test(p));
  if (!js || !css) throw new Error(`build: missing outputs in ${outs.join(', ')}`);
  await writeFile(path.join(dist, worker), workerSrc);
  const html = (await readFile(path.join(here, 'src/index.html'), 'utf8')).replace('{{js}}', js).replace('{{css}}', css).replaceAll('{{worker}}', worker);
  await writeFile(path.join(dist, 'index.html'), html);
  await copyFile(path.join(here, 'src/favicon.svg'), path.join(dist, 'favicon.svg'));
  // The outputs the bundle loads statically (itself and the chunks it imports), and the rest.
  const key = (p) => path.relative(dist, path.resolve(here, p)).split(path.sep).join('/');
  const byKey = Object.fromEntries(Object.entries(metafile.outputs).map(([p, o]) => [key(p), o]));
  const eager = new Set();
  const visit = (k) => {
    if (eager.has(k) || !byKey[k]) return;
    eager.add(k);
    for (const im of byKey[k].imports) if (im.kind === 'import-statement') visit(key(im.path));
  };
  visit(js);
  let jsSize = 0;
  let lazy = 0;
  for (const [k, o] of Object.entries(byKey)) {
    if (!k.endsWith('.js')) continue;
    if (eager.has(k)) jsSize += o.bytes;
    else lazy += o.bytes;
  }
  const size = jsSize + workerSrc.length;
  const cssSize = (await stat(path.join(dist, css))).size;
  console.log(`build: dist/${js} and its chunks ${(jsSize / 1024).toFixed(0)} kB + dist/${worker} ${(workerSrc.length / 1024).toFixed(0)} kB = ${size} bytes before first paint; ${(lazy / 1024).toFixed(0)} kB loaded on demand; dist/${css} ${(cssSize / 1024).toFixed(0)} kB`);
  if (!watch && size > JS_BUDGET) throw new Error(`build: the JavaScript is ${size} bytes, over the ${JS_BUDGET}-byte budget`);
}

const options = {
  entryPoints: { app: path.join(here, 'src/main.ts') },
  bundle: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: !watch,
  sourcemap: watch ? 'inline' : false,
  legalComments: 'linked', // MapLibre's BSD notice goes to assets/app-HASH.js.LEGAL.txt
  outdir: path.join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  splitting: true,
  assetNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"', MAPLIBRE_WORKER: JSON.stringify(worker) },
  plugins: [
    {
      name: 'maplibre-csp',
      setup(build) {
        build.onResolve({ filter: /^maplibre-gl$/ }, () => ({ path: maplibreMain }));
      },
    },
    {
      name: 'page',
      setup(build) {
        build.onEnd(async (result) => {
          if (result.errors.length === 0 && result.metafile) await writePage(result.metafile);
        });
      },
    },
  ],
};

// The static map of `pcnmap site export` (site/): its own small page over the same MapLibre and
// palette, reading tiles.pmtiles and data.json beside it. It goes to dist/site/, embedded with the rest.
const siteDist = path.join(dist, 'site');
const siteOptions = {
  ...options,
  entryPoints: { site: path.join(here, 'site/main.ts') },
  outdir: path.join(siteDist, 'assets'),
  legalComments: 'linked',
  plugins: [
    options.plugins[0],
    {
      name: 'site-page',
      setup(build) {
        build.onEnd(async (result) => {
          if (result.errors.length !== 0 || !result.metafile) return;
          const outs = Object.keys(result.metafile.outputs).map((p) => path.relative(siteDist, path.resolve(here, p)).split(path.sep).join('/'));
          const js = outs.find((p) => /^assets\/site-[^/]+\.js$/.test(p));
          const css = outs.find((p) => /^assets\/site-[^/]+\.css$/.test(p));
          await writeFile(path.join(siteDist, worker), workerSrc);
          const html = (await readFile(path.join(here, 'site/index.html'), 'utf8')).replace('{{js}}', js).replace('{{css}}', css).replaceAll('{{worker}}', worker);
          await writeFile(path.join(siteDist, 'index.html'), html);
          await copyFile(path.join(here, 'src/favicon.svg'), path.join(siteDist, 'favicon.svg'));
          console.log(`build: dist/site/${js} ${((await stat(path.join(siteDist, js))).size / 1024).toFixed(0)} kB`);
        });
      },
    },
  ],
};

await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, 'assets'), { recursive: true });
await mkdir(path.join(siteDist, 'assets'), { recursive: true });
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log('build: watching src/ for changes');
} else {
  await esbuild.build(options);
  await esbuild.build(siteOptions);
}
