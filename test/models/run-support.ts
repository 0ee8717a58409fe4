import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RunView } from '../../contracts';
import { startStack, type Stack } from '../../runtime/stack';
import type { WorkerKind } from '../../workers';
import { startTestServer, TEST_ENV } from '../support/env';
import { freePort } from '../support/ports';

export const TOKEN = 'provider-runs-token-5678';

/** A stack (real Temporal, workers, HTTP API) whose model settings come from `env`, for one test file. */
export async function providerStack(
  env: Record<string, string>,
  options: { prefix: string; sandbox?: boolean; workers?: WorkerKind[] },
): Promise<{ stack: Stack; stop(): Promise<void> }> {
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), `devcrew-${options.prefix}`));
  for (const k of [
    'DEVCREW_MODEL_PROVIDER',
    'DEVCREW_MODEL',
    'GEMINI_API_KEY',
    'GEMINI_BASE_URL',
    'OPENAI_API_KEY',
    'OPENAI_BASE_URL',
  ]) {
    delete process.env[k];
  }
  Object.assign(process.env, {
    DEVCREW_STATE_DIR: stateDir,
    DEVCREW_API_TOKEN: TOKEN,
    DEVCREW_MODEL_CACHE: 'off',
    ...env,
  });
  let own: Awaited<ReturnType<typeof startTestServer>> | undefined;
  let address = process.env[TEST_ENV.temporalAddress];
  if (!address) {
    own = await startTestServer();
    address = own.address;
  }
  const stack = await startStack({
    report: () => undefined,
    temporalAddress: address,
    apiPort: await freePort(),
    queuePrefix: options.prefix,
    workers: options.workers ?? (options.sandbox ? ['runs', 'agents', 'sandbox'] : ['runs', 'agents']),
  });
  return {
    stack,
    async stop() {
      await stack.stop();
      await own?.teardown();
      await fs.rm(stateDir, { recursive: true, force: true });
    },
  };
}

export async function startRun(stack: Stack, body: unknown): Promise<string> {
  const res = await fetch(`${stack.apiUrl}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 201 && res.status !== 202 && res.status !== 200) {
    throw new Error(`POST /v1/runs answered ${res.status}: ${await res.text()}`);
  }
  return ((await res.json()) as { run_id: string }).run_id;
}

export type Run = Extract<RunView, { tasks: unknown }> & {
  waiting_for?: { kind: string; since: string; attempts: number; last_error: string } | null;
};

/** GET /v1/runs/{id} until `done` holds (or the run ends), as a person polling the API would; every view is kept. */
export async function pollRun(
  stack: Stack,
  runId: string,
  done: (run: Run) => boolean,
  seen: Run[] = [],
  limit = 2_400,
): Promise<Run> {
  let run: Run | undefined;
  for (let i = 0; i < limit; i++) {
    const res = await fetch(`${stack.apiUrl}/v1/runs/${runId}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    run = (await res.json()) as Run;
    seen.push(run);
    if (done(run) || !['running', 'awaiting_approval'].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`run ${runId} did not get there: ${JSON.stringify(run).slice(0, 1500)}`);
}

export async function cancelRun(stack: Stack, runId: string): Promise<void> {
  await fetch(`${stack.apiUrl}/v1/runs/${runId}/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
}
