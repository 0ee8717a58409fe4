import type { MonitoringConfig } from '../../runtime/monitoring';

/**
 * The operators' configs in this directory (prometheus.yml, alertmanager.yml) are these settings run
 * through the same functions `devcrew up --monitoring` uses; test/monitoring/configs.test.ts keeps the
 * files and the code in step. Ports are devcrew's defaults on one host.
 */
export const OPERATOR_DEFAULTS: MonitoringConfig = {
  targets: {
    workers: ['127.0.0.1:9464'],
    api: '127.0.0.1:3000',
    temporal: '127.0.0.1:9465',
  },
  apiUrl: 'http://127.0.0.1:3000',
  tokenFile: '/etc/devcrew/api-token',
  alertmanager: '127.0.0.1:9093',
  rulesFile: 'rules.yml',
};
