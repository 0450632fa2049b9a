import { test } from 'node:test';
import assert from 'node:assert/strict';

import { load } from './load.mjs';

const { Store, changed, changedKeys } = await load('src/store.ts');

test('setState merges the patch and tells every subscriber, in order, what changed', () => {
  const s = new Store({ threshold: 1, metric: 'pcns', area: 'E02001259' });
  const calls = [];
  s.subscribe((next, prev, opts) => calls.push(['a', prev.threshold, next.threshold, next.area, opts.push]));
  const stop = s.subscribe((next) => calls.push(['b', next.metric]));
  s.setState({ threshold: 2, area: undefined }, { push: true });
  assert.deepEqual(calls, [['a', 1, 2, undefined, true], ['b', 'pcns']]);
  assert.equal(s.state.metric, 'pcns');
  assert.equal(s.state.area, undefined);

  // No change, no call; an unsubscribed listener hears nothing more.
  calls.length = 0;
  s.setState({ threshold: 2 });
  assert.deepEqual(calls, []);
  stop();
  s.setState({ metric: 'hhi' });
  assert.deepEqual(calls, [['a', 2, 2, undefined, undefined]]);
});

test('the state handed out is a snapshot: a later setState does not change it', () => {
  const s = new Store({ threshold: 1 });
  const before = s.state;
  s.setState({ threshold: 5 });
  assert.equal(before.threshold, 1);
  assert.equal(s.state.threshold, 5);
});

test('changedKeys and changed compare by identity, absent keys included', () => {
  assert.deepEqual(changedKeys({ a: 1, b: 2 }, { a: 1, b: 3, c: 4 }).sort(), ['b', 'c']);
  assert.equal(changed({ a: 1, b: 2 }, { a: 1, b: 3 }, 'a'), false);
  assert.equal(changed({ a: 1, b: 2 }, { a: 1, b: 3 }, 'a', 'b'), true);
});
