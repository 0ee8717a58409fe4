import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startStack, type Stack } from '../../runtime/stack';
import { testServer } from './env';
import { freePort } from './ports';

export interface TestStack {
  stack: Stack;
  /** The stack's own state dir (a temp dir), removed by `stop`. */
  stateDir: string;
  api: string;
  address: string;
  webUiUrl: string | undefined;
  /** Stops the stack, a server of its own, and removes the state dir. */
  stop(): Promise<void>;
}

/**
 * devcrew's whole stack for one test file: a temp state dir, the API token, the scripted model unless
 * `env` names another, the test server (shared or its own), queues under `prefix` so other files' runs
 * never mix in. `env` is applied to this process before the stack reads it (undefined removes a variable).
 */
export async function startTestStack(o: {
  prefix?: string;
  token: string;
  env?: Record<string, string | undefined>;
  ui?: boolean;
  stack?: Omit<Parameters<typeof startStack>[0], 'report' | 'temporalAddress' | 'queuePrefix'>;
}): Promise<TestStack> {
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), `devcrew-${o.prefix ?? 'stack-'}`));
  const env = {
    DEVCREW_MODEL_PROVIDER: 'scripted',
    ...o.env,
    DEVCREW_STATE_DIR: stateDir,
    DEVCREW_API_TOKEN: o.token,
  };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const server = await testServer({ ui: o.ui });
  let stack: Stack;
  try {
    stack = await startStack({
      report: () => undefined,
      temporalAddress: server.address,
      apiPort: await freePort(),
      ...(o.prefix ? { queuePrefix: o.prefix } : {}),
      ...o.stack,
    });
  } catch (err) {
    await server.teardown();
    throw err;
  }
  return {
    stack,
    stateDir,
    api: stack.apiUrl!,
    address: server.address,
    webUiUrl: server.webUiUrl,
    stop: async () => {
      await stack.stop();
      await server.teardown();
      await fs.rm(stateDir, { recursive: true, force: true });
    },
  };
}
