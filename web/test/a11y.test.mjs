// Accessibility and layout of the map page: axe-core (WCAG 2.2 AA) at desktop and phone sizes, no text
// overflowing its box in the controls and the panel, no label over another (the histogram's mean over
// a bar, a team's name over an area's), the panel's hints naming controls that exist, and everything
// a click on the map does reachable with the keyboard alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { skip, web, servedFixture, waitReady, waitIdle, sleep } from './harness.mjs';

const axeSource = readFileSync(path.join(web, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const WCAG22AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

/** The axe violations of the page as it stands, one line each. */
async function axe(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource); // evaluated by the browser's DevTools, which the page's CSP does not govern
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  }, WCAG22AA);
}

/** Text that does not fit its box in the controls and the panel: an element whose content is wider
 * than it (scrollWidth > clientWidth) without a scroll bar meant for it, and a select whose chosen
 * option's text is wider than the select shows. */
async function overflows(page) {
  return page.evaluate(() => {
    const out = [];
    const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
    for (const root of document.querySelectorAll('#controls, #panel-body, .site-header, header')) {
      for (const e of root.querySelectorAll('*')) {
        if (!visible(e) || e instanceof SVGElement || e.closest('.sr-only')) continue;
        const cs = getComputedStyle(e);
        if (cs.overflowX === 'auto' || cs.overflowX === 'scroll') continue;
        if (cs.textOverflow === 'ellipsis') continue; // cut on purpose, the full name in a title
        if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 && !['TABLE', 'TBODY', 'THEAD', 'TR'].includes(e.tagName)) {
          out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className}: ${e.scrollWidth} > ${e.clientWidth} (${e.textContent.trim().slice(0, 50)})`);
        }
        if (e.tagName === 'SELECT' && e.selectedOptions[0]) {
          const g = document.createElement('canvas').getContext('2d');
          g.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
          const text = g.measureText(e.selectedOptions[0].textContent).width;
          const room = e.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 16; // the arrow
          if (text > room) out.push(`select#${e.id}: "${e.selectedOptions[0].textContent}" is ${Math.round(text)} px in ${Math.round(room)} px`);
        }
      }
    }
    return out;
  });
}

/** Pairs of visible boxes that overlap: the histograms' mean labels against their bars, and the
 * map's labels (areas' and teams') against each other. */
async function collisions(page) {
  return page.evaluate(() => {
    const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    const out = [];
    for (const svg of document.querySelectorAll('svg.histogram')) {
      const label = svg.querySelector('.mean-label');
      if (!label) continue;
      const l = label.getBoundingClientRect();
      for (const bar of svg.querySelectorAll('rect')) {
        if (hit(l, bar.getBoundingClientRect())) out.push(`histogram: "${label.textContent}" over the bar "${bar.textContent}"`);
      }
    }
    const labels = [...document.querySelectorAll('.labels .label')].filter((e) => e.style.display !== 'none' && e.getClientRects().length);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        if (hit(labels[i].getBoundingClientRect(), labels[j].getBoundingClientRect())) out.push(`map: "${labels[i].textContent}" over "${labels[j].textContent}"`);
      }
    }
    return out;
  });
}

/** Presses Tab until fn(activeElement) holds, at most n times; returns whether it did. */
async function tabTo(page, fn, n = 80) {
  for (let i = 0; i < n; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(fn)) return true;
  }
  return false;
}

test('accessibility and layout of the map page', { skip, timeout: 240000 }, async (t) => {
  const fx = await servedFixture(t, { sets: ['Trafford localities'] });

  for (const [size, viewport] of Object.entries(SIZES)) {
    await t.test(`${size}: no WCAG 2.2 AA violation, no overflow, no collision`, async () => {
      const page = await fx.browser.newPage({ viewport });
      await page.goto(`${fx.base}/`);
      await waitReady(page);
      await waitIdle(page);
      if (size === 'phone') {
        // The phone layout folds the options and the panel: open both, as a reader would.
        await page.click('#controls-toggle');
        await page.click('#panel-toggle');
      }
      assert.deepEqual(await axe(page), [], `axe at ${size} (first view)`);
      assert.deepEqual(await overflows(page), [], `overflowing text at ${size}`);
      assert.deepEqual(await collisions(page), [], `colliding labels at ${size}`);
      await page.close();
    });
  }

  await t.test('colour is never the only carrier of a value', async () => {
    const page = await fx.browser.newPage({ viewport: SIZES.desktop });
    await page.goto(`${fx.base}/`);
    await waitReady(page);
    await page.waitForFunction(() => document.querySelectorAll('#legend .legend-row').length > 0);
    // Every colour of the legend is labelled with its value in text, and the area's panel gives the
    // coloured figure (PCNs at the threshold) as a number.
    const rows = await page.evaluate(() => [...document.querySelectorAll('#legend .legend-row')].map((r) => r.querySelector('.legend-label')?.textContent.trim() ?? ''));
    assert.ok(rows.length >= 3 && rows.every((l) => /\d/.test(l)), `legend labels: ${JSON.stringify(rows)}`);
    await page.evaluate(() => window.pcnmap.map.jumpTo({ center: [-2.33, 53.43], zoom: 11 }));
    await waitIdle(page);
    await page.focus('#in-view summary');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#in-view button[data-code]'));
    await page.click('#in-view button[data-code]');
    await page.waitForFunction(() => document.querySelector('#selection .pcn-count'));
    const shown = await page.evaluate(() => document.querySelector('#selection .pcn-count').textContent.trim());
    assert.match(shown, /^\d+$/, 'the panel gives the number of PCNs as text');
    await page.close();
  });

  await t.test('the panel names the controls by their labels', async () => {
    const page = await fx.browser.newPage({ viewport: SIZES.desktop });
    await page.goto(`${fx.base}/`);
    await waitReady(page);
    await page.selectOption('#outlines', '');
    await page.waitForFunction(() => /under “/.test(document.getElementById('summary').textContent));
    const named = await page.evaluate(() => document.getElementById('summary').textContent.match(/under “([^”]+)”/)[1]);
    const labels = await page.evaluate(() => [...document.querySelectorAll('label')].map((l) => l.textContent.trim()));
    assert.ok(labels.includes(named), `the panel says under “${named}”, but the labels are ${labels.join(' | ')}`);
    await page.close();
  });

  await t.test('keyboard only: an area from the list in view, its panel, its PCNs', async () => {
    const page = await fx.browser.newPage({ viewport: SIZES.desktop });
    await page.goto(`${fx.base}/#map=11/53.43/-2.33`);
    await waitReady(page);
    await waitIdle(page);
    assert.ok(await tabTo(page, () => document.activeElement?.matches('#in-view summary')), 'Tab reaches "Areas in view"');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('#in-view button[data-code]').length > 0);
    const listed = await page.evaluate(() => document.querySelectorAll('#in-view button[data-code]').length);
    assert.ok(listed >= 5, `the list of areas in view has ${listed} areas`);
    await page.keyboard.press('Tab');
    const code = await page.evaluate(() => document.activeElement?.dataset.code);
    assert.ok(code, 'Tab moves to the first area of the list');
    await page.keyboard.press('Enter');
    await page.waitForFunction((c) => document.querySelector('#selection .code')?.textContent === c, code);
    await waitIdle(page);
    const at = await page.evaluate(() => `${document.activeElement?.tagName}#${document.activeElement?.id}`);
    assert.ok(await tabTo(page, () => document.activeElement?.closest('#selection .bar-row')), `Tab (from ${at}) reaches the area’s PCNs`);
    const first = await page.evaluate(() => document.activeElement.closest('.bar-row').dataset.code);
    await page.keyboard.press('Tab');
    const second = await page.evaluate(() => document.activeElement?.closest('#selection .bar-row')?.dataset.code);
    assert.ok(second && second !== first, `Tab steps from the PCN ${first} to the next (${second})`);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction((f) => document.querySelector('#selection .code')?.textContent === f, first);
    assert.equal(await page.evaluate(() => document.querySelector('#selection .badge').textContent), 'PCN');
    assert.deepEqual(await axe(page), [], 'axe with a PCN panel open');
    await page.close();
  });

  await t.test('the practice-move form and its changes: no WCAG 2.2 AA violation, no overflow', async () => {
    const set = encodeURIComponent('Trafford localities');
    const al = await (await fetch(`${fx.base}/api/teams/${set}/alignment?threshold=1%25`)).json();
    const team = al.teams.find((x) => x.pcns.some((p) => p.code === 'U42898')).name; // South Trafford PCN's
    const page = await fx.browser.newPage({ viewport: SIZES.desktop });
    await page.goto(`${fx.base}/#t=1&teams=${set}&team=${encodeURIComponent(team)}`);
    await waitReady(page);
    await page.locator('#practice-move-open').click();
    await page.waitForSelector('#practice-move-practice option[value="P91603"]', { state: 'attached' });
    assert.deepEqual(await axe(page), [], 'axe with the practice-move form open');
    await page.selectOption('#practice-move-practice', 'P91603');
    await page.selectOption('#practice-move-to', 'U66368');
    await page.locator('#practice-move-submit').click();
    await page.waitForSelector('#teams .practice-changes .list-after');
    assert.deepEqual(await axe(page), [], 'axe with a practice move made');
    assert.deepEqual(await overflows(page), [], 'overflowing text with a practice move made');
    await page.close();
  });

  await t.test('team labels and area labels do not collide', async () => {
    const page = await fx.browser.newPage({ viewport: SIZES.desktop });
    await page.goto(`${fx.base}/#map=12/53.445/-2.33&teams=${encodeURIComponent("Trafford localities")}`);
    await waitReady(page);
    await waitIdle(page);
    await page.waitForFunction(() => document.querySelectorAll('.team-label').length > 0, null, { timeout: 10000 });
    await sleep(400); // the labels are placed after the map settles
    const n = await page.evaluate(() => [...document.querySelectorAll('.labels .label')].filter((e) => e.style.display !== 'none').length);
    assert.ok(n > 5, `${n} labels on the map`);
    assert.deepEqual(await collisions(page), []);
    assert.deepEqual(await axe(page), [], 'axe with a team set shown');
    assert.deepEqual(await overflows(page), [], 'overflowing text with a team set shown');
    await page.close();
  });
});

test('the set chooser of a workspace without sets fits its text', { skip, timeout: 120000 }, async (t) => {
  // With a token the workspace is writable: the chooser shows, with its "no sets" option and Import.
  const fx = await servedFixture(t, { serveArgs: ['--token', 'a11y-token-of-16+chars'] });
  const page = await fx.browser.newPage({ viewport: SIZES.desktop });
  await page.goto(`${fx.base}/`);
  await waitReady(page);
  await page.waitForFunction(() => !document.getElementById('teams-field').hidden);
  assert.deepEqual(await overflows(page), []);
  assert.deepEqual(await axe(page), []);
  await page.close();
});
