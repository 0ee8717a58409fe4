import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { tail } from '../core/exec';
import { ProvisionError } from '../core/errors';
import { endsWithUs } from './children';

/** The dev server's flag name for each search attribute type. */
const FLAG_TYPE: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

export function searchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${FLAG_TYPE[key.type]}`]);
}

/**
 * The dev server's history service reads its task queues at most 20 times a second by default
 * (`history.*ProcessorMaxPollRPS`), so every workflow and activity task waited about 25 ms before any
 * worker could have it: most of devcrew's per-step overhead (bench/workflows.ts). On one machine there
 * is nothing to protect with that limit. What it changes and risks is in the README ("Performance").
 */
export function fastDispatchArgs(): string[] {
  return [
    'history.transferProcessorMaxPollRPS=10000',
    'history.timerProcessorMaxPollRPS=10000',
    'history.visibilityProcessorMaxPollRPS=10000',
  ].flatMap((v) => ['--dynamic-config-value', v]);
}

export interface EmbeddedServerOptions {
  cli: string;
  stateDir: string;
  port: number;
  uiPort: number;
  /** Where the server serves its own Prometheus metrics (`--metrics-port`); 0 or absent: a free port. */
  metricsPort?: number;
  namespace: string;
  /** No Web UI. */
  headless?: boolean;
}

export interface EmbeddedServer {
  address: string;
  webUiUrl?: string;
  /** host:port of the server's /metrics. */
  metricsAddress: string;
  dbFile: string;
  logFile: string;
  stop(): Promise<void>;
  /** SIGKILL, as a power cut would: for the reliability tests. */
  crash(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with its history in SQLite under the state dir, so runs survive a
 * restart, and resolves once its gRPC port answers.
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const dbFile = path.join(options.stateDir, 'temporal.sqlite');
  const logFile = path.join(options.stateDir, 'logs', 'temporal-server.log');
  await fsp.mkdir(path.dirname(logFile), { recursive: true });
  for (const [port, variable] of [
    [options.port, 'DEVCREW_TEMPORAL_PORT'],
    ...(options.metricsPort ? [[options.metricsPort, 'DEVCREW_TEMPORAL_METRICS_PORT']] : []),
    ...(options.headless ? [] : [[options.uiPort, 'DEVCREW_UI_PORT']]),
  ] as [number, string][]) {
    if (!(await portIsFree(port))) {
      throw new ProvisionError(
        `port ${port} is taken, so the embedded Temporal server cannot start there.\n` +
          `  Stop what listens on it, set ${variable} to a free port, or set TEMPORAL_ADDRESS=localhost:${options.port} ` +
          'if that is a Temporal server you want devcrew to use.',
      );
    }
  }
  const metricsPort = options.metricsPort || (await freePortNumber());
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace,
    '--sqlite-pragma',
    'journal_mode=wal',
    '--log-level',
    'warn',
    '--metrics-port',
    String(metricsPort),
    ...(options.headless ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...searchAttributeArgs(),
    ...fastDispatchArgs(),
  ];
  const out = fs.openSync(logFile, 'a');
  const child = spawn(options.cli, args, { stdio: ['ignore', out, out] });
  endsWithUs(child);
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${options.port}`;
  const ready = await Promise.race([waitForGrpc(address, 60_000), exited.then(() => false)]);
  if (!ready) {
    child.kill('SIGKILL');
    const log = await fsp.readFile(logFile, 'utf8').catch(() => '');
    throw new ProvisionError(
      `the embedded Temporal server did not become ready; the end of ${logFile}:\n${tail(log)}`,
    );
  }
  return {
    address,
    webUiUrl: options.headless ? undefined : `http://127.0.0.1:${options.uiPort}`,
    metricsAddress: `127.0.0.1:${metricsPort}`,
    dbFile,
    logFile,
    stop: () => stopProcess(child, exited),
    crash: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function waitForGrpc(address: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await temporalAnswers(address)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** Whether a Temporal frontend answers at `address` now (GetSystemInfo within a second). */
export async function temporalAnswers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A port the system says is free now. */
export function freePortNumber(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
