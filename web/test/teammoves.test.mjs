// End-to-end test of the team what-if as a planner shares and keeps it, in headless chromium against
// `pcnmap serve --token` on the fixture workspace: the moves in the URL (a reload or a shared link
// restores them, back/forward steps through them, bad or stale moves are left out with a note), renaming
// a set from the panel, and the save-as name kept across the panel's redraws. The set's team names
// carry commas, colons, '>', '&', '%' and unicode, as real ones may. Every figure is checked against
// the API's own answer.
//
//   make e2e   (or, from web after make build: node --test test/teammoves.test.mjs)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { results, servedFixture, skip, waitReady, watcher } from './harness.mjs';

const BASE_SET = 'Trafford localities';
const SET = 'Awkward, names: a > b ü';
const RENAMED = 'Localités & co, 2025';
const TOKEN = 'e2e-secret-token';
const TEAM_NAMES = ['North, Sale > Altrincham', 'Centre: Stretford & Old Trafford', 'Süd 100% — Timperley', 'West “Partington” #4'];
const enc = encodeURIComponent;
/** The URL's encoding of the moves, as the README documents it: CODE:FROM:TO, percent-encoded, comma-separated. */
const encodeMoves = (ms) => ms.map((m) => [m.code, m.from, m.to].map(enc).join(':')).join(',');
const csvField = (s) => `"${s.replace(/"/g, '""')}"`;

test('team what-if moves in the URL, rename, the save-as name', { skip, timeout: 300000 }, async (t) => {
  const { base, browser } = await servedFixture(t, { sets: [BASE_SET], serveArgs: ['--token', TOKEN] });
  const api = async (p, init) => {
    const r = await fetch(base + p, init);
    const body = r.status === 204 ? null : await r.json();
    return init ? { status: r.status, body } : body;
  };
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const whatif = async (set, moves, th = '1%25') => {
    const r = await api(`/api/teams/${enc(set)}/whatif?threshold=${th}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ moves }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  /** Imports the Trafford areas under the awkward team names (an MSOA list); assign may put an area in another team. */
  const importAwkward = async (name, assign = (a) => a.team) => {
    const det = await api(`/api/teams/${enc(BASE_SET)}`);
    const rename = new Map(det.team_list.map((tm, i) => [tm.name, TEAM_NAMES[i]]));
    const rows = det.areas.map((x) => `${csvField(assign({ code: x.code, team: rename.get(x.team) }))},${x.code}`);
    const fd = new FormData();
    fd.append('name', name);
    fd.append('file', new Blob([`team,msoa\n${rows.join('\n')}\n`], { type: 'text/csv' }), 'awkward.csv');
    const r = await api('/api/teams', { method: 'POST', headers: auth, body: fd });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return api(`/api/teams/${enc(name)}`);
  };
  const detail = await importAwkward(SET);
  assert.deepEqual(detail.team_list.map((x) => x.name).sort(), [...TEAM_NAMES].sort());

  const { problems, watch } = watcher(base);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  watch(page, 'desktop');

  const byTeam = (name) => detail.areas.filter((a) => a.team === name);
  // two moves: an area to another team, then another area to no team
  const a = byTeam(TEAM_NAMES[0])[0];
  const b = byTeam(TEAM_NAMES[2])[0];
  assert.ok(a && b, 'the awkward set lacks areas in its teams');
  const moves = [
    { code: a.code, from: a.team, to: TEAM_NAMES[1] },
    { code: b.code, from: b.team, to: '' },
  ];

  const selectArea = async (p, code) => {
    await p.fill('#search-input', code);
    await p.locator('#search-list [role=option]', { hasText: code }).first().click();
    await p.waitForSelector(`#teams .move-form[data-code="${code}"]`);
  };
  /** The panel redrawn at a threshold (the score itself does not depend on it). */
  const drawnAt = (p, th) =>
    p.waitForFunction((x) => document.querySelector('#teams .team-choice')?.textContent.includes(`≥ ${x}`) && document.querySelector('#teams .whatif')?.getAttribute('aria-busy') === 'false', th);
  const scoreAfter = (p, s) => p.waitForFunction((v) => document.querySelector('#teams .score-after')?.dataset.score === String(v), s);
  const movedFilter = (p) => p.evaluate(() => window.pcnmap.map.getFilter('teams-moved')?.[2]?.[1] ?? null);
  const listed = (p) => p.locator('#teams .whatif .moves > li').evaluateAll((els) => els.map((e) => e.dataset.code));
  const movesInURL = (p) => {
    const m = /[#&]moves=([^&]*)/.exec(new URL(p.url()).hash);
    return m ? m[1] : '';
  };
  const waitURL = (p, want) => p.waitForFunction((w) => (/[#&]moves=([^&]*)/.exec(location.hash)?.[1] ?? '') === w, want);

  let shared;
  await t.test('the moves made on the map are written into the URL', async () => {
    await page.goto(`${base}/#teams=${enc(SET)}`);
    await waitReady(page);
    await page.waitForFunction((n) => document.querySelector('#teams-title')?.textContent === n && document.querySelector('#teams .team-score'), SET);
    for (let i = 0; i < moves.length; i++) {
      const m = moves[i];
      await selectArea(page, m.code);
      await page.selectOption('#move-to', m.to || '\u0000');
      await page.locator('#move-submit').click();
      const r = await whatif(SET, moves.slice(0, i + 1));
      await scoreAfter(page, r.after.score);
      await waitURL(page, encodeMoves(moves.slice(0, i + 1)));
    }
    shared = page.url();
    // the names' own ',', ':', '>', '&', '%' and spaces are escaped: only the separators are bare
    assert.equal(movesInURL(page), encodeMoves(moves));
    assert.doesNotMatch(movesInURL(page), /[ >&]/);
    assert.equal(movesInURL(page).split(',').length, 2);
    assert.deepEqual(await movedFilter(page), moves.map((m) => m.code));
  });

  await t.test('a reload of the shared link restores the moves, the score before → after and the marked areas', async () => {
    const again = await ctx.newPage();
    watch(again, 'reloaded');
    await again.goto(shared);
    await waitReady(again);
    const r = await whatif(SET, moves);
    await scoreAfter(again, r.after.score);
    assert.equal(Number(await again.locator('#teams .score-before').getAttribute('data-score')), r.before.score);
    assert.deepEqual(await listed(again), moves.map((m) => m.code));
    // the changed teams as the API has them, awkward names included
    for (const tm of r.after.teams) {
      const cell = await again.locator(`#teams .team-changes tr[data-team="${tm.name.replace(/["\\]/g, '\\$&')}"] td`).first().innerText();
      assert.match(cell, new RegExp(`${Math.round(tm.registered).toLocaleString('en-GB')}$`));
    }
    assert.deepEqual(await movedFilter(again), moves.map((m) => m.code));
    assert.equal(await again.locator('#moves-note').count(), 0);
    assert.equal(await again.locator('#teams-set').inputValue(), SET);
    // the areas are named as when the moves were made
    assert.match(await again.locator('#teams .whatif .moves > li').first().innerText(), new RegExp(`\\S+.* ${a.code}:`));
    assert.equal(again.url(), shared);
    await again.close();
  });

  await t.test('back and forward step through the moves', async () => {
    // the history: …, area a, first move, area b, second move
    const one = await whatif(SET, moves.slice(0, 1));
    await page.goBack();
    await scoreAfter(page, one.after.score);
    assert.deepEqual(await listed(page), [moves[0].code]);
    assert.deepEqual(await movedFilter(page), [moves[0].code]);
    await page.goBack();
    await page.waitForSelector(`#teams .move-form[data-code="${a.code}"]`);
    assert.deepEqual(await listed(page), [moves[0].code]);
    await page.goBack();
    await page.waitForSelector('#teams .whatif', { state: 'detached' });
    assert.deepEqual(await movedFilter(page), []);
    assert.equal(movesInURL(page), '');
    await page.goForward();
    await scoreAfter(page, one.after.score);
    await page.goForward();
    await page.goForward();
    await scoreAfter(page, (await whatif(SET, moves)).after.score);
    assert.deepEqual(await listed(page), moves.map((m) => m.code));
    assert.equal(page.url(), shared);
  });

  await t.test('bad and stale moves in a link are left out with a note', async () => {
    const p = await ctx.newPage();
    watch(p, 'bad link');
    const good = moves[0];
    const raw = [
      encodeMoves([good]),
      'E02999999::' + enc(TEAM_NAMES[3]), // no such area
      encodeMoves([{ code: b.code, from: b.team, to: 'Nowhere, really' }]), // no such team
      encodeMoves([{ code: b.code, from: TEAM_NAMES[3], to: TEAM_NAMES[0] }]), // b is not in that team
      'not-a-move',
      `${b.code}:%E0%A4%A:x`, // a broken escape
    ].join(',');
    await p.goto(`${base}/#teams=${enc(SET)}&moves=${raw}`);
    await waitReady(p);
    await p.waitForSelector('#moves-note');
    assert.match(await p.locator('#moves-note').innerText(), /^5 moves of the link left out: /);
    assert.match(await p.locator('#moves-note').innerText(), /E02999999: not an area of this workspace/);
    assert.match(await p.locator('#moves-note').innerText(), /no team “Nowhere, really” in this set/);
    await scoreAfter(p, (await whatif(SET, [good])).after.score);
    assert.deepEqual(await listed(p), [good.code]);
    await waitURL(p, encodeMoves([good])); // the link is mended
    await p.close();
  });

  const saveName = 'Half-typed name, kept';
  await t.test('the save-as name survives the panel’s redraws, with the focus', async () => {
    await page.fill('#whatif-save-name', saveName);
    // a new threshold redraws the panel (the focus moves to the button)
    await page.locator('#threshold-presets button', { hasText: /^5%$/ }).click();
    await drawnAt(page, '5%');
    await scoreAfter(page, (await whatif(SET, moves, '5%25')).after.score);
    assert.equal(await page.inputValue('#whatif-save-name'), saveName);
    // a redraw while typing: the threshold set without taking the focus from the field
    await page.focus('#whatif-save-name');
    await page.keyboard.press('End');
    await page.keyboard.type(' (2)');
    await page.evaluate(() => document.querySelector('#threshold-presets button[data-t="1"]').click());
    await drawnAt(page, '1%');
    await scoreAfter(page, (await whatif(SET, moves)).after.score);
    assert.equal(await page.inputValue('#whatif-save-name'), `${saveName} (2)`);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'whatif-save-name');
    assert.equal(await page.evaluate(() => document.activeElement.selectionStart), `${saveName} (2)`.length);
  });

  await t.test('renaming the set on the map: the server’s errors, then the new name everywhere', async () => {
    await page.locator('#set-rename').click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'rename-name');
    assert.equal(await page.inputValue('#rename-name'), SET);
    // a name taken (409) and a name the server refuses (400): the server's own message
    for (const [name, status] of [[BASE_SET, 409], ['a/b', 400]]) {
      const want = await api(`/api/teams/${enc(SET)}`, { method: 'PATCH', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
      assert.equal(want.status, status);
      await page.fill('#rename-name', name);
      if (await page.locator('#rename-token').count()) await page.fill('#rename-token', TOKEN);
      await page.locator('#set-rename-confirm').click();
      await page.waitForFunction((m) => document.querySelector('#rename-error')?.textContent === m, `Not renamed: ${want.body.error}`);
    }
    assert.equal((await api(`/api/teams/${enc(SET)}`)).name, SET);
    await page.fill('#rename-name', RENAMED);
    await page.locator('#set-rename-confirm').click();
    await page.waitForFunction((n) => document.querySelector('#teams-title')?.textContent === n, RENAMED);
    const sets = await api('/api/teams');
    assert.ok(sets.sets.some((s) => s.name === RENAMED) && !sets.sets.some((s) => s.name === SET), JSON.stringify(sets));
    assert.equal(await page.locator('#teams-set').inputValue(), RENAMED);
    assert.deepEqual(await page.locator('#teams-set option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean)), sets.sets.map((s) => s.name));
    await page.waitForFunction((h) => location.hash.includes(h), `teams=${enc(RENAMED)}`);
    // the moves stay, now asked of the set under its new name
    assert.equal(movesInURL(page), encodeMoves(moves));
    assert.deepEqual(await listed(page), moves.map((m) => m.code));
    assert.equal(Number(await page.locator('#teams .score-after').getAttribute('data-score')), (await whatif(RENAMED, moves)).after.score);
    assert.ok((await page.evaluate(() => window.pcnmap.map.getSource('teams')?.tiles[0])).includes(`set=${enc(RENAMED)}`));
    assert.equal(await page.inputValue('#whatif-save-name'), `${saveName} (2)`);
  });

  await t.test('on a phone, a shared link shows the moves in the panel', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    watch(p, 'phone');
    await p.goto(`${base}/#teams=${enc(RENAMED)}&moves=${encodeMoves(moves)}`);
    await waitReady(p);
    await p.locator('#panel-toggle').click();
    await p.waitForSelector('#teams .score-after', { state: 'visible' });
    const box = await p.locator('#teams .whatif').boundingBox();
    assert.ok(box && box.width <= 390, `the what-if is ${box?.width}px wide`);
    await p.screenshot({ path: path.join(results, 'teams-moves-phone.png') });
    await phone.close();
  });

  await t.test('a link made before the set changed keeps the moves that still fit', async () => {
    // the set imported again, with the first area already in the team the link moves it to
    assert.equal((await api(`/api/teams/${enc(RENAMED)}`, { method: 'DELETE', headers: auth })).status, 204);
    await importAwkward(RENAMED, (x) => (x.code === a.code ? moves[0].to : x.team));
    const p = await ctx.newPage();
    watch(p, 'changed set');
    await p.goto(`${base}/#teams=${enc(RENAMED)}&moves=${encodeMoves(moves)}`);
    await waitReady(p);
    await p.waitForSelector('#moves-note');
    assert.equal(await p.locator('#moves-note').innerText(), `1 move of the link left out: ${a.code}: it is in “${moves[0].to}”, not “${moves[0].from}”.`);
    await scoreAfter(p, (await whatif(RENAMED, moves.slice(1))).after.score);
    assert.deepEqual(await listed(p), [moves[1].code]);
    await waitURL(p, encodeMoves(moves.slice(1)));
    await p.close();
  });

  await t.test('no console errors', () => {
    // but the browser's notes of the refused renames (409, 400), which the test asked for
    const rest = problems.filter((p) => !/^desktop: console error: Failed to load resource: .*status of (400|409) .*\(\/api\/teams\/[^/]+\)$/.test(p));
    assert.deepEqual(rest, []);
  });
  await ctx.close();
});
