// End-to-end test of the membership what-if on the map (issue 16), in headless chromium against
// `pcnmap serve --token` on the fixture workspace with Trafford's four localities imported: in the
// panel of the team holding South Trafford PCN, "Move a practice to another PCN…" moves Barrington
// Medical Centre (P91603) to North Trafford PCN; the panel shows the score and both PCNs' list sizes
// the API gives for the same practice move, saving is disabled with the reason, the move lives in the
// URL (&pmoves=P91603:U42898:U66368, restored by a reload), and undo takes it back. The PCNs to join
// are the team's, then those around it (the overlaps of its PCNs), then the set's others; a link's
// bad practice moves are left out by the page, each with what is wrong.
//
//   make e2e   (or, from web after make build: node --test test/practicemove.test.mjs)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { results, servedFixture, skip, waitReady, watcher } from './harness.mjs';

const SET = 'Trafford localities';
const TOKEN = 'e2e-secret-token';
const enc = encodeURIComponent;
const MOVE = { practice: 'P91603', from: 'U42898', to: 'U66368' };

test('a practice moved to another PCN in the team panel', { skip, timeout: 180000 }, async (t) => {
  const { base, browser } = await servedFixture(t, { sets: [SET], serveArgs: ['--token', TOKEN] });
  const { problems, watch } = watcher(base);
  const api = async (p, init) => {
    const r = await fetch(base + p, init);
    return { status: r.status, body: await r.json() };
  };
  const al = (await api(`/api/teams/${enc(SET)}/alignment?threshold=1%25`)).body;
  // The team whose PCNs at 1% include South Trafford PCN: its panel offers that PCN's practices.
  const team = al.teams.find((x) => x.pcns.some((p) => p.code === MOVE.from))?.name;
  assert.ok(team, `no team holds ${MOVE.from} at 1%`);
  const want = await api(`/api/teams/${enc(SET)}/whatif?threshold=1%25&detail=teams`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ practice_moves: [MOVE] }),
  });
  assert.equal(want.status, 200, JSON.stringify(want.body));
  const [change] = want.body.practice_changes;

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  watch(page, 'desktop');
  await page.goto(`${base}/#t=1&teams=${enc(SET)}&team=${enc(team)}`);
  await waitReady(page);
  await page.waitForSelector(`#teams .team-details[data-team="${team}"]`);

  await t.test('the form offers the team’s practices and PCNs to join: the team’s first, those around it, the set’s others', async () => {
    await page.locator('#practice-move-open').click();
    await page.waitForSelector(`#practice-move-practice option[value="${MOVE.practice}"]`, { state: 'attached' });
    await page.waitForSelector('#practice-move-to optgroup[label="Around this team"]', { state: 'attached' });
    const groups = await page
      .locator('#practice-move-to optgroup')
      .evaluateAll((gs) => gs.map((g) => ({ label: g.label, pcns: [...g.querySelectorAll('option')].map((o) => o.value) })));
    const teamPCNs = al.teams.find((x) => x.name === team).pcns.map((p) => p.code);
    assert.equal(groups[0].label, 'In this team');
    assert.deepEqual([...groups[0].pcns].sort(), [...teamPCNs].sort());
    // Around the team: the PCNs sharing areas at 1% with the team's PCNs, as the API lists them.
    const around = new Set();
    for (const p of teamPCNs) for (const o of (await api(`/api/pcns/${p}/overlaps?threshold=1%25`)).body.overlaps) if (!teamPCNs.includes(o.code)) around.add(o.code);
    assert.equal(groups[1].label, 'Around this team');
    assert.deepEqual([...groups[1].pcns].sort(), [...around].sort());
    const offered = groups.flatMap((g) => g.pcns);
    assert.equal(new Set(offered).size, offered.length, 'each PCN once');
    for (const p of al.pcns) assert.ok(offered.includes(p.code), `the set's PCN ${p.code} is offered`);
  });

  await t.test('a practice move shows the API’s after-score and both PCNs’ list sizes', async () => {
    await page.selectOption('#practice-move-practice', MOVE.practice);
    await page.selectOption('#practice-move-to', MOVE.to);
    await page.locator('#practice-move-submit').click();
    await page.waitForSelector('#teams .practice-changes .list-after');
    await page.waitForSelector('#teams .score-after');
    assert.equal(Number(await page.locator('#teams .score-after').getAttribute('data-score')), want.body.after.score);
    assert.equal(Number(await page.locator('#teams .score-before').getAttribute('data-score')), want.body.before.score);
    assert.notEqual(want.body.after.score, want.body.before.score);
    const row = page.locator(`#teams .practice-changes tr[data-practice="${MOVE.practice}"]`);
    assert.equal(Number(await row.locator('td.from .list-after').getAttribute('data-value')), change.from.list_after);
    assert.equal(Number(await row.locator('td.to .list-after').getAttribute('data-value')), change.to.list_after);
    const from = await row.locator('td.from').innerText();
    assert.match(from, new RegExp(`${change.from.list_before.toLocaleString('en-GB')}\\s*→\\s*${change.from.list_after.toLocaleString('en-GB')}`));
    assert.equal(change.small, true, 'South Trafford PCN falls under 30,000 without the practice');
    assert.match(from, /under 30,000/);
    // nothing is stored: no save form, the reason instead
    assert.equal(await page.locator('#whatif-save-name').count(), 0);
    assert.match(await page.locator('#whatif-save-disabled').innerText(), /membership of its ePCN file/);
    await page.locator('#teams .whatif').screenshot({ path: path.join(results, 'teams-practice-move.png') });
  });

  await t.test('moving it to the PCN it is in is refused in the form', async () => {
    await page.selectOption('#practice-move-practice', MOVE.practice);
    await page.selectOption('#practice-move-to', MOVE.to);
    await page.locator('#practice-move-submit').click();
    await page.waitForSelector('#teams .practice-form .error');
    assert.match(await page.locator('#teams .practice-form .error').innerText(), /already in/);
    assert.equal(await page.locator('#teams .practice-changes tbody tr').count(), 1);
  });

  await t.test('the practice move lives in the URL: a reload restores it', async () => {
    await page.waitForFunction((m) => location.hash.includes(`&pmoves=${m}`), `${MOVE.practice}:${MOVE.from}:${MOVE.to}`);
    const again = await ctx.newPage();
    watch(again, 'reloaded');
    await again.goto(page.url());
    await waitReady(again);
    await again.waitForFunction((s) => document.querySelector('#teams .score-after')?.dataset.score === String(s), want.body.after.score);
    const row = again.locator(`#teams .practice-changes tr[data-practice="${MOVE.practice}"]`);
    await row.locator('td.from .list-after').waitFor();
    assert.equal(Number(await row.locator('td.from .list-after').getAttribute('data-value')), change.from.list_after);
    assert.match(await row.locator('th').innerText(), /Barrington Medical Centre/i);
    assert.equal(await again.locator('#whatif-save-name').count(), 0);
    await again.close();
  });

  await t.test('a link’s practice moves are checked on the page: the bad ones left out, each with what is wrong', async () => {
    const bad = `P99999:${MOVE.from}:${MOVE.to},${MOVE.practice}:${MOVE.to}:${MOVE.from},${MOVE.practice}:${MOVE.from}:${MOVE.from},${MOVE.practice}:${MOVE.from}:U00404`;
    const again = await ctx.newPage();
    // Its own watcher: the browser logs the answer of the PCN the link names that is none, a 404,
    // as a console error; that one is expected, nothing else.
    const own = watcher(base);
    own.watch(again, 'bad link');
    await again.goto(`${base}/#t=1&teams=${enc(SET)}&team=${enc(team)}&pmoves=${bad},${MOVE.practice}:${MOVE.from}:${MOVE.to}`);
    await waitReady(again);
    await again.waitForFunction((s) => document.querySelector('#teams .score-after')?.dataset.score === String(s), want.body.after.score);
    const note = await again.locator('#teams', { hasText: 'of the link left out' }).innerText();
    assert.match(note, /4 moves of the link left out/);
    assert.match(note, /P99999: not a practice of/);
    assert.match(note, new RegExp(`${MOVE.practice}: not a practice of .*\\(${MOVE.to}\\)`));
    assert.match(note, new RegExp(`${MOVE.practice}: moves nowhere`));
    assert.match(note, /no PCN U00404 in this workspace/);
    assert.equal(await again.locator('#teams .practice-changes tbody tr').count(), 1, 'the good move is kept');
    await again.waitForFunction((m) => location.hash.includes(`&pmoves=${m}`) && !location.hash.includes('P99999'), `${MOVE.practice}:${MOVE.from}:${MOVE.to}`);
    await again.close();
    assert.deepEqual(
      own.problems.filter((p) => !/status of 404 .*\/api\/pcns\/U00404\?/.test(p)),
      [],
    );
    assert.ok(own.problems.length <= 1, own.problems.join('\n'));
  });

  await t.test('undo takes the practice move back, and out of the URL', async () => {
    await page.locator('#whatif-undo').click();
    await page.waitForSelector('#teams .whatif', { state: 'detached' });
    assert.equal(Number(await page.locator('#teams .team-score').getAttribute('data-score')), al.score);
    await page.waitForFunction(() => !location.hash.includes('pmoves='));
  });

  await t.test('no console errors', () => {
    assert.deepEqual(problems, []);
  });
  await ctx.close();
});
