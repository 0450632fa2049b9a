// The area panel's note on areas whose residents are only partly counted (src/complete.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { load } from './load.mjs';

const { completeNote, regionName } = await load('src/complete.ts');

// The units of Stoke-on-Trent 001 (E02002951) as /api/areas answers them on the 2021 fixture.
const units = {
  la: { code: 'E06000021', name: 'Stoke-on-Trent' },
  icb: { code: 'E54000010', name: 'NHS Staffordshire and Stoke-on-Trent Integrated Care Board' },
  'sub-icb': { code: 'E38000175', name: 'NHS Staffordshire and Stoke-on-Trent ICB - 05W' },
};

test('the region is named by the area’s own units, by ONS or NHS code, else by its code', () => {
  assert.equal(regionName('la:E06000021', units), 'Stoke-on-Trent');
  assert.equal(regionName('icb:QNC (E54000010)', units), 'NHS Staffordshire and Stoke-on-Trent Integrated Care Board');
  assert.equal(regionName('la:E06000021,la:E10000028', units), 'Stoke-on-Trent and E10000028');
  assert.equal(regionName('icb:QNC (E54000010),la:E06000021,ward:E05000001', units), 'NHS Staffordshire and Stoke-on-Trent Integrated Care Board, Stoke-on-Trent and E05000001');
  assert.equal(regionName('la:E06000021', {}), 'E06000021');
  assert.equal(regionName('something odd', units), 'something odd');
});

test('an incomplete area gets a note naming the region and its count; a complete one none', () => {
  const area = { complete: false, registered: 18, units };
  assert.equal(
    completeNote(area, 'la:E06000021'),
    'Residents only partly counted: this release is cut to Stoke-on-Trent and holds some practices’ patients only, and most of this area’s residents are registered with practices it does not hold. Its 18 registered patients are under half the median area’s, so its figures describe part of its population.',
  );
  assert.match(completeNote({ ...area, registered: 1234 }, undefined), /^Residents only partly counted: most of this area’s residents are registered with practices this release does not hold\. Its 1,234 registered/);
  assert.equal(completeNote({ ...area, complete: true }, 'la:E06000021'), '');
  // An older server that does not send the flag: no note.
  assert.equal(completeNote({ registered: 18, units }, 'la:E06000021'), '');
});
