/**
 * Sandbox job latency, side by side in one run: cold (a new container per job), warm (taken from the
 * pool), and the floor (a bare exec into a container that is already running), as ratios; then jobs per
 * minute at concurrency 1, 2 and 4. Run: node --import tsx bench/sandbox.ts [--json]
 */
import Docker from 'dockerode';
import { baseImageTag } from '../runtime/provision';
import { createDockerSandbox } from '../sandbox';

const docker = new Docker();
const image = baseImageTag();
const job = { files: [{ path: 'a.py', content: 'print(1)\n' }], commands: [{ cmd: 'python3 a.py' }] };
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const N = 15;

async function main() {
  const cold = createDockerSandbox({ docker, image, poolSize: 0 });
  const coldMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = Date.now();
    await cold.run(job);
    coldMs.push(Date.now() - t);
  }
  await cold.close();

  const warm = createDockerSandbox({ docker, image, poolSize: 2 });
  await new Promise((r) => setTimeout(r, 3000));
  const warmMs: number[] = [];
  let warmHits = 0;
  for (let i = 0; i < N; i++) {
    const t = Date.now();
    const r = await warm.run(job);
    warmMs.push(Date.now() - t);
    if (r.warm) warmHits++;
    await new Promise((r2) => setTimeout(r2, 1000)); // a pause between jobs, as between agent steps: time to refill
  }
  await warm.close();

  const running = await docker.createContainer({
    Image: image,
    Cmd: ['sleep', 'infinity'],
    NetworkDisabled: true,
  });
  await running.start();
  const floorMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = Date.now();
    const exec = await running.exec({
      Cmd: ['python3', '-c', 'print(1)'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise((r) => stream.on('end', r).resume());
    floorMs.push(Date.now() - t);
  }
  await running.remove({ force: true });

  const throughput: Record<string, number> = {};
  const line = (name: string, xs: number[]) =>
    `${name.padEnd(6)} p50 ${String(pct(xs, 0.5)).padStart(5)} ms  p95 ${String(pct(xs, 0.95)).padStart(5)} ms  (${(pct(xs, 0.5) / pct(floorMs, 0.5)).toFixed(1)}x the floor)`;
  if (!json) {
    process.stdout.write(
      `${line('cold', coldMs)}\n${line('warm', warmMs)}  [${warmHits}/${N} from the pool]\n${line('floor', floorMs)}\n`,
    );
  }

  for (const concurrency of [1, 2, 4]) {
    const box = createDockerSandbox({ docker, image, maxConcurrency: concurrency, poolSize: 0 });
    const jobs = 12;
    const t = Date.now();
    await Promise.all(Array.from({ length: jobs }, () => box.run(job)));
    const ms = Date.now() - t;
    await box.close();
    throughput[`jobs_per_minute_at_${concurrency}`] = Math.round((jobs / ms) * 60_000);
    if (!json) {
      process.stdout.write(
        `concurrency ${concurrency}: ${Math.round((jobs / ms) * 60_000)} jobs per minute (${jobs} cold jobs in ${ms} ms)\n`,
      );
    }
  }
  const p50 = { cold: pct(coldMs, 0.5), warm: pct(warmMs, 0.5), floor: pct(floorMs, 0.5) };
  const figures = {
    p4_warm_over_exec_floor: Math.round((p50.warm / p50.floor) * 100) / 100,
    p4_cold_over_warm: Math.round((p50.cold / p50.warm) * 100) / 100,
    warm_p50_ms: p50.warm,
    cold_p50_ms: p50.cold,
    exec_floor_p50_ms: p50.floor,
    warm_from_pool: `${warmHits}/${N}`,
    ...throughput,
  };
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
}

const json = process.argv.includes('--json');
void main();
