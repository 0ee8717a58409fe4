import fs from 'node:fs';
import { findOnPath } from '../../core/exec';
import { ProvisionError } from '../../core/errors';
import type { Report } from '../../core/report';
import { aptInstall } from './docker-engine';

export interface MonitoringTools {
  prometheus: string;
  promtool: string;
  alertmanager: string;
}

async function find(): Promise<Partial<MonitoringTools>> {
  return {
    prometheus: await findOnPath('prometheus'),
    promtool: await findOnPath('promtool'),
    // Debian names the binary prometheus-alertmanager; upstream's tarball names it alertmanager.
    alertmanager: (await findOnPath('prometheus-alertmanager')) ?? (await findOnPath('alertmanager')),
  };
}

const complete = (t: Partial<MonitoringTools>): t is MonitoringTools =>
  Boolean(t.prometheus && t.promtool && t.alertmanager);

/**
 * Prometheus, promtool and Alertmanager for `devcrew up --monitoring` and the rule tests: found on PATH,
 * or Debian's `prometheus` and `prometheus-alertmanager` installed as root. Their systemd units are
 * never used; devcrew starts the binaries itself with configs in the state dir.
 */
export async function ensureMonitoringTools(report: Report): Promise<MonitoringTools> {
  let tools = await find();
  if (complete(tools)) {
    report(`monitoring: Prometheus ${tools.prometheus}, Alertmanager ${tools.alertmanager}`);
    return tools;
  }
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !fs.existsSync('/etc/debian_version')) {
    const missing = (['prometheus', 'promtool', 'alertmanager'] as const).filter((k) => !tools[k]);
    throw new ProvisionError(
      `${missing.join(', ')} not found on PATH; install Prometheus and Alertmanager ` +
        '(Debian: `apt-get install prometheus prometheus-alertmanager`; macOS: `brew install prometheus alertmanager`)',
    );
  }
  report("monitoring: installing Debian's prometheus and prometheus-alertmanager");
  await aptInstall(['prometheus', 'prometheus-alertmanager']);
  tools = await find();
  if (!complete(tools))
    throw new ProvisionError('apt-get installed prometheus but its binaries are not on PATH');
  return tools;
}
