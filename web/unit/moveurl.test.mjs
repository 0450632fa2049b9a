// The what-if moves in a link (src/moveurl.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { load } from './load.mjs';

const { encodeMoves, decodeMoves, rawMoves, MAX_URL_MOVES } = await load('src/moveurl.ts');

test('moves round-trip, team names with the separators included', () => {
  const moves = [
    { code: 'E02001259', from: 'North', to: 'Central' },
    { code: 'E01005000', from: '', to: 'South, east: 1 > 2 & 50%' },
    { code: 'E02001260', from: 'Old Trafford', to: '' },
  ];
  const raw = encodeMoves(moves);
  assert.equal(raw, 'E02001259:North:Central,E01005000::South%2C%20east%3A%201%20%3E%202%20%26%2050%25,E02001260:Old%20Trafford:');
  assert.ok(!/[>&\s]/.test(raw), raw);
  assert.deepEqual(decodeMoves(raw), { moves, bad: [] });
  assert.equal(rawMoves(`#t=1&teams=x&moves=${raw}&team=North`), raw);
  assert.equal(rawMoves('#t=1'), '');
});

test('entries that are not CODE:FROM:TO are reported as written, not guessed at', () => {
  const { moves, bad } = decodeMoves('E02001259:North:Central,E02001259:North,%ZZ:a:b,E0200<1:a:b,E02001260::South');
  assert.deepEqual(moves, [{ code: 'E02001259', from: 'North', to: 'Central' }, { code: 'E02001260', from: '', to: 'South' }]);
  assert.deepEqual(bad, ['E02001259:North', '%ZZ:a:b', 'E0200<1:a:b']);
  assert.deepEqual(decodeMoves(''), { moves: [], bad: [] });
});

test('a link carries at most MAX_URL_MOVES moves', () => {
  const raw = Array.from({ length: MAX_URL_MOVES + 5 }, (_, i) => `E0${String(i).padStart(7, '0')}:a:b`).join(',');
  const { moves, bad } = decodeMoves(raw);
  assert.equal(moves.length, MAX_URL_MOVES);
  assert.equal(bad.length, 5);
});
