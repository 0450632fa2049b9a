// Loads a TypeScript module of src/ for a unit test: esbuild bundles it (with what it imports) into
// a temporary ES module, which is imported. Only for the pure modules: no DOM, no map.
import * as esbuild from 'esbuild';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const web = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export async function load(src) {
  const dir = await mkdtemp(path.join(tmpdir(), 'pcnmap-unit-'));
  const out = path.join(dir, path.basename(src).replace(/\.ts$/, '.mjs'));
  try {
    await esbuild.build({ entryPoints: [path.join(web, src)], bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'error' });
    return await import(pathToFileURL(out).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
