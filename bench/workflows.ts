/**
 * Orchestration figures on the embedded server, side by side in one run:
 * 1. overhead per task: a 200-task chain with zero-latency fake agents;
 * 2. a width-10 DAG with 200 ms fake agents: wall time over the critical path, and the speedup over
 *    the same tasks run one after another;
 * 3. agent steps per minute with many runs at once, and where latency starts to climb.
 * Run: node --import tsx bench/workflows.ts
 */
import type { TodoList } from '../contracts';
import { fakeActivities } from '../test/workflows/fakes';
import { startRun } from '../test/workflows/harness';
import { startTestServer } from '../test/support/env';
import { todoList } from '../test/support/todo-lists';

const chains = (width: number, depth: number) =>
  todoList(
    Array.from({ length: width * depth }, (_, i) => ({
      id: `t${i}`,
      agent_role: 'architect',
      dependencies: i % depth === 0 ? [] : [`t${i - 1}`],
    })),
  ) as unknown as TodoList;

async function main() {
  const env = await startTestServer();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    // 1. Overhead per task.
    {
      const acts = fakeActivities({});
      const run = await startRun(env, acts, { todo_list: chains(1, 200), options: { parallelism: 1 } });
      const t = Date.now();
      await run.handle.result();
      const ms = Date.now() - t;
      await run.stop();
      const steps = acts.calls.length;
      out(
        `chain of 200 tasks, zero-latency agents: ${ms} ms, ${(ms / 200).toFixed(1)} ms per task (${steps} activities, ${(ms / steps).toFixed(1)} ms each)`,
      );
    }
    // 2. Parallel DAG against its critical path and against serial.
    {
      const width = 10;
      const depth = 3;
      const delay = 200;
      const perTask = 3 * delay; // prepareTask, architect, finishTask
      const critical = depth * perTask;
      const timed = async (parallelism: number) => {
        const acts = fakeActivities({ delayMs: delay });
        const run = await startRun(env, acts, { todo_list: chains(width, depth), options: { parallelism } });
        const t = Date.now();
        await run.handle.result();
        const ms = Date.now() - t;
        await run.stop();
        return ms;
      };
      const parallel = await timed(width);
      const serial = await timed(1);
      out(
        `width-${width} DAG (${width * depth} tasks, ${delay} ms agents): wall ${parallel} ms, critical path ${critical} ms, ratio ${(parallel / critical).toFixed(2)}; ` +
          `serial ${serial} ms, speedup ${(serial / parallel).toFixed(1)}x`,
      );
    }
    // 3. Throughput with many runs at once.
    for (const runsAtOnce of [1, 4, 16]) {
      const acts = fakeActivities({});
      const runs = await Promise.all(
        Array.from({ length: runsAtOnce }, () =>
          startRun(env, acts, { todo_list: chains(1, 20), options: {} }),
        ),
      );
      const t = Date.now();
      const latencies = await Promise.all(runs.map(async (r) => (await r.handle.result(), Date.now() - t)));
      const ms = Date.now() - t;
      await Promise.all(runs.map((r) => r.stop()));
      latencies.sort((a, b) => a - b);
      out(
        `${String(runsAtOnce).padStart(2)} runs at once (20-task chains): ${Math.round((acts.calls.length / ms) * 60_000)} agent steps per minute, ` +
          `run latency p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms`,
      );
    }
  } finally {
    await env.teardown();
  }
}

void main().then(() => process.exit(0));
