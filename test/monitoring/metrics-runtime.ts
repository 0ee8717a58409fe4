/**
 * Imported first by the monitoring end-to-end test: this process's Temporal runtime serves Prometheus
 * metrics on a port of its own (test/support/env.ts would otherwise install one without metrics).
 */
import { execFileSync } from 'node:child_process';
import { readEnv } from '../../core/config';
import { installRuntime } from '../../core/telemetry';

const port = execFileSync(process.execPath, [
  '-e',
  "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
]).toString();
process.env.DEVCREW_METRICS_PORT = port;
export const telemetry = installRuntime(readEnv());
