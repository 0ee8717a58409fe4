/**
 * `npm test`: provisions the real parts (Temporal CLI, Docker engine, sandbox base image), starts one
 * real Temporal dev server with its Web UI, runs every `test/**\/*.test.ts` with node's test runner
 * against it, and ends with a plain `N passed, N failed` line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LOCAL_MODEL } from '../models/local-models';
import { provision } from '../runtime/provision';
import { TEST_ENV, startTestServer } from './support/env';
import { freePort } from './support/ports';

/** Tests that disturb everything else on the machine (they restart the Docker engine): run alone, last. */
const DISRUPTIVE = `test${path.sep}disruptive${path.sep}`;
/** The real local model's end-to-end tests: alone, after the main phase, so the model has both cores. */
const REAL_MODEL = `test${path.sep}local-model${path.sep}`;

async function testFiles(patterns: string[]): Promise<string[]> {
  if (patterns.length > 0) return patterns;
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.test.ts')) out.push(path.relative(process.cwd(), full));
    }
  };
  await walk('test');
  return out.sort();
}

async function main(): Promise<number> {
  const started = Date.now();
  const provisioned = await provision({
    temporal: true,
    docker: true,
    sandboxImage: true,
    chromium: true,
    monitoring: true,
    eval: true,
    production: true,
    compose: true,
    // The real local model's E2E tests (test/local-model/).
    localModel: DEFAULT_LOCAL_MODEL,
  });
  const uiPort = await freePort();
  const env = await startTestServer({ uiPort });
  const files = await testFiles(process.argv.slice(2));
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'devcrew-test-'));
  process.stderr.write(
    `devcrew test: Temporal dev server at ${env.address} (Web UI http://127.0.0.1:${uiPort}); ${files.length} test files\n`,
  );
  const phases = [
    {
      files: files.filter((f) => !f.startsWith(DISRUPTIVE) && !f.startsWith(REAL_MODEL)),
      concurrency: 2,
      tap: path.join(dir, 'main.tap'),
    },
    {
      files: files.filter((f) => f.startsWith(REAL_MODEL)),
      concurrency: 1,
      tap: path.join(dir, 'real-model.tap'),
    },
    {
      files: files.filter((f) => f.startsWith(DISRUPTIVE)),
      concurrency: 1,
      tap: path.join(dir, 'disruptive.tap'),
    },
  ].filter((p) => p.files.length > 0);
  let code = 0;
  for (const phase of phases) {
    code = Math.max(code, await runPhase(phase, provisioned, env.address, uiPort));
  }
  await env.teardown();
  let tap = '';
  for (const phase of phases) tap += fs.existsSync(phase.tap) ? await fsp.readFile(phase.tap, 'utf8') : '';
  const count = (name: string) =>
    [...tap.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  process.stdout.write(
    `\ntests took ${((Date.now() - started) / 1000).toFixed(0)} s (provisioning included)\n`,
  );
  process.stdout.write(`${passed} passed, ${failed} failed, ${count('skipped')} skipped\n`);
  if (passed + failed === 0) return 1;
  return code === 0 && failed === 0 ? 0 : 1;
}

/** One `node --test` over some files, reporting to the terminal and to a TAP file for the totals. */
function runPhase(
  phase: { files: string[]; concurrency: number; tap: string },
  provisioned: Awaited<ReturnType<typeof provision>>,
  address: string,
  uiPort: number,
): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${phase.concurrency}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${phase.tap}`,
        ...phase.files,
      ],
      {
        stdio: 'inherit',
        env: {
          // Test files run side by side: no process serves metrics on the fixed default ports unless
          // its test asks for a port of its own (test/monitoring/).
          DEVCREW_METRICS_PORT: 'off',
          DEVCREW_TEMPORAL_METRICS_PORT: '0',
          // Tests that need determinism ask for the scripted double by name; the local model's tests
          // (test/local-model/) ask for the real one.
          DEVCREW_MODEL_PROVIDER: 'scripted',
          ...process.env,
          [TEST_ENV.temporalAddress]: address,
          [TEST_ENV.webUiUrl]: `http://127.0.0.1:${uiPort}`,
          [TEST_ENV.temporalCli]: provisioned.temporalCli ?? '',
          [TEST_ENV.chromium]: provisioned.chromium ?? '',
        },
      },
    );
    child.on('exit', (c) => resolve(c ?? 1));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`devcrew test: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
