import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { exec, tail } from '../core/exec';
import { ProvisionError } from '../core/errors';
import type { Report } from '../core/report';
import type { ProductionTools } from './provision/production';
import { searchAttributeArgs, temporalAnswers } from './temporal-server';

/**
 * The production-shaped Temporal of one host: PostgreSQL (Debian's) for persistence and visibility, the
 * real Temporal server (`temporal-server`, every service in one process, 4 history shards) with its
 * schema applied by its own SQL tool. State under `<state dir>/production/`. A team runs the same
 * pieces on separate hosts (README, "Running for a team").
 */
export interface ProductionPorts {
  /** The frontend's gRPC port: what TEMPORAL_ADDRESS names. */
  frontend: number;
  postgres: number;
  /** Base of the other services' ports (history, matching, worker, membership, HTTP, metrics): base .. base+9. */
  internalBase: number;
}

export const DEFAULT_PRODUCTION_PORTS: ProductionPorts = {
  frontend: 7233,
  postgres: 5433,
  internalBase: 7300,
};

export const HISTORY_SHARDS = 4;

/** The server's config: PostgreSQL for both stores, every service's ports, metrics, no archival. */
export function serverConfig(o: {
  ports: ProductionPorts;
  dynamicConfigFile: string;
  user: string;
  password: string;
}): string {
  const b = o.ports.internalBase;
  const store = (database: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `127.0.0.1:${o.ports.postgres}`,
      connectProtocol: 'tcp',
      user: o.user,
      password: o.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: object = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return YAML.stringify({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: {
        'postgres-default': store('temporal', 20),
        'postgres-visibility': store('temporal_visibility', 10),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      pprof: { port: 0 },
      metrics: {
        prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${b + 9}` },
      },
    },
    services: {
      frontend: service(o.ports.frontend, b + 0, { httpPort: b + 8 }),
      history: service(b + 1, b + 2),
      matching: service(b + 3, b + 4),
      worker: service(b + 5, b + 6),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${o.ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: {
      archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    },
    dynamicConfigClient: { filepath: o.dynamicConfigFile, pollInterval: '10s' },
  });
}

/** Dynamic config: what devcrew's runs need (the dev server's defaults for pending activities, fast dispatch). */
export const DYNAMIC_CONFIG = YAML.stringify({
  'limit.maxIDLength': [{ value: 1000 }],
  'history.transferProcessorMaxPollRPS': [{ value: 10000 }],
  'history.timerProcessorMaxPollRPS': [{ value: 10000 }],
  'history.visibilityProcessorMaxPollRPS': [{ value: 10000 }],
  'frontend.enableUpdateWorkflowExecution': [{ value: true }],
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': [{ value: true }],
});

export interface ProductionTemporal {
  address: string;
  /** The Temporal Web UI, unless headless. */
  webUiUrl?: string;
  namespace: string;
  dir: string;
  ports: ProductionPorts;
  /** host:port of the server's Prometheus metrics. */
  metricsAddress: string;
  /** Stops the server, then PostgreSQL. */
  stop(): Promise<void>;
  /** Tests: SIGKILL the server and start it again on the same database. */
  restartServer(options?: { kill?: boolean }): Promise<void>;
  /** Tests: stop PostgreSQL (fast shutdown) for a while, then start it again. */
  pausePostgres(ms: number): Promise<void>;
}

/** Runs a PostgreSQL tool as the cluster's owner (PostgreSQL refuses to run as root). */
function asOwner(tools: ProductionTools, bin: string, args: string[]) {
  if (process.getuid?.() !== 0) return exec(bin, args);
  return exec('runuser', ['-u', tools.postgresUser, '--', bin, ...args]);
}

export async function startProductionTemporal(o: {
  tools: ProductionTools;
  stateDir: string;
  namespace: string;
  ports?: ProductionPorts;
  /** The Web UI's port; none when headless. */
  uiPort?: number;
  report: Report;
}): Promise<ProductionTemporal> {
  const ports = o.ports ?? DEFAULT_PRODUCTION_PORTS;
  const dir = path.join(o.stateDir, 'production');
  const pgData = path.join(dir, 'postgres');
  const socketDir = path.join(dir, 'postgres-socket');
  const logs = path.join(o.stateDir, 'logs');
  await fsp.mkdir(logs, { recursive: true });
  await fsp.mkdir(socketDir, { recursive: true });
  const owner = async (p: string) => {
    if (process.getuid?.() === 0) await exec('chown', ['-R', o.tools.postgresUser, p]);
  };
  await owner(socketDir);
  await owner(logs);
  // The state dir's parents must let the cluster's owner reach its files.
  if (process.getuid?.() === 0) await exec('chmod', ['o+x', o.stateDir, dir]).catch(() => undefined);

  if (!fs.existsSync(path.join(pgData, 'PG_VERSION'))) {
    await fsp.mkdir(pgData, { recursive: true });
    await owner(pgData);
    o.report(`PostgreSQL: a new cluster in ${pgData}`);
    const init = await asOwner(o.tools, o.tools.initdb, [
      '-D',
      pgData,
      '-U',
      'temporal',
      '--auth=trust',
      '--encoding=UTF8',
      '--no-instructions',
    ]);
    if (init.code !== 0) throw new ProvisionError(`initdb failed:\n${tail(init.stderr || init.stdout)}`);
  }
  const pgLog = path.join(logs, 'postgres.log');
  const startPostgres = async () => {
    const res = await asOwner(o.tools, o.tools.pgCtl, [
      '-D',
      pgData,
      '-l',
      pgLog,
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${ports.postgres} -k ${socketDir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
      'start',
    ]);
    if (res.code !== 0) {
      const log = await fsp.readFile(pgLog, 'utf8').catch(() => '');
      throw new ProvisionError(
        `PostgreSQL did not start on port ${ports.postgres} (set DEVCREW_POSTGRES_PORT if it is taken):\n${tail(res.stderr || log)}`,
      );
    }
  };
  const stopPostgres = (mode: 'fast' | 'immediate' = 'fast') =>
    asOwner(o.tools, o.tools.pgCtl, ['-D', pgData, '-m', mode, '-w', 'stop']);
  await startPostgres();

  try {
    await applySchema(o.tools, dir, ports, o.report);
    const configDir = path.join(dir, 'config');
    await fsp.mkdir(configDir, { recursive: true });
    const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
    await fsp.writeFile(dynamicConfigFile, DYNAMIC_CONFIG);
    await fsp.writeFile(
      path.join(configDir, 'production.yaml'),
      serverConfig({ ports, dynamicConfigFile, user: 'temporal', password: '' }),
    );
    const serverLog = path.join(logs, 'temporal-server.log');
    let child: ChildProcess | undefined;
    let exited: Promise<unknown> = Promise.resolve();
    const address = `127.0.0.1:${ports.frontend}`;
    const startServer = async () => {
      const out = fs.openSync(serverLog, 'a');
      child = spawn(
        o.tools.server,
        ['--root', dir, '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'],
        { stdio: ['ignore', out, out] },
      );
      fs.closeSync(out);
      const c = child;
      exited = new Promise((resolve) => c.once('exit', resolve));
      let gone = false;
      void exited.then(() => (gone = true));
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && !gone) {
        if (await temporalAnswers(address)) return;
        await new Promise((r) => setTimeout(r, 500));
      }
      const log = await fsp.readFile(serverLog, 'utf8').catch(() => '');
      child.kill('SIGKILL');
      throw new ProvisionError(
        `the Temporal server did not become ready; the end of ${serverLog}:\n${tail(log)}`,
      );
    };
    const stopServer = async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (!child || child.exitCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child?.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    };
    o.report(
      `Temporal server ${path.basename(o.tools.server)} on PostgreSQL, ${HISTORY_SHARDS} history shards`,
    );
    await startServer();
    await ensureNamespace(o.tools, address, o.namespace);
    const ui = o.uiPort ? await startUi(o.tools, dir, address, o.namespace, o.uiPort, logs) : undefined;
    return {
      address,
      ...(ui ? { webUiUrl: ui.url } : {}),
      namespace: o.namespace,
      dir,
      ports,
      metricsAddress: `127.0.0.1:${ports.internalBase + 9}`,
      stop: async () => {
        await ui?.stop();
        await stopServer();
        await stopPostgres();
      },
      restartServer: async (opts = {}) => {
        await stopServer(opts.kill === false ? 'SIGTERM' : 'SIGKILL');
        await startServer();
      },
      pausePostgres: async (ms) => {
        await stopPostgres('fast');
        await new Promise((r) => setTimeout(r, ms));
        await startPostgres();
      },
    };
  } catch (err) {
    await stopPostgres().catch(() => undefined);
    throw err;
  }
}

/** The Temporal Web UI server in front of the frontend. */
async function startUi(
  tools: ProductionTools,
  dir: string,
  address: string,
  namespace: string,
  port: number,
  logs: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const configDir = path.join(dir, 'ui-config');
  await fsp.mkdir(configDir, { recursive: true });
  await fsp.writeFile(
    path.join(configDir, 'production.yaml'),
    YAML.stringify({
      temporalGrpcAddress: address,
      host: '127.0.0.1',
      port,
      enableUi: true,
      defaultNamespace: namespace,
      cors: { allowOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`] },
      refreshInterval: '1m',
      notifyOnNewVersion: false,
    }),
  );
  const out = fs.openSync(path.join(logs, 'temporal-ui.log'), 'a');
  const child = spawn(tools.ui, ['--root', dir, '--config', 'ui-config', '--env', 'production', 'start'], {
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (
      await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (child.exitCode !== null)
    throw new ProvisionError(
      `the Temporal Web UI did not start on port ${port} (see ${logs}/temporal-ui.log)`,
    );
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The databases and their schemas, by the server's own SQL tool; once per version (a marker file). */
async function applySchema(tools: ProductionTools, dir: string, ports: ProductionPorts, report: Report) {
  const marker = path.join(dir, `schema-${tools.version}.done`);
  if (fs.existsSync(marker)) return;
  report(`Temporal schema ${tools.version}: temporal and temporal_visibility on PostgreSQL`);
  const base = [
    '--plugin',
    'postgres12',
    '--ep',
    '127.0.0.1',
    '-p',
    String(ports.postgres),
    '-u',
    'temporal',
    '--pw',
    '',
  ];
  for (const [db, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    const run = async (args: string[], okIf?: RegExp) => {
      const res = await exec(tools.sqlTool, [...base, '--db', db, ...args]);
      if (res.code !== 0 && !(okIf && okIf.test(res.stderr + res.stdout)))
        throw new ProvisionError(
          `temporal-sql-tool ${args[0]} on ${db} failed:\n${tail(res.stderr || res.stdout)}`,
        );
    };
    await run(['create-database'], /already exists/);
    await run(['setup-schema', '-v', '0.0'], /already exists|schema_version/);
    await run(['update-schema', '-d', path.join(tools.schemaDir, 'postgresql', 'v12', schema, 'versioned')]);
  }
  await fsp.writeFile(marker, new Date().toISOString());
}

/** The namespace and devcrew's search attributes, with the Temporal CLI (idempotent). */
async function ensureNamespace(tools: ProductionTools, address: string, namespace: string) {
  const cli = (args: string[]) => exec(tools.cli, [...args, '--address', address]);
  const described = await cli(['operator', 'namespace', 'describe', '--namespace', namespace]);
  if (described.code !== 0) {
    const created = await cli([
      'operator',
      'namespace',
      'create',
      '--namespace',
      namespace,
      '--retention',
      '72h',
    ]);
    if (created.code !== 0 && !/already/i.test(created.stderr))
      throw new ProvisionError(`could not create namespace ${namespace}:\n${tail(created.stderr)}`);
  }
  const attrs = searchAttributeArgs();
  const pairs: string[] = [];
  for (let i = 0; i < attrs.length; i += 2) pairs.push(attrs[i + 1]!);
  const args = pairs.flatMap((p) => ['--name', p.split('=')[0]!, '--type', p.split('=')[1]!]);
  // The namespace becomes usable by the frontend a moment after it is created.
  for (let attempt = 1; ; attempt++) {
    const res = await cli(['operator', 'search-attribute', 'create', '--namespace', namespace, ...args]);
    if (res.code === 0 || /already exists/i.test(res.stderr)) return;
    if (attempt >= 30 || !/not found|unavailable|deadline/i.test(res.stderr))
      throw new ProvisionError(`could not create devcrew's search attributes:\n${tail(res.stderr)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
