import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathsFrom, readEnv, readModelSettings } from '../core/config';
import { ConfigError } from '../core/errors';
import { DEFAULT_LOCAL_MODEL } from '../models/local-models';
import { runsOwnModelServer } from '../models/providers';
import type { Report } from '../core/report';
import { ensureLocalModel, type LocalModelFiles } from './provision/local-model';
import { endsWithUs } from './children';

export interface ModelServerOptions {
  files: LocalModelFiles;
  port: number;
  /** Requests answered at once (continuous batching). */
  slots: number;
  /** Context per slot, in tokens. */
  context: number;
  threads?: number;
  /** The address it listens on: 127.0.0.1 (default), or 0.0.0.0 for agent workers on other hosts. */
  listen?: string;
  logDir: string;
  report: Report;
}

export interface ModelServer {
  /** The OpenAI-compatible base URL, e.g. http://127.0.0.1:8033/v1. */
  baseUrl: string;
  /** Its Prometheus metrics, host:port (path /metrics). */
  metricsAddress: string;
  logFile: string;
  /** Whether it answers /health now. */
  healthy(): Promise<boolean>;
  /** Restarts after a crash so far. */
  restarts(): number;
  stop(): Promise<void>;
}

const LAUNCHER = path.join(__dirname, 'model-server', 'launch.py');
const READY_TIMEOUT_MS = 180_000;

/**
 * llama.cpp's server for the local model, as part of the stack: its own port and log, ready when
 * `/health` answers, restarted when it dies (a call in flight fails, and its step is retried by Temporal
 * on the restarted server), stopped with the stack. A devcrew model server already serving the same
 * model on the port is used as it is.
 */
export async function startModelServer(o: ModelServerOptions): Promise<ModelServer> {
  const host = '127.0.0.1';
  const origin = `http://${host}:${o.port}`;
  const alias = o.files.model.id;
  const logFile = path.join(o.logDir, 'model-server.log');
  const health = async () => {
    try {
      const res = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(2_000) });
      return res.ok;
    } catch {
      return false;
    }
  };
  const shared = await servesAlready(origin, alias);
  if (shared) {
    o.report(`local model: ${alias} already served at ${origin} (another devcrew); using it`);
    return {
      baseUrl: `${origin}/v1`,
      metricsAddress: `${host}:${o.port}`,
      logFile,
      healthy: health,
      restarts: () => 0,
      stop: async () => undefined,
    };
  }
  if (!(await portFree(host, o.port))) {
    throw new ConfigError(
      `port ${o.port} is taken by something that is not devcrew's model server; set DEVCREW_MODEL_SERVER_PORT to a free port (or DEVCREW_MODEL_BASE_URL to a model server you run)`,
    );
  }
  const available = availableMemory();
  const needed = o.files.model.residentBytes * 1.2;
  if (available !== undefined && available < needed) {
    throw new ConfigError(
      `not enough memory for ${alias}: it needs about ${gb(needed)} and ${gb(available)} is available; free memory, use DEVCREW_MODEL=qwen2.5-coder-0.5b, or point DEVCREW_MODEL_BASE_URL at a server elsewhere`,
    );
  }
  await fsp.mkdir(o.logDir, { recursive: true });
  const config = JSON.stringify({
    model: o.files.weights,
    alias,
    host: o.listen ?? host,
    port: o.port,
    slots: o.slots,
    context: o.context,
    threads: o.threads ?? Math.max(1, os.availableParallelism()),
  });
  let child: ChildProcess | undefined;
  let stopping = false;
  let ready = false;
  let restarts = 0;
  const launch = () => {
    const log = fs.openSync(logFile, 'a');
    const c = spawn(o.files.python, [LAUNCHER, config], { stdio: ['ignore', log, log] });
    endsWithUs(c);
    fs.closeSync(log);
    c.once('exit', (code, signal) => {
      if (stopping || !ready || c !== child) return;
      restarts++;
      o.report(
        `local model: the server exited (${signal ?? `code ${code}`}); restarting it (${restarts}), see ${logFile}`,
      );
      if (restarts <= 20) setTimeout(() => !stopping && (child = launch()), Math.min(10_000, 500 * restarts));
    });
    return c;
  };
  o.report(
    `local model: starting llama.cpp's server for ${alias} on ${origin} (${o.slots} slots, log ${logFile})`,
  );
  child = launch();
  const started = Date.now();
  while (!(await health())) {
    if (child.exitCode !== null || child.signalCode !== null) {
      stopping = true;
      throw new ConfigError(
        `the local model server exited while starting (${child.signalCode ?? `code ${child.exitCode}`}); its log ${logFile} ends:\n${await logTail(logFile)}`,
      );
    }
    if (Date.now() - started > READY_TIMEOUT_MS) {
      stopping = true;
      child.kill('SIGKILL');
      throw new ConfigError(
        `the local model server did not become ready in ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  ready = true;
  o.report(`local model: ${alias} ready at ${origin}/v1 in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    baseUrl: `${origin}/v1`,
    metricsAddress: `${host}:${o.port}`,
    logFile,
    healthy: health,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A devcrew model server (llama.cpp) already answering on this origin with this model. */
async function servesAlready(origin: string, alias: string): Promise<boolean> {
  try {
    const res = await fetch(`${origin}/v1/models`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { data?: { id?: string }[] };
    return (body.data ?? []).some((m) => m.id === alias);
  } catch {
    return false;
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** MemAvailable from /proc/meminfo (Linux), else undefined. */
function availableMemory(): number | undefined {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function logTail(file: string): Promise<string> {
  const text = await fsp.readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * devcrew's own model server when the settings ask for one (the local provider without
 * DEVCREW_MODEL_BASE_URL): provisioned (`devcrew setup --model`) and started; undefined otherwise.
 */
export async function ownModelServer(report: Report): Promise<ModelServer | undefined> {
  const settings = readModelSettings();
  if (!runsOwnModelServer(settings)) return undefined;
  const paths = pathsFrom(readEnv());
  const files = await ensureLocalModel(paths.cacheDir, settings.DEVCREW_MODEL ?? DEFAULT_LOCAL_MODEL, report);
  return startModelServer({
    files,
    port: settings.DEVCREW_MODEL_SERVER_PORT,
    slots: settings.DEVCREW_MODEL_SERVER_SLOTS,
    context: settings.DEVCREW_MODEL_CONTEXT,
    ...(settings.DEVCREW_MODEL_THREADS ? { threads: settings.DEVCREW_MODEL_THREADS } : {}),
    listen: settings.DEVCREW_MODEL_SERVER_HOST,
    logDir: path.join(paths.stateDir, 'logs'),
    report,
  });
}
