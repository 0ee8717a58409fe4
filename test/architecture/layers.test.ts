import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doubleImports, fileCycles, importEdges, LAYERS, upwardImports } from './import-graph';

test('no import runs up the layers (contracts < core < libraries < activities/workflows < server/workers < runtime < cli)', () => {
  const edges = importEdges();
  assert.ok(edges.length > 200, `the graph has ${edges.length} edges; the scan found too few files`);
  const up = upwardImports(edges).map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(up, [], `layers: ${LAYERS.map((l) => l.join('|')).join(' < ')}`);
});

test('the import graph has no cycles, type-only imports and re-exports included', () => {
  assert.deepEqual(fileCycles(importEdges()), []);
});

test('production code reaches the test doubles (models/doubles/) only through the provider registry', () => {
  const edges = importEdges();
  assert.ok(
    edges.some((e) => e.from === 'models/providers.ts' && e.to.startsWith('models/doubles/')),
    'the scripted provider is built from models/doubles',
  );
  assert.deepEqual(
    doubleImports(edges).map((e) => `${e.from} -> ${e.to}`),
    [],
  );
});

test('the checker sees an upward import when there is one', () => {
  const planted = upwardImports([{ from: 'core/config.ts', to: 'runtime/stack.ts', typeOnly: false }]);
  assert.equal(planted.length, 1);
  const cycle = fileCycles([
    { from: 'a.ts', to: 'b.ts', typeOnly: false },
    { from: 'b.ts', to: 'a.ts', typeOnly: false },
  ]);
  assert.equal(cycle.length, 1);
  const typeCycle = [
    { from: 'a.ts', to: 'b.ts', typeOnly: false },
    { from: 'b.ts', to: 'a.ts', typeOnly: true },
  ];
  assert.equal(fileCycles(typeCycle).length, 1, 'a circle closed by a type-only import is a circle');
  assert.equal(fileCycles(typeCycle, { values: true }).length, 0);
  const planted2 = doubleImports([
    { from: 'workers/deps.ts', to: 'models/doubles/scripted.ts', typeOnly: true },
  ]);
  assert.equal(planted2.length, 1);
});
