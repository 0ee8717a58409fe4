import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileCycles, importEdges, LAYERS, upwardImports } from './import-graph';

test('no import runs up the layers (contracts < core < libraries < activities/workflows < server/workers < runtime < cli)', () => {
  const edges = importEdges();
  assert.ok(edges.length > 200, `the graph has ${edges.length} edges; the scan found too few files`);
  const up = upwardImports(edges).map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(up, [], `layers: ${LAYERS.map((l) => l.join('|')).join(' < ')}`);
});

test('the import graph has no cycles', () => {
  assert.deepEqual(fileCycles(importEdges()), []);
});

test('the checker sees an upward import when there is one', () => {
  const planted = upwardImports([{ from: 'core/config.ts', to: 'runtime/stack.ts', typeOnly: false }]);
  assert.equal(planted.length, 1);
  const cycle = fileCycles([
    { from: 'a.ts', to: 'b.ts', typeOnly: false },
    { from: 'b.ts', to: 'a.ts', typeOnly: false },
  ]);
  assert.equal(cycle.length, 1);
});
