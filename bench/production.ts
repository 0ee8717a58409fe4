/**
 * P3 on the production-shaped Temporal (the real server, 4 history shards, PostgreSQL) beside the
 * embedded dev server (SQLite), in one run, with the ratio. The same fleet of fake-agent workers drives
 * both, so what differs is the Temporal underneath.
 *
 *   node --import tsx bench/production.ts [--json]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { pathsFrom, readEnv } from '../core/config';
import { silentReport } from '../core/report';
import { startProductionTemporal } from '../runtime/production';
import { ensureProductionTools } from '../runtime/provision/production';
import { freePortNumber, portIsFree } from '../runtime/temporal-server';
import { startTestServer } from '../test/support/env';
import { fakeActivities } from '../test/workflows/fakes';
import { startFleet } from '../test/workflows/harness';
import { measureP3, type P3Figures } from './p3';

async function freeBlock(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000); // below 32768 (membership ports are smallint)
    let ok = true;
    for (let p = base; p < base + 10 && ok; p++) ok = await portIsFree(p);
    if (ok) return base;
  }
}

async function p3On(env: TestWorkflowEnvironment, out: (l: string) => void): Promise<P3Figures> {
  const instant = fakeActivities({});
  const fleet = await startFleet(env, instant);
  try {
    return await measureP3(fleet, instant, out);
  } finally {
    await fleet.stop();
  }
}

async function main() {
  const json = process.argv.includes('--json');
  const out = (line: string) => !json && process.stdout.write(`${line}\n`);
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-bench-production-'));
  const tools = await ensureProductionTools(pathsFrom(readEnv()).cacheDir, silentReport);
  const production = await startProductionTemporal({
    tools,
    stateDir,
    namespace: 'default',
    ports: {
      frontend: await freePortNumber(),
      postgres: await freePortNumber(),
      internalBase: await freeBlock(),
    },
    report: silentReport,
  });
  const dev = await startTestServer();
  try {
    out('embedded dev server (SQLite, 1 history shard):');
    const embedded = await p3On(dev, (l) => out(`  ${l}`));
    out('production-shaped (temporal-server 1.29.1, PostgreSQL, 4 history shards):');
    const prodEnv = await TestWorkflowEnvironment.createFromExistingServer({ address: production.address });
    const prod = await p3On(prodEnv, (l) => out(`  ${l}`));
    await prodEnv.teardown();
    const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 100) / 100 : null);
    const figures = {
      embedded,
      production: prod,
      ratio_production_over_embedded: {
        runs_per_second: ratio(prod.p3_runs_per_second, embedded.p3_runs_per_second),
        agent_steps_per_minute: ratio(prod.p3_agent_steps_per_minute, embedded.p3_agent_steps_per_minute),
        max_runs_in_flight_without_timeout: ratio(
          prod.p3_max_concurrent_runs_without_timeout,
          embedded.p3_max_concurrent_runs_without_timeout,
        ),
      },
    };
    out(
      `ratio production / embedded: runs per second ${figures.ratio_production_over_embedded.runs_per_second}, agent steps per minute ${figures.ratio_production_over_embedded.agent_steps_per_minute}, runs in flight ${figures.ratio_production_over_embedded.max_runs_in_flight_without_timeout}`,
    );
    if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await dev.teardown();
    await production.stop();
    await fs.rm(stateDir, { recursive: true, force: true });
  }
}

void main().then(() => process.exit(0));
