import { z } from 'zod';
import {
  AddUserRequest,
  GateDecisionRequest,
  FeedbackRequest,
  RollbackRequest,
  AlertmanagerWebhook,
  RolloutChange,
  RolloutView,
  RunEvent,
  StartRunRequest,
} from '../contracts';

const schema = (s: z.ZodType) =>
  z.toJSONSchema(s, { io: 'input', target: 'openapi-3.0', unrepresentable: 'any' });

const ErrorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', example: 'INVALID_REQUEST' },
        message: { type: 'string' },
        problems: {
          type: 'array',
          items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};

const json = (s: object) => ({ content: { 'application/json': { schema: s } } });
const error = (description: string) => ({ description, ...json({ $ref: '#/components/schemas/Error' }) });
const runId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The run id (its workflow id).',
};
const secured = [{ bearer: [] }];

/** Every /v1 operation: a credential, a role that allows it, and the failed-auth limit. */
function withAuth(paths: Record<string, Record<string, Record<string, unknown>>>) {
  for (const [route, operations] of Object.entries(paths)) {
    if (!route.startsWith('/v1/')) continue;
    for (const op of Object.values(operations)) {
      op.security = secured;
      op.responses = {
        401: error('missing, unknown, revoked or expired credential'),
        403: error("the credential's role does not allow this (FORBIDDEN, or SELF_APPROVAL at a gate)"),
        429: error('too many failed authentications from this client; see Retry-After'),
        ...(op.responses as Record<string, unknown>),
      };
    }
  }
  return paths;
}

/** The OpenAPI 3.0 description of the API, built from the same zod contracts that check the bodies. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'devcrew',
      version: '1',
      description: 'Start devcrew runs, follow their progress, decide their approval gates, cancel them.',
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            "A person's token (devcrew users add), an identity provider's JWT, or DEVCREW_API_TOKEN (admin). Every /v1 endpoint needs one once anyone is configured; the role must allow the endpoint.",
        },
      },
      schemas: {
        Error: ErrorBody,
        StartRunRequest: schema(StartRunRequest),
        GateDecisionRequest: schema(GateDecisionRequest),
        RolloutChange: schema(RolloutChange),
        RunEvent: z.toJSONSchema(RunEvent, { io: 'output', target: 'openapi-3.0', unrepresentable: 'any' }),
        RollbackRequest: schema(RollbackRequest),
        AddUserRequest: schema(AddUserRequest),
        FeedbackRequest: schema(FeedbackRequest),
        AlertmanagerWebhook: schema(AlertmanagerWebhook),
        RolloutView: z.toJSONSchema(RolloutView, {
          io: 'output',
          target: 'openapi-3.0',
          unrepresentable: 'any',
        }),
      },
    },
    paths: withAuth({
      '/v1/me': {
        get: {
          summary: 'Who the credential is: `{ actor: { name, role, credential_id, via } }`',
          responses: {},
        },
      },
      '/v1/users': {
        get: {
          summary: 'The people, their roles and token status (never the tokens); admins only',
          responses: {},
        },
        post: {
          summary: 'Add a person: `{ name, role, expires_days? }`; the answer holds their token, shown once',
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/AddUserRequest' }) },
          responses: {
            201: { description: '`{ token, user }`' },
            409: error('the person has an active token'),
          },
        },
      },
      '/v1/users/{name}': {
        delete: {
          summary: "Revoke a person's token at once",
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: '`{ user }`' }, 404: error('no such user') },
        },
      },
      '/healthz': { get: { summary: 'The process is up', responses: { 200: { description: 'up' } } } },
      '/readyz': {
        get: {
          summary: 'Temporal answers, a worker polls every task queue, Docker answers',
          responses: {
            200: { description: 'ready' },
            503: { description: 'not ready; `checks` says what is missing' },
          },
        },
      },
      '/v1/runs': {
        post: {
          summary: 'Start a run from a request (planned first) or a ready TodoList',
          security: secured,
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/StartRunRequest' }) },
          responses: {
            202: {
              description:
                'started: `{ run_id, mode, links: { self, web_ui } }`; `options.mode` crew, single-agent or auto (the rollout decides)',
            },
            400: error('the body is invalid; every problem is listed'),
            401: error('missing or wrong bearer token'),
            413: error('the body is over 1 MB'),
          },
        },
        get: {
          summary: "List runs from Temporal's visibility",
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string' } },
            { name: 'mode', in: 'query', schema: { type: 'string', enum: ['crew', 'single-agent'] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
          ],
          responses: { 200: { description: '`{ runs: [...] }`' }, 400: error('unknown status or mode') },
        },
      },
      '/v1/runs/{id}': {
        get: {
          summary:
            'Progress (status, tasks, pending gates, usage; waiting_for while a step waits out model provider errors) and, once finished, the result',
          parameters: [runId],
          responses: { 200: { description: 'the run' }, 404: error('no such run') },
        },
      },
      '/v1/runs/{id}/events': {
        get: {
          summary:
            "The run's events as Server-Sent Events (`id` = seq): run_started, plan_ready, gate_opened, gate_decided, task_started, step_finished, task_finished, run_finished; the stream ends after run_finished",
          parameters: [
            runId,
            {
              name: 'Last-Event-ID',
              in: 'header',
              schema: { type: 'integer', minimum: 0 },
              description: 'Resume after this event (browsers send it when they reconnect)',
            },
            {
              name: 'after',
              in: 'query',
              schema: { type: 'integer', minimum: 0 },
              description: 'The same, as a query',
            },
          ],
          responses: {
            200: {
              description: 'text/event-stream of RunEvent',
              content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/RunEvent' } } },
            },
            400: error('Last-Event-ID is not a whole number'),
            404: error('no such run'),
          },
        },
      },
      '/v1/runs/{id}/approvals/{gate_id}': {
        post: {
          summary: 'Approve or reject a pending gate (a Temporal Update); returns its outcome',
          security: secured,
          parameters: [runId, { name: 'gate_id', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/GateDecisionRequest' }) },
          responses: {
            200: { description: 'the outcome' },
            202: {
              description:
                'no worker could apply it now: recorded (as a signal) and applied when the workers return; `{ gate_id, decision, status: "recorded", message }`',
            },
            400: error('invalid body'),
            401: error('missing or wrong bearer token'),
            404: error('no such run or gate'),
            409: error('the gate is not pending'),
          },
        },
      },
      '/v1/runs/{id}/cancel': {
        post: {
          summary: 'Cancel a run: its activities are cancelled, its sandbox containers removed',
          security: secured,
          parameters: [runId],
          responses: {
            202: { description: 'cancelling' },
            401: error('missing or wrong bearer token'),
            404: error('no such run'),
          },
        },
      },
      '/v1/runs/{id}/feedback': {
        post: {
          summary:
            "Rate an ended run 1-5 with an optional comment (1-2 is a complaint); one rating per person and run, a second replaces the first. The rollout's analysis reads them",
          security: secured,
          parameters: [runId],
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/FeedbackRequest' }) },
          responses: {
            202: {
              description: '`{ rating, complaint }`: recorded (kept by the server even with no worker up)',
            },
            400: error('a rating outside 1-5, or a comment too long'),
            401: error('missing or wrong bearer token'),
            404: error('no such run'),
            409: error('the run has not ended'),
          },
        },
      },
      '/v1/rollout': {
        get: {
          summary:
            "The rollout (share of `auto` runs sent to the crew, stages, audit) and both modes' figures",
          responses: {
            200: { description: 'the rollout', ...json({ $ref: '#/components/schemas/RolloutView' }) },
          },
        },
        put: {
          summary:
            'Change the rollout (enabled, percent, stages, auto_rollback, analysis); a reason is required',
          security: secured,
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/RolloutChange' }) },
          responses: {
            200: { description: '`{ state }`, the new state' },
            400: error('invalid change (percent outside 0-100, no reason, nothing to change)'),
            401: error('missing or wrong bearer token'),
            503: error('no runs worker applied the change in time; nothing changed'),
          },
        },
      },
      '/v1/rollout/rollback': {
        post: {
          summary:
            'Send every `auto` run to the single agent at once (percent 0); runs in flight keep their mode',
          security: secured,
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/RollbackRequest' }) },
          responses: {
            200: { description: '`{ applied: true, state }`' },
            202: { description: '`{ applied: false, state }`: recorded, applied when a runs worker is back' },
            400: error('no reason given'),
            401: error('missing or wrong bearer token'),
          },
        },
      },
      '/v1/alerts': {
        post: {
          summary:
            "Alertmanager's webhook: DevcrewRunFailureRateHigh firing for mode=crew rolls the rollout back to 0% with the alert as the reason; other alerts are noted for the dashboard",
          security: secured,
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/AlertmanagerWebhook' }) },
          responses: {
            200: { description: '`{ actions: [{ alertname, status, action, detail }] }`' },
            400: error('not an Alertmanager webhook payload (version "4")'),
            401: error('missing or wrong bearer token'),
          },
        },
      },
      '/v1/dashboard': {
        get: {
          summary:
            "What /dashboard draws: the rollout and both modes' figures, a 24 h timeline, the last runs, Prometheus's figures and alerts",
          responses: { 200: { description: 'the dashboard data' } },
        },
      },
      '/dashboard': {
        get: {
          summary: 'The dashboard page (HTML; charts by Chart.js served from /dashboard/chart.js)',
          responses: { 200: { description: 'HTML' } },
        },
      },
      '/metrics': {
        get: {
          summary:
            "The API's Prometheus metrics: requests by route, task queue pollers, the rollout percent, the daily budget",
          responses: { 200: { description: 'Prometheus text format' } },
        },
      },
      '/v1/runs/{id}/artifacts': {
        get: {
          summary: "The run's branches, commits and files in the artifact store",
          parameters: [runId],
          responses: { 200: { description: 'the artifacts' }, 404: error('no such run') },
        },
      },
    }),
  };
}
