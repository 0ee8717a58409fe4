import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { bucketOf, decideMode, initialRollout, type RolloutState } from '../../contracts';
import { runIdFor } from '../../workflows/run-id';

const rollout = (percent: number, enabled = true): RolloutState => ({
  ...initialRollout('2026-11-25T00:00:00.000Z'),
  percent,
  enabled,
});
const ids = Array.from({ length: 1000 }, () =>
  runIdFor('Create simple SMA crossover strategy', randomUUID().slice(0, 8)),
);
const crewAt = (state: RolloutState) =>
  new Set(ids.filter((id) => decideMode('auto', state, id).mode === 'crew'));

test('1,000 run ids at 10% send 10% ± 3 to the crew', () => {
  const crew = crewAt(rollout(10)).size;
  assert.ok(crew >= 70 && crew <= 130, `${crew} of 1000 went to the crew`);
});

test('raising the percent keeps every run that was crew on the crew (a monotone ramp)', () => {
  const at10 = crewAt(rollout(10));
  const at50 = crewAt(rollout(50));
  for (const id of at10) assert.ok(at50.has(id), `${id} was crew at 10% but not at 50%`);
  assert.ok(at50.size > at10.size);
  const share = at50.size / ids.length;
  assert.ok(share > 0.44 && share < 0.56, `50% gave ${share}`);
});

test('percent 0, or the rollout off, sends every auto run to the single agent', () => {
  assert.equal(crewAt(rollout(0)).size, 0);
  assert.equal(crewAt(rollout(100, false)).size, 0);
  assert.equal(decideMode('auto', rollout(100, false), ids[0]!).reason, 'rollout disabled');
  assert.equal(crewAt(rollout(100)).size, ids.length);
});

test('an explicit mode always wins over the rollout', () => {
  for (const id of ids.slice(0, 50)) {
    assert.equal(decideMode('crew', rollout(0, false), id).mode, 'crew');
    assert.equal(decideMode('single-agent', rollout(100), id).mode, 'single-agent');
  }
});

test('the same run id always gets the same bucket and mode', () => {
  for (const id of ids.slice(0, 100)) {
    assert.equal(bucketOf(id), bucketOf(String(id)));
    assert.deepEqual(decideMode('auto', rollout(37), id), decideMode('auto', rollout(37), id));
  }
  // Pinned FNV-1a values (checked against an independent implementation): the hash is part of the
  // contract, since a changed hash would move runs between modes.
  assert.deepEqual(
    ['devcrew-a-1', 'devcrew-a-2', 'devcrew-create-simple-sma-crossover-strategy-3f9a1c2e'].map(bucketOf),
    [45, 88, 7],
  );
});
