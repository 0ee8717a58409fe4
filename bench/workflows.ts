/**
 * Orchestration figures on the embedded server (the same dev server and flags `devcrew up` starts), side
 * by side in one run, with fake agents so only devcrew and Temporal are measured:
 *   P1 overhead per task: a 200-task chain with zero-latency agents;
 *   P2 a width-10, depth-3 DAG whose agent steps take 200 ms: wall time over the critical path (3 x 200
 *      ms), and the speed-up over the same plan done one task after another (the single agent's way);
 *   P3 single-task runs per second, agent steps per minute with 200 runs in flight, and how many runs
 *      can be in flight with no timeout (50, 100, 200).
 * Run: node --import tsx bench/workflows.ts [--json]
 */
import { fakeActivities } from '../test/workflows/fakes';
import { startFleet } from '../test/workflows/harness';
import { startTestServer } from '../test/support/env';
import { chains, measureP3 } from './p3';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main() {
  const json = process.argv.includes('--json');
  const out = (line: string) => !json && process.stdout.write(`${line}\n`);
  const env = await startTestServer();
  const figures: Record<string, number | string> = {};
  try {
    // Two sets of workers for the whole benchmark (zero-latency agents, and 200 ms agents): workers started
    // per run leave long polls behind, and the dev server caps concurrent polls per namespace.
    const instant = fakeActivities({});
    const fleet = await startFleet(env, instant);
    const slowAgents = fakeActivities({ agentDelayMs: 200 });
    const slowFleet = await startFleet(env, slowAgents);
    // P1: overhead per task.
    {
      const handle = await fleet.start({ todo_list: chains(1, 200), options: { parallelism: 1 } });
      const t = Date.now();
      await handle.result();
      const ms = Date.now() - t;
      figures.p1_overhead_ms_per_task = Math.round((ms / 200) * 10) / 10;
      out(
        `P1 chain of 200 tasks, zero-latency agents: ${ms} ms, ${figures.p1_overhead_ms_per_task} ms per task`,
      );
    }
    // P2: the DAG at its critical path, and against serial.
    {
      const width = 10;
      const depth = 3;
      const agentMs = 200;
      const critical = depth * agentMs;
      const timed = async (parallelism: number) => {
        const handle = await slowFleet.start({ todo_list: chains(width, depth), options: { parallelism } });
        const t = Date.now();
        await handle.result();
        return Date.now() - t;
      };
      const parallel = median([await timed(width), await timed(width), await timed(width)]);
      const serial = await timed(1);
      figures.p2_wall_over_critical_path = Math.round((parallel / critical) * 100) / 100;
      figures.p2_speedup_vs_single_agent = Math.round((serial / parallel) * 10) / 10;
      figures.p2_wall_ms = parallel;
      figures.p2_critical_path_ms = critical;
      figures.p2_serial_ms = serial;
      out(
        `P2 width-${width} DAG (${width * depth} tasks, ${agentMs} ms agents): wall ${parallel} ms (median of 3), critical path ${critical} ms, ratio ${figures.p2_wall_over_critical_path}; serial ${serial} ms, speed-up ${figures.p2_speedup_vs_single_agent}x`,
      );
    }
    // P3: runs per second, steps per minute, runs in flight (bench/p3.ts).
    Object.assign(figures, await measureP3(fleet, instant, out));
    await fleet.stop();
    await slowFleet.stop();
  } finally {
    await env.teardown();
  }
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
}

void main().then(() => process.exit(0));
