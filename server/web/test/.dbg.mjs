import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
page.on('console', (m) => console.log('console', m.type(), m.text()));
await page.goto(process.argv[2] || 'http://127.0.0.1:8089/');
await page.waitForFunction(() => window.pcnmap && window.pcnmap.ready, null, { timeout: 15000 });
console.log(await page.evaluate(process.argv[3] || '1'));
await browser.close();
