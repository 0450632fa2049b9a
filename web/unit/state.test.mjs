// The URL state (src/state.ts): what a link says, read and written back.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { load } from './load.mjs';

const { readHash, writeHash, parsePercent, formatPercent, defaults } = await load('src/state.ts');

test('a full link reads into the state and writes back the same', () => {
  const hash = '#map=9.50/53.4200/-2.3500&t=2.5&m=effective_pcns&b=icb&pcn=U12345&shade=share&teams=Trafford%20localities&team=North&moves=E02001259:North:Central';
  const s = readHash(hash);
  assert.deepEqual(s, {
    ...defaults(), view: { zoom: 9.5, lat: 53.42, lon: -2.35 }, threshold: 2.5, metric: 'effective_pcns', bounds: 'icb',
    pcn: 'U12345', shade: 'share', teams: 'Trafford localities', team: 'North', moves: 'E02001259:North:Central',
  });
  assert.equal(writeHash(s), hash);
});

test('bad or hostile values fall back to the defaults', () => {
  const cases = {
    '': defaults(),
    '#t=abc&m=nonsense&map=99/0/0': defaults(),
    '#t=101': defaults(),
    '#area=E02001259&pcn=<script>': { ...defaults(), area: 'E02001259' },
    '#team=North': defaults(), // a team without its set
    '#teams=%00bad': defaults(),
  };
  for (const [hash, want] of Object.entries(cases)) assert.deepEqual(readHash(hash), want, hash);
});

test('practice moves ride with the set: read and written back, codes only, none without the set', () => {
  const hash = '#t=1&m=pcns&teams=Trafford%20localities&moves=E02001259:North:Central&pmoves=P91603:U42898:U66368,P91007:U42898:U95344';
  const s = readHash(hash);
  assert.equal(s.pmoves, 'P91603:U42898:U66368,P91007:U42898:U95344');
  assert.equal(writeHash(s), hash);
  assert.equal(readHash('#pmoves=P91603:U42898:U66368').pmoves, undefined); // no set
  assert.equal(readHash('#teams=T&pmoves=P91603:U4<b>:U6').pmoves, undefined);
});

test('a PCN wins over an area, and the shade is written only with a PCN', () => {
  assert.equal(readHash('#area=E02001259&pcn=U1').area, undefined);
  assert.equal(writeHash({ ...defaults(), area: 'E02001259', shade: 'share' }), '#t=1&m=pcns&area=E02001259');
});

test('thresholds are percentages from 0 to 100', () => {
  const cases = { '1': 1, '0.5': 0.5, '2%': 2, ' 10 % ': 10, '0': 0, '100': 100, '.25': 0.25, '5.': 5, '100.1': undefined, '-1': undefined, '1e2': undefined, '': undefined, 'x': undefined };
  for (const [s, want] of Object.entries(cases)) assert.equal(parsePercent(s), want, JSON.stringify(s));
  assert.equal(formatPercent(0.5), '0.5%');
  assert.equal(formatPercent(1 / 3), '0.333%');
});
