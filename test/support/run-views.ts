import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathsFrom, readEnv } from '../../core/config';
import { silentReport } from '../../runtime/provision';
import { ensureTemporalCli } from '../../runtime/provision/temporal-cli';
import { apiClient, until, type Json } from './api';
import { devcrew } from './cli';
import { TEST_ENV } from './env';
import type { TestStack } from './stack';

/**
 * Everything a person reads about one run (`GET /v1/runs/{id}`, the list filtered by status, the
 * dashboard, `devcrew runs`, `devcrew status`, the workers' `devcrew_runs_total`, the event stream),
 * for tests that check they all say the same thing about how it ended.
 */
export function runViews(o: {
  stack: () => TestStack;
  token: string;
  /** The stack's task queue prefix, which the CLI needs to find its runs. */
  prefix: string;
  /** host:port of this process's workers' metrics endpoint. */
  metricsAddress: string;
}) {
  const http = apiClient(() => o.stack().api, o.token);
  const cliEnv = () => ({
    TEMPORAL_ADDRESS: o.stack().address,
    DEVCREW_STATE_DIR: o.stack().stateDir,
    DEVCREW_TASK_QUEUE_PREFIX: o.prefix,
  });

  /** devcrew_runs_total{mode, status} summed over the SDK's own labels. */
  async function runsTotal(mode: string, status: string): Promise<number> {
    const text = await (await fetch(`http://${o.metricsAddress}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith('devcrew_runs_total{')) continue;
      if (!line.includes(`mode="${mode}"`) || !line.includes(`status="${status}"`)) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  async function start(request: string, options: Json): Promise<string> {
    const res = await http('POST', '/v1/runs', { request, options });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.run_id as string;
  }

  const closed = (id: string, seconds = 180) =>
    until(
      `run ${id} to end`,
      async () => {
        const r = (await http('GET', `/v1/runs/${id}`)).body;
        return ['running', 'awaiting_approval'].includes(r.status) ? undefined : r;
      },
      seconds,
    );

  /** The whole event stream of an ended run (the stream closes when the run has ended). */
  async function lastEvent(id: string): Promise<Json> {
    const res = await fetch(`${o.stack().api}/v1/runs/${id}/events`, {
      headers: { authorization: `Bearer ${o.token}` },
    });
    const text = await res.text();
    const events = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as Json);
    assert.ok(events.length > 0, `run ${id} has events`);
    return events.at(-1)!;
  }

  /** What every view says about one ended run; `counted`: whether the workflow's own code recorded the end. */
  async function assertEverywhere(
    id: string,
    mode: 'crew' | 'single-agent',
    status: string,
    before: number,
    counted: boolean,
  ): Promise<Json | undefined> {
    const view = (await http('GET', `/v1/runs/${id}`)).body;
    assert.equal(view.status, status, `GET /v1/runs/${id}`);
    assert.equal(view.mode, mode);

    await until(`GET /v1/runs?status=${status} to list ${id}`, async () => {
      const list = (await http('GET', `/v1/runs?status=${status}&limit=500`)).body.runs as Json[];
      return list.some((r) => r.run_id === id) ? true : undefined;
    });
    const listed = ((await http('GET', '/v1/runs?limit=500')).body.runs as Json[]).find(
      (r) => r.run_id === id,
    );
    assert.equal(listed?.status, status, 'the unfiltered list');
    for (const other of ['running', 'awaiting_approval', 'completed']) {
      const list = (await http('GET', `/v1/runs?status=${other}&limit=500`)).body.runs as Json[];
      assert.ok(!list.some((r) => r.run_id === id), `not listed as ${other}`);
    }

    const dashboard = (await http('GET', '/v1/dashboard')).body;
    const row = (dashboard.runs as Json[]).find((r) => r.run_id === id);
    if (row) assert.equal(row.status, status, 'the dashboard run list');

    const runs = await devcrew(['runs', '--json', '--limit', '500'], { env: cliEnv() });
    assert.equal(runs.code, 0, runs.stderr);
    const cliRow = (JSON.parse(runs.stdout) as Json[]).find((r) => r.run_id === id);
    assert.equal(cliRow?.status, status, 'devcrew runs');
    const shown = await devcrew(['status', id], { env: cliEnv() });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^run ${id}: ${status}`), 'devcrew status');

    if (counted) {
      await until(`devcrew_runs_total{mode="${mode}",status="${status}"} to rise`, async () =>
        (await runsTotal(mode, status)) >= before + 1 ? true : undefined,
      );
      const ended = await lastEvent(id);
      assert.deepEqual([ended.type, ended.status], ['run_finished', status], 'the event stream ends with it');
    }
    return listed;
  }

  /** `temporal workflow terminate`, as an operator would type it. */
  async function terminate(id: string): Promise<void> {
    const cli =
      process.env[TEST_ENV.temporalCli] ||
      (await ensureTemporalCli(pathsFrom(readEnv()).cacheDir, silentReport));
    await promisify(execFile)(cli, [
      'workflow',
      'terminate',
      '--address',
      o.stack().address,
      '--workflow-id',
      id,
      '--reason',
      'run-ends test',
    ]);
  }

  return { http, runsTotal, start, closed, assertEverywhere, terminate };
}
