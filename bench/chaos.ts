/**
 * `npm run chaos`: crash a worker at 10 random moments across 10 runs and say what it cost.
 *
 * Two worker processes serve one deployment (the smallest that survives a crash without waiting for a
 * restart); during each run one of them is SIGKILLed at a random moment and started again, as a
 * supervisor would. The model is the real Gemini SDK against a fake Gemini that answers from the
 * recordings and counts calls. Printed: runs completed, duplicate commits (a step committed twice on a
 * branch), repeated model calls (asked again after the answer had arrived), and the median time from a
 * kill to the run's next event. `-- --json` prints them as one JSON object.
 */
import { startTestServer } from '../test/support/env';
import { Deployment } from '../test/reliability/support';

const RUNS = 10;

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const say = (line: string) => !json && process.stdout.write(`${line}\n`);
  const server = await startTestServer();
  const d = await Deployment.start({ address: server.address, prefix: 'chaos-', modelDelayMs: 400 });
  const resumes: number[] = [];
  let completed = 0;
  let duplicates = 0;
  let seed = 20261125;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  try {
    await Promise.all([d.startWorker(), d.startWorker()]);
    for (let i = 0; i < RUNS; i++) {
      const { run_id } = await d.runs.start({
        request: i % 2 ? 'Create momentum strategy' : 'Create simple SMA crossover strategy',
        options: { mode: 'crew', gates: { plan: false } },
      });
      const wait = 300 + random() * 5_000;
      await new Promise((r) => setTimeout(r, wait));
      const seqAt = async () => {
        const v = await d.runs.get(run_id);
        return 'last_event_seq' in v ? v.last_event_seq : Number.POSITIVE_INFINITY;
      };
      const before = await seqAt();
      const alive = d.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
      const victim = alive[Math.floor(random() * alive.length)]!;
      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      const restart = d.startWorker();
      let resumed: number | undefined;
      const deadline = Date.now() + 240_000;
      for (;;) {
        const desc = await d.client.workflow.getHandle(run_id).describe();
        if (resumed === undefined && ((await seqAt()) > before || desc.status.name !== 'RUNNING')) {
          resumed = (Date.now() - killedAt) / 1000;
        }
        if (desc.status.name !== 'RUNNING') break;
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await restart;
      const done = await d.runs.get(run_id);
      if (done.status === 'completed') completed++;
      const dupes = await d.duplicateCommits(run_id);
      duplicates += dupes.length;
      if (resumed !== undefined) resumes.push(resumed);
      say(
        `run ${i + 1}/${RUNS}: killed a worker ${(wait / 1000).toFixed(1)} s in; ${done.status}; resumed after ${resumed?.toFixed(1) ?? '-'} s; ${dupes.length} duplicate commit(s)`,
      );
    }
  } finally {
    await d.stop();
    await server.teardown();
  }
  resumes.sort((a, b) => a - b);
  const median = resumes.length ? resumes[Math.floor((resumes.length - 1) / 2)]! : null;
  const result = {
    runs: RUNS,
    runs_completed: completed,
    duplicate_commits: duplicates,
    repeated_model_calls: d.fake.repeated,
    median_resume_seconds: median === null ? null : Math.round(median * 10) / 10,
    model_calls: d.fake.totalCalls,
  };
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    say(
      `\n${result.runs_completed}/${RUNS} runs completed, ${result.duplicate_commits} duplicate commits, ${result.repeated_model_calls} repeated model calls (of ${result.model_calls}), median ${result.median_resume_seconds} s from a kill to resumed progress`,
    );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
