import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { openArtifactStore } from '../../artifacts';
import { GitProcess } from '../../artifacts/git-process';
import { taskQueues, type RunView } from '../../contracts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../server/app';
import { temporalRollout } from '../../server/temporal-rollout';
import { temporalRuns } from '../../server/temporal-runs';
import type { RunsService } from '../../server/runs-service';
import { RecordedGemini } from '../fakes/recorded-gemini';
import { REPO_ROOT } from '../support/cli';

export const MODEL = 'gemini-3.8-flash';

/** A `devcrew worker` process of its own, to be killed for real. */
export class WorkerProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(env: NodeJS.ProcessEnv, kinds = 'runs,agents,sandbox', args: string[] = []) {
    this.child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/devcrew.js'), 'worker', '--kind', kinds, ...args],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves once it polls its queues. */
  async ready(seconds = 90): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!/workers polling/.test(this.stdout)) {
      if (this.child.exitCode !== null)
        throw new Error(`the worker exited ${this.child.exitCode}:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`the worker did not start in ${seconds} s:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

/**
 * One devcrew deployment for fault-injection tests: its own task queues, state dir and artifact
 * repository, workers as separate processes, the real Gemini SDK against a fake Gemini that answers
 * from the recordings and counts calls, and a client (the same RunsService the API uses).
 */
export class Deployment {
  readonly fake: RecordedGemini;
  readonly workers: WorkerProcess[] = [];
  client!: Client;
  runs!: RunsService;
  stateDir = '';

  private constructor(
    readonly address: string,
    readonly prefix: string,
    private readonly stepDelays: string | undefined,
    modelDelayMs: number,
  ) {
    this.fake = new RecordedGemini({ delayMs: modelDelayMs });
  }

  static async start(options: {
    address: string;
    prefix: string;
    /** DEVCREW_FAULT_STEP_DELAYS for the workers. */
    stepDelays?: string;
    /** How long the fake model takes to answer. */
    modelDelayMs?: number;
  }): Promise<Deployment> {
    const d = new Deployment(options.address, options.prefix, options.stepDelays, options.modelDelayMs ?? 0);
    d.stateDir = await fs.mkdtemp(path.join(os.tmpdir(), `devcrew-${options.prefix}`));
    await d.fake.start();
    await d.connect();
    return d;
  }

  /** (Re)connects the client, e.g. after the Temporal server came back. */
  async connect(): Promise<void> {
    const connection = await Connection.connect({ address: this.address });
    this.client = new Client({ connection });
    const queues = taskQueues(this.prefix);
    const rollout = temporalRollout({ client: this.client, queues, prefix: this.prefix });
    this.runs = temporalRuns({
      client: this.client,
      model: { provider: 'gemini', name: MODEL },
      artifacts: () => openArtifactStore({ repoDir: this.repoDir }),
      rollout,
      queues,
    });
  }

  get repoDir(): string {
    return path.join(this.stateDir, 'artifacts');
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: this.address,
      DEVCREW_TASK_QUEUE_PREFIX: this.prefix,
      DEVCREW_STATE_DIR: this.stateDir,
      DEVCREW_MODEL_PROVIDER: 'gemini',
      DEVCREW_MODEL: MODEL,
      GEMINI_API_KEY: 'reliability-fake-key-000000',
      GEMINI_BASE_URL: this.fake.url,
      DEVCREW_LOG_LEVEL: 'ERROR',
      // Several workers of a deployment run side by side, maybe beside another devcrew: none takes the
      // fixed default metrics port.
      DEVCREW_METRICS_PORT: 'off',
      ...(this.stepDelays ? { DEVCREW_FAULT_STEP_DELAYS: this.stepDelays } : {}),
    };
  }

  /** The HTTP API over this deployment's client, as `devcrew up` serves it. */
  async serveApi(token: string): Promise<{ url: string; close(): Promise<void> }> {
    const queues = taskQueues(this.prefix);
    const app = createApp({
      runs: this.runs,
      rollout: temporalRollout({ client: this.client, queues, prefix: this.prefix }),
      token,
      namespace: 'default',
      readiness: async () => [],
      log: () => undefined,
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((r) => server.close(() => r())),
    };
  }

  async startWorker(kinds?: string): Promise<WorkerProcess> {
    const w = new WorkerProcess(this.env(), kinds);
    this.workers.push(w);
    await w.ready();
    return w;
  }

  /** Waits until the run has an activity of this type started on a worker (so a kill lands inside it). */
  async activityStarted(runId: string, type: string, seconds = 120): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const d = await this.client.workflow.getHandle(runId).describe();
      const started = (d.raw.pendingActivities ?? []).some(
        (a) => a.activityType?.name === type && String(a.state) !== '1' && a.lastStartedTime,
      );
      if (started) return;
      if (d.status.name !== 'RUNNING')
        throw new Error(`run ${runId} ended (${d.status.name}) before ${type} started`);
      if (Date.now() > deadline) throw new Error(`${type} did not start within ${seconds} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async finished(runId: string, seconds = 240): Promise<RunView> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const d = await this.client.workflow.getHandle(runId).describe();
      if (d.status.name !== 'RUNNING') return this.runs.get(runId);
      if (Date.now() > deadline) throw new Error(`run ${runId} did not end within ${seconds} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The code, tests, contracts and plan on the run's integration branch: path and blob id, sorted. */
  async finalTree(runId: string): Promise<string[]> {
    const git = new GitProcess(await realGitDir(this.repoDir));
    const listing = await git.text(['ls-tree', '-r', `refs/heads/ai/generated/${runId}/_integration`]);
    return listing
      .split('\n')
      .map((l) => {
        const [meta, file] = l.split('\t');
        return `${file} ${meta!.split(' ')[2]}`;
      })
      .filter((l) => /^(codes|tests|contracts|plans)\//.test(l))
      .sort();
  }

  /** Commits that do the same step twice on one branch (same task, role and subject). */
  async duplicateCommits(runId: string): Promise<string[]> {
    const git = new GitProcess(await realGitDir(this.repoDir));
    const branches = (
      await git.text(['for-each-ref', '--format=%(refname)', `refs/heads/ai/generated/${runId}/`])
    )
      .split('\n')
      .filter(Boolean);
    const dupes: string[] = [];
    for (const ref of branches) {
      const log = await git.text(['log', '--first-parent', '--format=%H%x09%s', ref]);
      const seen = new Map<string, string>();
      for (const line of log.split('\n').filter(Boolean)) {
        const [sha, subject] = line.split('\t');
        if (seen.has(subject!))
          dupes.push(`${ref}: "${subject}" in ${seen.get(subject!)!.slice(0, 10)} and ${sha!.slice(0, 10)}`);
        seen.set(subject!, sha!);
      }
    }
    return dupes;
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.kill('SIGTERM')));
    await this.client?.connection.close().catch(() => undefined);
    await this.fake.stop();
    await fs.rm(this.stateDir, { recursive: true, force: true });
  }
}

async function realGitDir(repo: string): Promise<string> {
  return (await openArtifactStore({ repoDir: repo, create: false })).gitDir;
}
