import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { tail } from '../core/exec';
import { ProvisionError } from '../core/errors';
import type { MonitoringTools } from './provision/monitoring';
import { portIsFree } from './temporal-server';

/** deploy/monitoring/: the rules, their tests, the operators' configs and the Grafana dashboard. */
export const MONITORING_DIR = path.resolve(__dirname, '..', 'deploy', 'monitoring');

export interface ScrapeTargets {
  /** Worker processes' metrics (host:port), DEVCREW_METRICS_PORT. */
  workers: string[];
  /** The HTTP API (host:port), whose /metrics has the task queues' pollers and the daily budget. */
  api: string;
  /** The Temporal server's own metrics (host:port). */
  temporal?: string;
  /** devcrew's local model server (llama.cpp's /metrics), host:port. */
  model?: string;
}

export interface MonitoringConfig {
  targets: ScrapeTargets;
  /** Where Alertmanager's webhook goes: the API's base URL. */
  apiUrl: string;
  /** The file Alertmanager reads the API's bearer token from (never the config itself). */
  tokenFile?: string;
  alertmanager: string;
  /** Where the rules file sits, as Prometheus should read it. */
  rulesFile: string;
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** Alertmanager's pacing: how long it gathers a group before the first notification, and between. */
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

/** Prometheus's config: the workers, the API and the Temporal server, the rules, Alertmanager. */
export function prometheusConfig(c: MonitoringConfig): string {
  const job = (name: string, targets: string[]) => ({ job_name: name, static_configs: [{ targets }] });
  return YAML.stringify({
    global: {
      scrape_interval: c.scrapeInterval ?? '15s',
      evaluation_interval: c.evaluationInterval ?? '15s',
    },
    rule_files: [c.rulesFile],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [c.alertmanager] }] }] },
    scrape_configs: [
      job('devcrew-workers', c.targets.workers),
      job('devcrew-api', [c.targets.api]),
      ...(c.targets.temporal ? [job('temporal', [c.targets.temporal])] : []),
      // llama.cpp's own metrics: tokens per second, requests processing and deferred (the queue).
      ...(c.targets.model ? [job('devcrew-model', [c.targets.model])] : []),
    ],
  });
}

/** Alertmanager's config: every alert to the API's webhook, with the token read from a file. */
export function alertmanagerConfig(c: MonitoringConfig): string {
  return YAML.stringify({
    route: {
      receiver: 'devcrew-api',
      group_by: ['alertname', 'mode'],
      group_wait: c.groupWait ?? '30s',
      group_interval: c.groupInterval ?? '5m',
      repeat_interval: c.repeatInterval ?? '4h',
    },
    receivers: [
      {
        name: 'devcrew-api',
        webhook_configs: [
          {
            url: `${c.apiUrl}/v1/alerts`,
            send_resolved: true,
            ...(c.tokenFile
              ? { http_config: { authorization: { type: 'Bearer', credentials_file: c.tokenFile } } }
              : {}),
          },
        ],
      },
    ],
  });
}

/** The rules of deploy/monitoring/rules.yml, with every alert's `for` replaced (tests: "0s"). */
export async function rulesWith(options: { alertFor?: string } = {}): Promise<string> {
  const text = await fsp.readFile(path.join(MONITORING_DIR, 'rules.yml'), 'utf8');
  if (options.alertFor === undefined) return text;
  const doc = YAML.parse(text) as { groups: { rules: { alert?: string; for?: string }[] }[] };
  for (const g of doc.groups) for (const r of g.rules) if (r.alert) r.for = options.alertFor;
  return YAML.stringify(doc);
}

export interface Monitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Prometheus and Alertmanager beside the stack, configs and data under `<state dir>/monitoring`. Each is
 * started from its binary (never a systemd unit) and answers `/-/ready` before this resolves.
 */
/** Test pacing for `devcrew up --monitoring`: short intervals and `for`, ports of the test's own. */
export interface MonitoringPacing {
  prometheusPort?: number;
  alertmanagerPort?: number;
  scrapeInterval?: string;
  evaluationInterval?: string;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  alertFor?: string;
}

export async function startMonitoring(
  options: MonitoringPacing & {
    tools: MonitoringTools;
    stateDir: string;
    prometheusPort: number;
    alertmanagerPort: number;
    targets: ScrapeTargets;
    apiUrl: string;
    apiToken?: string;
  },
): Promise<Monitoring> {
  const dir = path.join(options.stateDir, 'monitoring');
  const logs = path.join(options.stateDir, 'logs');
  await fsp.mkdir(dir, { recursive: true });
  await fsp.mkdir(logs, { recursive: true });
  for (const [port, variable] of [
    [options.prometheusPort, 'DEVCREW_PROMETHEUS_PORT'],
    [options.alertmanagerPort, 'DEVCREW_ALERTMANAGER_PORT'],
  ] as const) {
    if (!(await portIsFree(port)))
      throw new ProvisionError(`port ${port} is taken; set ${variable} to a free port for --monitoring`);
  }
  const tokenFile = options.apiToken ? path.join(dir, 'api-token') : undefined;
  if (tokenFile) await fsp.writeFile(tokenFile, options.apiToken!, { mode: 0o600 });
  const alertmanager = `127.0.0.1:${options.alertmanagerPort}`;
  const config: MonitoringConfig = {
    targets: options.targets,
    apiUrl: options.apiUrl,
    tokenFile,
    alertmanager,
    rulesFile: path.join(dir, 'rules.yml'),
    scrapeInterval: options.scrapeInterval,
    evaluationInterval: options.evaluationInterval,
    groupWait: options.groupWait,
    groupInterval: options.groupInterval,
    repeatInterval: options.repeatInterval,
  };
  await fsp.writeFile(config.rulesFile, await rulesWith({ alertFor: options.alertFor }));
  await fsp.writeFile(path.join(dir, 'prometheus.yml'), prometheusConfig(config));
  await fsp.writeFile(path.join(dir, 'alertmanager.yml'), alertmanagerConfig(config));

  const children: { name: string; child: ChildProcess; exited: Promise<unknown> }[] = [];
  const stop = async () => {
    for (const c of children.reverse()) {
      c.child.kill('SIGTERM');
      const timer = setTimeout(() => c.child.kill('SIGKILL'), 5_000);
      await c.exited;
      clearTimeout(timer);
    }
  };
  const start = async (name: string, bin: string, args: string[], url: string) => {
    const logFile = path.join(logs, `${name}.log`);
    const out = fs.openSync(logFile, 'a');
    const child = spawn(bin, args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    children.push({ name, child, exited });
    const deadline = Date.now() + 30_000;
    let gone = false;
    void exited.then(() => (gone = true));
    while (Date.now() < deadline && !gone) {
      const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    const log = await fsp.readFile(logFile, 'utf8').catch(() => '');
    await stop();
    throw new ProvisionError(`${name} did not become ready; the end of ${logFile}:\n${tail(log)}`);
  };
  const alertmanagerUrl = `http://${alertmanager}`;
  const prometheusUrl = `http://127.0.0.1:${options.prometheusPort}`;
  await start(
    'alertmanager',
    options.tools.alertmanager,
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'alertmanager-data')}`,
      `--web.listen-address=${alertmanager}`,
      '--cluster.listen-address=', // one Alertmanager: no gossip port
    ],
    alertmanagerUrl,
  );
  await start(
    'prometheus',
    options.tools.prometheus,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${options.prometheusPort}`,
    ],
    prometheusUrl,
  );
  return { prometheusUrl, alertmanagerUrl, dir, stop };
}
