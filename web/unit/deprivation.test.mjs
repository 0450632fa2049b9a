// The team profile panel's deprivation profiles (src/deprivation.ts): the IMD's, then the income and
// employment domains' the release has, each with its Core20 figure's class and its bars' test id.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { load } from './load.mjs';

const { core20Class, decilesTestId, deprivationProfiles } = await load('src/deprivation.ts');

// North of the fixture's Trafford localities, as testdata/report-neighbourhoods/profile.py counts it
// (residents 54,358): IMD deciles 2958 7384 11868 17401 5583 5564 3600 0 0 0, income deciles 7367
// 15347 12157 8336 3956 7195 0 0 0 0.
const of = (counts) => {
  const deciles = counts.map((c) => c / 54358);
  return { deciles, core20: deciles[0] + deciles[1], unknown: 0 };
};
const imd = of([2958, 7384, 11868, 17401, 5583, 5564, 3600, 0, 0, 0]);
const income = of([7367, 15347, 12157, 8336, 3956, 7195, 0, 0, 0, 0]);
const employment = of([1, 2, 3, 4, 5, 6, 7, 8, 9, 54313]);

test('the IMD, then the income domain, when the release has no employment deciles', () => {
  const ps = deprivationProfiles({ name: 'North', deprivation: imd, income });
  assert.deepEqual(ps.map((p) => [p.key, p.label]), [['imd', 'Core20'], ['income', 'Income Core20']]);
  assert.equal(ps[0].profile, imd);
  assert.equal(ps[1].profile, income);
  assert.equal(ps[1].profile.core20.toFixed(4), '0.4179');
  assert.match(ps[0].help, /\(IMD deciles 1 and 2\)/);
  assert.match(ps[1].help, /\(IMD income domain deciles 1 and 2\)/);
  assert.equal(ps[0].caption, 'Residents by IMD decile (1 = most deprived 10% of LSOAs in England)');
  assert.equal(ps[1].caption, 'Residents by IMD income domain decile (1 = most deprived 10% of LSOAs in England)');
});

test('all three in the order IMD, income, employment, whatever the order of the fields', () => {
  const ps = deprivationProfiles({ employment, income, deprivation: imd });
  assert.deepEqual(ps.map((p) => p.key), ['imd', 'income', 'employment']);
  assert.equal(ps[2].label, 'Employment Core20');
  assert.equal(ps[2].profile, employment);
});

test('a domain without the IMD, and none at all', () => {
  assert.deepEqual(deprivationProfiles({ income }).map((p) => p.key), ['income']);
  assert.deepEqual(deprivationProfiles({ name: 'x', urban: -1 }), []);
});

test('the IMD keeps its class and test id; the domains have their own', () => {
  assert.deepEqual(['imd', 'income', 'employment'].map(core20Class), ['profile-core20', 'profile-income-core20', 'profile-employment-core20']);
  assert.deepEqual(['imd', 'income', 'employment'].map(decilesTestId), ['deciles', 'income-deciles', 'employment-deciles']);
});
