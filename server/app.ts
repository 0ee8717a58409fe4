import path from 'node:path';
import express, { type Request } from 'express';
import {
  AddUserRequest,
  AlertmanagerWebhook,
  FeedbackRequest,
  GateDecisionRequest,
  UserName,
  RollbackRequest,
  RolloutChange,
  RunMode,
  StartRunRequest,
  zodErrorText,
  type Actor,
} from '../contracts';
import type { AlertReceiver } from './alerts';
import { actorOf, authenticator, httpAuth, type Authenticator } from './auth';
import { dashboardData } from './dashboard';
import { rateRun } from './feedback';
import type { ApiMetrics } from './metrics';
import { HttpError, toHttpError } from './http-error';
import { errorHandler, notFound, parseBody } from './middleware';
import { openApiDocument } from './openapi';
import type { ReadinessCheck } from './readiness';
import type { RolloutService } from './rollout-service';
import type { RunsService } from './runs-service';
import type { UsersStore } from './users';

export interface AppOptions {
  runs: RunsService;
  rollout: RolloutService;
  readiness: () => Promise<ReadinessCheck[]>;
  /** The admin bootstrap credential (DEVCREW_API_TOKEN); used when `auth` is not given. */
  token?: string | undefined;
  /** Who a bearer credential belongs to (server/auth.ts); default: the bootstrap token and `users`. */
  auth?: Authenticator;
  /** The people and their tokens (`/v1/users`); without it the API knows the bootstrap token only. */
  users?: UsersStore;
  /** Failed authentications a client may make per minute before 429 (DEVCREW_AUTH_FAILURES_PER_MINUTE). */
  authFailuresPerMinute?: number;
  /** Where a run can be seen in the Temporal Web UI, e.g. http://127.0.0.1:8233. */
  webUiUrl?: string;
  namespace: string;
  log?: (message: string) => void;
  /** The API's own Prometheus metrics, served on `/metrics`. */
  metrics?: ApiMetrics;
  /** Alertmanager's webhook (`POST /v1/alerts`). */
  alerts?: AlertReceiver;
  /** Prometheus's base URL when it runs beside the API (the dashboard's metric figures and alerts). */
  prometheusUrl?: () => string | undefined;
}

/** The dashboard's page and scripts, and Chart.js from node_modules: nothing is fetched from elsewhere. */
const DASHBOARD_FILES: Record<string, { file: string; type: string }> = {
  '/dashboard': { file: path.join(__dirname, 'dashboard-page', 'index.html'), type: 'text/html' },
  '/dashboard/dashboard.js': {
    file: path.join(__dirname, 'dashboard-page', 'dashboard.js'),
    type: 'text/javascript',
  },
  '/dashboard/dashboard.css': {
    file: path.join(__dirname, 'dashboard-page', 'dashboard.css'),
    type: 'text/css',
  },
  '/dashboard/chart.js': {
    file: path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'),
    type: 'text/javascript',
  },
};

const RUN_STATUSES = ['running', 'awaiting_approval', 'completed', 'failed', 'cancelled', 'rejected'];

/**
 * The devcrew HTTP API (described at `/openapi.json`): start runs, follow them, decide gates, cancel.
 * Every error is `{ error: { code, message, problems? } }` without a stack trace.
 */
export function createApp(options: AppOptions): express.Express {
  const app = express();
  const log = options.log ?? ((m: string) => process.stderr.write(`devcrew api: ${m}\n`));
  const authenticate =
    options.auth ?? authenticator({ users: options.users ?? noUsers, bootstrapToken: options.token });
  const may = httpAuth({ auth: authenticate, failuresPerMinute: options.authFailuresPerMinute ?? 20, log });
  const links = (runId: string) => ({
    self: `/v1/runs/${encodeURIComponent(runId)}`,
    ...(options.webUiUrl
      ? {
          web_ui: `${options.webUiUrl}/namespaces/${options.namespace}/workflows/${encodeURIComponent(runId)}`,
        }
      : {}),
  });

  app.disable('x-powered-by');
  if (options.metrics) app.use(options.metrics.middleware);
  app.use(express.json({ limit: '1mb' }));

  if (options.metrics) {
    const { registry } = options.metrics;
    app.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }
  for (const [route, { file, type }] of Object.entries(DASHBOARD_FILES)) {
    app.get(route, (_req, res) => {
      res.type(type).sendFile(file);
    });
  }
  app.get('/v1/dashboard', may('read'), async (_req, res) => {
    res.json(
      await dashboardData({
        runs: options.runs,
        rollout: options.rollout,
        namespace: options.namespace,
        ...(options.webUiUrl ? { webUiUrl: options.webUiUrl } : {}),
        prometheusUrl: options.prometheusUrl?.(),
        ...(options.alerts ? { notifiedAlerts: options.alerts.recent } : {}),
      }),
    );
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await options.readiness();
    const ready = checks.every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  app.get('/v1/me', may('read'), (req, res) => {
    res.json({ actor: req.actor ?? null });
  });

  app.post('/v1/runs', may('start'), async (req, res) => {
    const body = parseBody(StartRunRequest, req.body);
    const { run_id, mode } = await options.runs.start(body, actorOf(req));
    res
      .status(202)
      .location(links(run_id).self)
      .json({ run_id, mode, links: links(run_id) });
  });
  app.get('/v1/runs', may('read'), async (req, res) => {
    const status = typeof req.query.status === 'string' ? req.query.status : undefined;
    if (status && !RUN_STATUSES.includes(status)) {
      throw new HttpError(
        'INVALID_REQUEST',
        `unknown status "${status}"; use one of ${RUN_STATUSES.join(', ')}`,
      );
    }
    const mode = typeof req.query.mode === 'string' ? req.query.mode : undefined;
    if (mode !== undefined && !RunMode.safeParse(mode).success) {
      throw new HttpError(
        'INVALID_REQUEST',
        `unknown mode "${mode}"; use one of ${RunMode.options.join(', ')}`,
      );
    }
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 500);
    res.json({ runs: await options.runs.list({ status, mode: mode as RunMode | undefined, limit }) });
  });
  app.get('/v1/runs/:id', may('read'), async (req, res) => {
    const run = await options.runs.get(param(req, 'id'));
    res.json({ ...run, links: links(param(req, 'id')) });
  });
  app.get('/v1/runs/:id/events', may('read'), async (req, res) => {
    const id = param(req, 'id');
    const raw = req.get('last-event-id') ?? (typeof req.query.after === 'string' ? req.query.after : '0');
    const after = Number(raw);
    if (!Number.isInteger(after) || after < 0) {
      throw new HttpError(
        'INVALID_REQUEST',
        `Last-Event-ID (or ?after=) must be an event seq (a whole number >= 0), not "${raw}"`,
      );
    }
    await options.runs.get(id); // a 404 before the stream starts
    const stop = new AbortController();
    res.on('close', () => stop.abort());
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 1000\n\n`);
    // A comment now and then keeps proxies from closing a quiet stream.
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    try {
      for await (const event of options.runs.events(id, { after, signal: stop.signal })) {
        res.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      }
    } catch (err) {
      if (!stop.signal.aborted) {
        const known = toHttpError(err);
        res.write(
          `event: error\ndata: ${JSON.stringify({ code: known?.code ?? 'INTERNAL', message: known?.message ?? 'the event stream failed; see the server log' })}\n\n`,
        );
        if (!known) log(`event stream of ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    } finally {
      clearInterval(keepAlive);
      res.end();
    }
  });
  app.post('/v1/runs/:id/approvals/:gate_id', may('decide'), async (req, res) => {
    // The decision is the authenticated caller's; an "approver" in the body is ignored.
    const decision = parseBody(GateDecisionRequest, req.body);
    const outcome = await options.runs.decide(
      param(req, 'id'),
      param(req, 'gate_id'),
      decision,
      actorOf(req),
    );
    // 202: no worker could apply it now; the decision is recorded and applied when the workers return.
    res.status('status' in outcome ? 202 : 200).json(outcome);
  });
  app.post('/v1/runs/:id/cancel', may('cancel'), async (req, res) => {
    await options.runs.cancel(param(req, 'id'), actorOf(req));
    res.status(202).json({ run_id: param(req, 'id'), status: 'cancelling', links: links(param(req, 'id')) });
  });
  // A person's rating of an ended run, under their own name: read by the rollout's analysis (1-2 is a complaint).
  app.post('/v1/runs/:id/feedback', may('rate'), async (req, res) => {
    const feedback = parseBody(FeedbackRequest, req.body);
    const rating = await rateRun(options, param(req, 'id'), feedback, actorOf(req));
    res.status(202).json({ rating, complaint: rating.rating <= 2 });
  });
  app.get('/v1/runs/:id/artifacts', may('read'), async (req, res) => {
    res.json(await options.runs.artifacts(param(req, 'id')));
  });

  // The rollout: which share of `auto` runs goes to the crew; changes need an operator and a reason.
  app.get('/v1/rollout', may('read'), async (_req, res) => {
    res.json(await options.rollout.view());
  });
  app.put('/v1/rollout', may('rollout'), async (req, res) => {
    const change = parseBody(RolloutChange, req.body);
    res.json({ state: await options.rollout.change({ ...change, ...signedBy(actorOf(req)) }) });
  });
  app.post('/v1/rollout/rollback', may('rollout'), async (req, res) => {
    const request = parseBody(RollbackRequest, req.body);
    const { applied, state } = await options.rollout.rollback({ ...request, ...signedBy(actorOf(req)) });
    res.status(applied ? 200 : 202).json({
      applied,
      state,
      ...(applied ? {} : { message: 'recorded; applied when a runs worker is back' }),
    });
  });

  // Alertmanager's webhook: a firing crew failure-rate alert rolls the rollout back.
  app.post('/v1/alerts', may('alerts'), async (req, res) => {
    if (!options.alerts) throw new HttpError('NOT_FOUND', 'this API has no alert receiver');
    const payload = parseBody(AlertmanagerWebhook, req.body);
    res.json({ actions: await options.alerts.receive(payload, actorOf(req)) });
  });

  // People and their tokens: admins only. A token is shown once, in the answer to POST.
  const users = () => {
    if (!options.users) throw new HttpError('NOT_FOUND', 'this API keeps no users; see devcrew users');
    return options.users;
  };
  app.get('/v1/users', may('users'), async (_req, res) => {
    res.json({ users: await users().list() });
  });
  app.post('/v1/users', may('users'), async (req, res) => {
    const request = parseBody(AddUserRequest, req.body);
    const { token, user } = await users().add(request, actorOf(req));
    res.status(201).json({ token, user });
  });
  app.delete('/v1/users/:name', may('users'), async (req, res) => {
    const name = UserName.safeParse(param(req, 'name'));
    if (!name.success)
      throw new HttpError('INVALID_REQUEST', zodErrorText(name.error, { style: 'one line' }));
    res.json({ user: await users().revoke(name.data, actorOf(req)) });
  });

  app.use(notFound);
  app.use(errorHandler(log));
  return app;
}

/** Who made a rollout change, from the credential (never from the body). */
const signedBy = (actor: Actor) => ({ by: actor.name, credential_id: actor.credential_id });

/** Without a users file: nobody but the bootstrap token. */
const noUsers: UsersStore = {
  configured: async () => false,
  list: async () => [],
  audit: async () => [],
  add: async () => {
    throw new HttpError('NOT_FOUND', 'this API keeps no users');
  },
  revoke: async () => {
    throw new HttpError('NOT_FOUND', 'this API keeps no users');
  },
  verify: async () => ({ refused: 'unknown token' }),
};

function param(req: Request, name: string): string {
  return String(req.params[name]);
}
