import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { pathsFrom, readEnv } from '../../core/config';
import { ensureTemporalCli } from '../../runtime/provision/temporal-cli';
import { silentReport } from '../../core/report';
import { fastDispatchArgs, freePortNumber } from '../../runtime/temporal-server';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

// Workers log every state change at INFO; tests show warnings and errors only.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by this process
}

/**
 * Variables `test/run.ts` hands every test file so they share one real dev server; a file run alone
 * (`node --import tsx --test test/x.test.ts`) starts its own.
 */
export const TEST_ENV = {
  temporalAddress: 'DEVCREW_TEST_TEMPORAL_ADDRESS',
  webUiUrl: 'DEVCREW_TEST_WEB_UI_URL',
  temporalCli: 'DEVCREW_TEST_TEMPORAL_CLI',
  chromium: 'DEVCREW_TEST_CHROMIUM',
} as const;

/** The real Temporal dev server, started from the provisioned binary (never a download). */
export async function startTestServer(options: { uiPort?: number } = {}): Promise<TestWorkflowEnvironment> {
  const cli =
    process.env[TEST_ENV.temporalCli] ??
    (await ensureTemporalCli(pathsFrom(readEnv()).cacheDir, silentReport));
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: path.resolve(cli) },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
      extraArgs: ['--log-level', 'warn', ...fastDispatchArgs()],
    },
  });
}

/** A Temporal environment for one test file: the shared server when there is one. */
export async function testEnvironment(): Promise<TestWorkflowEnvironment> {
  const address = process.env[TEST_ENV.temporalAddress];
  if (address) return TestWorkflowEnvironment.createFromExistingServer({ address });
  return startTestServer();
}

/** Task queues unique to a test, so tests sharing a server never steal each other's work. */
export function uniqueTaskQueue(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}

/**
 * The Temporal server a test file runs against: the shared one `test/run.ts` started, or, for a file run
 * alone, one of its own (with a Web UI when `ui`). `teardown` stops only a server of its own.
 */
export async function testServer(options: { ui?: boolean } = {}): Promise<{
  address: string;
  webUiUrl: string | undefined;
  teardown(): Promise<void>;
}> {
  const shared = process.env[TEST_ENV.temporalAddress];
  if (shared) {
    return { address: shared, webUiUrl: process.env[TEST_ENV.webUiUrl], teardown: async () => undefined };
  }
  const uiPort = options.ui ? await freePortNumber() : undefined;
  const own = await startTestServer(uiPort ? { uiPort } : {});
  return {
    address: own.address,
    webUiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    teardown: () => own.teardown(),
  };
}
