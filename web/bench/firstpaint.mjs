// Measures the map's first meaningful paint: the `pcnmap-areas-painted` performance mark (the first
// frame drawn once the choropleth's first tiles are in), read by playwright-core from Debian's
// chromium. Each run starts a new browser with a new profile, so nothing is cached: not the page, the
// tiles, nor compiled code. With --one-browser, each run opens a new context (its own empty cache and
// storage) in one browser already running, as a planner opens the page in their browser; its first
// run, which also starts the browser's GPU process, is left out. Several URLs are measured in turn,
// run by run, so a busy machine slows them alike and their ratio holds.
//
//   node bench/firstpaint.mjs [--runs N] [--one-browser] URL [BASELINE_URL…]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
let runs = 7;
const at = args.indexOf('--runs');
if (at >= 0) runs = Number(args.splice(at, 2)[1]);
const oneBrowser = args.includes('--one-browser');
if (oneBrowser) args.splice(args.indexOf('--one-browser'), 1);
if (args.length === 0 || !(runs > 0)) {
  console.error('usage: node bench/firstpaint.mjs [--runs N] [--one-browser] URL [BASELINE_URL…]');
  process.exit(2);
}
const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

async function paint(ctx, url) {
  const page = await ctx.newPage();
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('pcnmap-areas-painted').length > 0, null, { timeout: 60000 });
  return page.evaluate(() => performance.getEntriesByName('pcnmap-areas-painted')[0].startTime);
}

const shared = oneBrowser ? await chromium.launch({ executablePath: browserPath, args: flags }) : undefined;

async function once(url) {
  if (shared) {
    const ctx = await shared.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      return await paint(ctx, url);
    } finally {
      await ctx.close();
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'pcnmap-paint-'));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: browserPath, args: flags, viewport: { width: 1280, height: 800 } });
  try {
    return await paint(ctx, url);
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (shared) await once(args[0]); // starts the browser's GPU process; not counted

const times = new Map(args.map((u) => [u, []]));
for (let i = 0; i < runs; i++) for (const u of args) times.get(u).push(await once(u));
await shared?.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const first = median(times.get(args[0]));
for (const [u, xs] of times) {
  const m = median(xs);
  const sorted = [...xs].sort((a, b) => a - b).map((x) => Math.round(x));
  console.log(`${u}: first paint median ${Math.round(m)} ms over ${xs.length} runs (${sorted.join(' ')})${u === args[0] ? '' : `; the first URL takes ${(first / m).toFixed(2)} of this`}`);
}
