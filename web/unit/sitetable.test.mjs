// The static map's table (site/table.ts): counts at a threshold, the summary statistics and search,
// against hand computations.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { load } from './load.mjs';

const { counts, stats, search, serves, areaPCNs } = await load('site/table.ts');

const data = {
  pcns: [['U1', 'North PCN', 100], ['U2', 'South PCN', 100], ['U3', 'West PCN', 100]],
  // registered 1000: U1 600, U2 10 (1.0%), U3 9 (0.9%); registered 0: nothing serves it
  areas: [['E1', 'Alpha', 1000, [0, 0, 1, 1]], ['E2', 'Beta North', 200, [1, 0, 2, 1]], ['E3', 'Empty', 0, [2, 0, 3, 1]]],
  cells: [[0, 600, 1, 10, 2, 9], [0, 2, 2, 198], [1, 0]],
};

test('an area counts the PCNs holding at least t of its registered patients, inclusive', () => {
  assert.deepEqual([...counts(data, 0.01)], [2, 2, 0]); // 10 of 1,000 is 1%: counted; 2 of 200 is 1%: counted too
  assert.deepEqual([...counts(data, 0.0101)], [1, 1, 0]);
  assert.deepEqual([...counts(data, 0)], [3, 2, 0]); // t = 0: every PCN with a patient
  assert.equal(serves(0, 10, 0), false);
  assert.deepEqual(areaPCNs(data, 0).map((r) => r.pcn), [0, 1, 2]);
});

test('the summary statistics are the API\'s: SD over n − 1, type-7 percentiles', () => {
  const s = stats([4, 1, 3, 2]);
  assert.equal(s.mean, 2.5);
  assert.ok(Math.abs(s.sd - Math.sqrt(5 / 3)) < 1e-12); // squares 2.25+0.25+0.25+2.25 = 5, over 3
  assert.ok(Math.abs(s.p10 - 1.3) < 1e-12); // R: quantile(1:4, .1) = 1.3
  assert.equal(s.median, 2.5);
  assert.ok(Math.abs(s.p90 - 3.7) < 1e-12);
  assert.deepEqual(s.histogram, [0, 1, 1, 1, 1]);
});

test('search matches codes by prefix and names anywhere, exact codes first', () => {
  assert.deepEqual(search(data, 'north').map((h) => h.code), ['U1', 'E2']); // a name starting with it ranks first
  assert.deepEqual(search(data, 'e1').map((h) => h.code), ['E1']);
  assert.deepEqual(search(data, '  '), []);
});
