import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporalForThisFile } from '../support/temporal-for-file';
import { Deployment } from './support';

/**
 * SIGKILL the worker process in the middle of a run, at several points, and start a new one on the
 * same state dir: every run completes with the same code as an undisturbed run, no step committed
 * twice, no model answer paid for twice. Steps pause 2.5 s after their work (DEVCREW_FAULT_STEP_DELAYS)
 * so the kill lands between a step's effect and its completion, the hardest moment for idempotency.
 */
const REQUEST = 'Create simple SMA crossover strategy';
const temporal = temporalForThisFile();
let baseline: { tree: string[]; calls: number };

const options = { mode: 'crew' as const, gates: { plan: false } };

test(
  'an undisturbed run: the tree and model calls every crash case is held to',
  { timeout: 240_000 },
  async () => {
    const d = await Deployment.start({ address: temporal.address, prefix: 'crash-baseline-' });
    try {
      await d.startWorker();
      const { run_id } = await d.runs.start({ request: REQUEST, options });
      const done = await d.finished(run_id);
      assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 2000));
      baseline = { tree: await d.finalTree(run_id), calls: d.fake.totalCalls };
      assert.ok(baseline.tree.some((l) => l.startsWith('codes/sma_strategy.py ')));
      assert.equal(baseline.calls, 3, 'planner, architect, coder');
      assert.deepEqual(await d.duplicateCommits(run_id), []);
    } finally {
      await d.stop();
    }
  },
);

// The kill lands `settle` ms after the step started: past a model's answer (which a crash must not cost
// twice: it is in the response cache by then), or in the middle of a sandbox job.
for (const [point, activity, settle] of [
  ['planning', 'plan', 700],
  ['a model call (the Architect)', 'architect', 700],
  ['a sandbox job (the build checks)', 'checkBuild', 0],
  ["a merge (the Coder's first step starting its branch from the contract)", 'code', 700],
  ['the final merge (integration)', 'integrate', 300],
] as const) {
  test(
    `the worker SIGKILLed during ${point}: a new worker finishes the run, same code, nothing done twice`,
    { timeout: 300_000 },
    async () => {
      assert.ok(baseline, 'the undisturbed run came first');
      const d = await Deployment.start({
        address: temporal.address,
        prefix: `crash-${activity}-`,
        stepDelays: `${activity}=2500`,
      });
      try {
        const first = await d.startWorker();
        const { run_id } = await d.runs.start({ request: REQUEST, options });
        await d.activityStarted(run_id, activity);
        await new Promise((r) => setTimeout(r, settle));
        await first.kill('SIGKILL');
        await d.startWorker();
        const done = await d.finished(run_id);
        assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 2000));
        assert.deepEqual(await d.finalTree(run_id), baseline.tree, 'the same code, tests and contracts');
        assert.deepEqual(await d.duplicateCommits(run_id), []);
        assert.equal(d.fake.repeated, 0, 'no model answer asked for twice');
        assert.equal(d.fake.totalCalls, baseline.calls);
      } finally {
        await d.stop();
      }
    },
  );
}
