// Bundles the map page into dist/: index.html, favicon.svg and assets/app-HASH.{js,css}.
// `node build.mjs` builds once (minified); `node build.mjs --watch` rebuilds on change (not minified).
// `make web` runs it after `npm ci`; the Go binary embeds dist/ (see ../web.go).
import * as esbuild from 'esbuild';
import { mkdir, readFile, rm, writeFile, copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const watch = process.argv.includes('--watch');
// The budget of issue 4: the minified JavaScript stays under 1.5 MB.
const JS_BUDGET = 1.5 * 1024 * 1024;

async function writePage(metafile) {
  const outs = Object.keys(metafile.outputs).map((p) => path.relative(dist, path.resolve(here, p)).split(path.sep).join('/'));
  const js = outs.find((p) => /^assets\/app-[^/]+\.js$/.test(p));
  const css = outs.find((p) => /^assets\/app-[^/]+\.css$/.test(p));
  if (!js || !css) throw new Error(`build: missing outputs in ${outs.join(', ')}`);
  const html = (await readFile(path.join(here, 'src/index.html'), 'utf8')).replace('{{js}}', js).replace('{{css}}', css);
  await writeFile(path.join(dist, 'index.html'), html);
  await copyFile(path.join(here, 'src/favicon.svg'), path.join(dist, 'favicon.svg'));
  const size = (await stat(path.join(dist, js))).size;
  const cssSize = (await stat(path.join(dist, css))).size;
  console.log(`build: dist/${js} ${(size / 1024).toFixed(0)} kB, dist/${css} ${(cssSize / 1024).toFixed(0)} kB`);
  if (!watch && size > JS_BUDGET) throw new Error(`build: the bundle is ${size} bytes, over the ${JS_BUDGET}-byte budget`);
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
  assetNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [
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

await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, 'assets'), { recursive: true });
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log('build: watching src/ for changes');
} else {
  await esbuild.build(options);
}
