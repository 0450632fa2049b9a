// The practice move's PCN choice and a link's practice moves checked on the page (src/practicemove.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { load } from './load.mjs';

const { choices, checkPractices, decode } = await load('src/practicemove.ts');
const { APIError } = await load('src/api.ts');

test('the PCNs to join: the team’s first, then those around it, then the set’s others, each once', () => {
  const team = [
    { code: 'U2', name: 'South' },
    { code: 'U1', name: 'North' },
  ];
  const around = [
    { code: 'U1', name: 'North' },
    { code: 'U9', name: 'Altrincham' },
    { code: 'U9', name: 'Altrincham' },
    { code: 'U7', name: 'Sale' },
  ];
  const set = [
    { code: 'U7', name: 'Sale' },
    { code: 'U3', name: 'Central' },
    { code: 'U2', name: 'South' },
  ];
  assert.deepEqual(choices(team, around, set), [
    { label: 'In this team', pcns: [team[1], team[0]] },
    { label: 'Around this team', pcns: [around[1], around[3]] },
    { label: 'Elsewhere in the set', pcns: [set[1]] },
  ]);
  assert.deepEqual(choices(team, [], team), [{ label: 'In this team', pcns: [team[1], team[0]] }]);
});

// A workspace of two PCNs: U1 with practices P1 and P2, U2 with P3; U404 is none.
const pcns = {
  U1: { code: 'U1', name: 'NORTH PCN', practices: [{ code: 'P1', name: 'ONE SURGERY' }, { code: 'P2', name: 'TWO SURGERY' }] },
  U2: { code: 'U2', name: 'SOUTH PCN', practices: [{ code: 'P3', name: 'THREE SURGERY' }] },
};
function server() {
  const asked = [];
  const pcn = async (code) => {
    asked.push(code);
    if (pcns[code]) return pcns[code];
    throw new APIError(404, `no PCN "${code}"`);
  };
  return { asked, pcn };
}

test('a link’s practice moves: kept when the practice is in FROM and TO is another PCN', async () => {
  const s = server();
  const got = await checkPractices(decode('P1:U1:U2,P1:U2:U1,P3:U2:U1', []), s.pcn);
  assert.deepEqual(got.dropped, []);
  assert.deepEqual(
    got.kept.map((m) => [m.practice, m.from, m.to, m.name]),
    [
      ['P1', 'U1', 'U2', 'ONE SURGERY'],
      ['P1', 'U2', 'U1', 'ONE SURGERY'],
      ['P3', 'U2', 'U1', 'THREE SURGERY'],
    ],
  );
  assert.deepEqual(s.asked, ['U1', 'U2'], 'each PCN asked for once');
});

test('a link’s practice moves: each bad one left out with what is wrong', async () => {
  const s = server();
  const got = await checkPractices(
    decode('P1:U1:U1,P9:U1:U2,P3:U1:U2,P1:U404:U2,P1:U1:U404,P2:U1:U2,P2:U1:U2', [{ practice: 'P2', name: 'Two', from: 'U1', to: 'U2' }]),
    s.pcn,
  );
  assert.deepEqual(got.dropped, [
    'P1: moves nowhere (U1)',
    'P9: not a practice of North PCN (U1)',
    'P3: not a practice of North PCN (U1)',
    'P1: no PCN U404 in this workspace',
    'P1: no PCN U404 in this workspace',
    'P2: it is in U2 by then, not U1',
  ]);
  assert.deepEqual(got.kept, [{ practice: 'P2', from: 'U1', to: 'U2', name: 'Two' }]);
});

test('a link’s practice moves: an error other than 404 is not taken for a missing PCN', async () => {
  const pcn = async () => {
    throw new APIError(500, 'boom');
  };
  await assert.rejects(checkPractices(decode('P1:U1:U2', []), pcn), /boom/);
});
