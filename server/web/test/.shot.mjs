import { chromium } from 'playwright-core';
const url = process.argv[2] || 'http://127.0.0.1:8089/';
const out = process.argv[3] || '/tmp/shot.png';
const w = +(process.argv[4] || 1280), hgt = +(process.argv[5] || 800);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
const page = await browser.newPage({ viewport: { width: w, height: hgt } });
page.on('console', (m) => console.log('console', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror', e.message));
page.on('response', (r) => { if (r.status() >= 400) console.log('HTTP', r.status(), r.url()); });
await page.goto(url);
await page.waitForFunction(() => window.pcnmap && window.pcnmap.ready, null, { timeout: 15000 }).catch((e) => console.log('not ready', e.message));
console.log('firstIdle', await page.evaluate(() => window.pcnmap && window.pcnmap.firstIdle));
if (process.env.ACTIONS) { const f = new Function('page', 'return (async () => {' + process.env.ACTIONS + '})()'); await f(page); }
await page.waitForTimeout(+(process.env.WAIT || 500));
await page.screenshot({ path: out });
console.log('url', page.url());
await browser.close();
