import assert from 'node:assert/strict';
import { test } from 'node:test';
import { devcrew } from '../support/cli';
import { temporalForThisFile } from '../support/temporal-for-file';
import { Deployment } from './support';

/**
 * With every worker stopped, a person can still read a run (its last known state, flagged) and decide
 * its gate (recorded, applied when the workers return), over HTTP and with the CLI; nothing hangs.
 */
const TOKEN = 'workers-down-token-91ab';
const temporal = temporalForThisFile();

test(
  'workers down: status answers from the last known state, approvals are recorded (202) and applied when workers return',
  { timeout: 300_000 },
  async () => {
    const d = await Deployment.start({ address: temporal.address, prefix: 'workers-down-' });
    const api = await d.serveApi(TOKEN);
    try {
      const worker = await d.startWorker();
      const started = await d.runs.start({
        request: 'Create simple SMA crossover strategy',
        options: { mode: 'crew' },
      });
      const runId = started.run_id;
      for (let i = 0; ; i++) {
        const view = await d.runs.get(runId);
        if ('pending_gates' in view && view.pending_gates.length > 0) break;
        assert.ok(i < 400, 'the plan gate opened');
        await new Promise((r) => setTimeout(r, 250));
      }
      await worker.kill('SIGKILL');

      const t0 = Date.now();
      const status = await fetch(`${api.url}/v1/runs/${runId}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const body = (await status.json()) as Record<string, unknown>;
      assert.equal(status.status, 200);
      assert.deepEqual([body.workers_down, body.status, body.mode], [true, 'awaiting_approval', 'crew']);
      assert.match(
        String(body.message),
        /no devcrew worker answers, so this is the last state the run recorded/,
      );
      assert.ok(Date.now() - t0 < 15_000, 'it answers, not hangs');

      const cliStatus = await devcrew(['status', runId], { env: d.env() });
      assert.equal(cliStatus.code, 0, cliStatus.stderr);
      assert.match(cliStatus.stdout, /awaiting_approval \(last known; WORKERS DOWN/);

      const decided = await fetch(`${api.url}/v1/runs/${runId}/approvals/plan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ decision: 'approve', approver: 'ana-while-down' }),
      });
      assert.equal(decided.status, 202);
      const recorded = (await decided.json()) as Record<string, unknown>;
      assert.deepEqual(
        [recorded.status, recorded.gate_id, recorded.decision],
        ['recorded', 'plan', 'approve'],
      );
      assert.match(String(recorded.message), /recorded and applied when the workers return/);

      await d.startWorker();
      const done = await d.finished(runId);
      assert.equal(done.status, 'completed', JSON.stringify(done).slice(0, 2000));
      const events = [];
      for await (const e of d.runs.events(runId, { after: 0 })) events.push(e);
      const approval = events.find((e) => e.type === 'gate_decided');
      // Recorded under the credential's holder, not the body's "ana-while-down".
      assert.match(approval?.message ?? '', /gate plan approved by bootstrap-admin/);
    } finally {
      await api.close();
      await d.stop();
    }
  },
);
