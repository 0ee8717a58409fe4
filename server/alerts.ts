import {
  ROLLBACK_ALERTS,
  type Actor,
  type AlertAction,
  type AlertmanagerAlert,
  type AlertmanagerWebhook,
  type NotifiedAlert,
} from '../contracts';
import type { RolloutService } from './rollout-service';

/** How many notified alerts the API keeps for the dashboard. */
const KEPT = 100;

export interface AlertReceiver {
  /** Acts on one webhook call: a firing crew failure-rate alert rolls the rollout back. */
  receive(payload: AlertmanagerWebhook, by?: Actor): Promise<AlertAction[]>;
  /** The newest state of every alert heard of, newest first. */
  recent(): NotifiedAlert[];
}

/**
 * Alertmanager's webhook receiver (`POST /v1/alerts`). `DevcrewRunFailureRateHigh` firing for the crew
 * rolls the rollout back to 0% with the alert as the reason, once: while the rollout stays at 0% a
 * repeated notification changes nothing. Every other alert is noted for the dashboard.
 */
export function alertReceiver(rollout: RolloutService): AlertReceiver {
  const heard = new Map<string, NotifiedAlert>();
  const keyOf = (a: AlertmanagerAlert) =>
    a.fingerprint ??
    Object.entries(a.labels)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  return {
    async receive(payload, by) {
      const actions: AlertAction[] = [];
      let firingChanged = false;
      for (const alert of payload.alerts) {
        const alertname = alert.labels.alertname!;
        const summary = alert.annotations.summary ?? alert.annotations.description ?? '';
        heard.delete(keyOf(alert));
        heard.set(keyOf(alert), {
          alertname,
          status: alert.status,
          labels: alert.labels,
          summary,
          starts_at: alert.startsAt ?? null,
          received_at: new Date().toISOString(),
        });
        if (heard.size > KEPT) heard.delete(heard.keys().next().value!);
        firingChanged = true;
        if (
          alert.status !== 'firing' ||
          !ROLLBACK_ALERTS.includes(alertname) ||
          alert.labels.mode !== 'crew'
        ) {
          actions.push({ alertname, status: alert.status, action: 'noted', detail: 'no action needed' });
          continue;
        }
        const state = await rollout.state();
        if (!state.enabled || state.percent === 0) {
          actions.push({
            alertname,
            status: alert.status,
            action: 'already_rolled_back',
            detail: `the rollout already sends no auto run to the crew (${state.enabled ? '0%' : 'off'})`,
          });
          continue;
        }
        const { applied } = await rollout.rollback({
          reason: `alert ${alertname} firing: ${summary || 'crew failure rate above its line'}`,
          by: `alertmanager${payload.receiver ? ` (${payload.receiver})` : ''}${by ? ` as ${by.name}` : ''}`,
          ...(by ? { credential_id: by.credential_id } : {}),
        });
        actions.push({
          alertname,
          status: alert.status,
          action: applied ? 'rolled_back' : 'rollback_recorded',
          detail: applied
            ? `rollout rolled back from ${state.percent}% to 0%`
            : 'no runs worker answers; the rollback is recorded and applied when one is back',
        });
      }
      if (firingChanged) {
        // The rollout keeps what fires now, so a rollback's snapshot names it.
        const firing = [...heard.values()].filter((a) => a.status === 'firing').map((a) => a.alertname);
        await rollout.noteAlerts([...new Set(firing)]).catch(() => undefined);
      }
      return actions;
    },
    recent: () => [...heard.values()].reverse(),
  };
}
