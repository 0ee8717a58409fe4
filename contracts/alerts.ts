import { z } from 'zod';

/**
 * `POST /v1/alerts`: Alertmanager's webhook payload (version 4), as Alertmanager sends it. Only what
 * devcrew reads is checked strictly; Alertmanager's other fields pass through.
 */
export const AlertmanagerAlert = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()).refine((l) => typeof l.alertname === 'string', {
    message: 'every alert needs labels.alertname',
  }),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  fingerprint: z.string().optional(),
  generatorURL: z.string().optional(),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

export const AlertmanagerWebhook = z.looseObject({
  version: z.literal('4', { error: 'expected Alertmanager\'s webhook payload, version "4"' }),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
  externalURL: z.string().optional(),
  alerts: z.array(AlertmanagerAlert).min(1, 'alerts is empty; Alertmanager sends at least one'),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/** The alerts whose firing for `mode="crew"` rolls the rollout back (deploy/monitoring/rules.yml). */
export const ROLLBACK_ALERTS: readonly string[] = ['DevcrewRunFailureRateHigh', 'DevcrewRunComplaintsHigh'];

/** What devcrew did with one alert of a webhook call. */
export const AlertAction = z.strictObject({
  alertname: z.string(),
  status: z.enum(['firing', 'resolved']),
  action: z.enum(['rolled_back', 'rollback_recorded', 'already_rolled_back', 'noted']),
  detail: z.string(),
});
export type AlertAction = z.infer<typeof AlertAction>;

/** An alert as devcrew last heard of it (the dashboard's "alerts" when Prometheus does not run). */
export const NotifiedAlert = z.strictObject({
  alertname: z.string(),
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  summary: z.string(),
  starts_at: z.string().nullable(),
  received_at: z.string(),
});
export type NotifiedAlert = z.infer<typeof NotifiedAlert>;
