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
import { provision } from '../runtime/provision';
import { TEST_ENV, startTestServer } from './support/env';
import { freePort } from './support/ports';

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
  const provisioned = await provision({ temporal: true, docker: true, sandboxImage: true, chromium: true });
  const uiPort = await freePort();
  const env = await startTestServer({ uiPort });
  const files = await testFiles(process.argv.slice(2));
  const tapFile = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'devcrew-test-')), 'results.tap');
  process.stderr.write(
    `devcrew test: Temporal dev server at ${env.address} (Web UI http://127.0.0.1:${uiPort}); ${files.length} test files\n`,
  );
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-concurrency=2',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tapFile}`,
        ...files,
      ],
      {
        stdio: 'inherit',
        env: {
          ...process.env,
          [TEST_ENV.temporalAddress]: env.address,
          [TEST_ENV.webUiUrl]: `http://127.0.0.1:${uiPort}`,
          [TEST_ENV.temporalCli]: provisioned.temporalCli ?? '',
          [TEST_ENV.chromium]: provisioned.chromium ?? '',
        },
      },
    );
    child.on('exit', (c) => resolve(c ?? 1));
  });
  await env.teardown();
  const tap = fs.existsSync(tapFile) ? await fsp.readFile(tapFile, 'utf8') : '';
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  process.stdout.write(
    `\ntests took ${((Date.now() - started) / 1000).toFixed(0)} s (provisioning included)\n`,
  );
  process.stdout.write(`${passed} passed, ${failed} failed, ${count('skipped')} skipped\n`);
  if (passed + failed === 0) return 1;
  return code === 0 && failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`devcrew test: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
