import { readEnv } from '../../core/config';
import fs from 'node:fs';
import { findOnPath } from '../../core/exec';
import { aptInstall } from './docker-engine';
import { ProvisionError } from '../../core/errors';
import type { Report } from '../../core/report';

/**
 * A Chromium for the browser checks of the Web UI: `CHROMIUM_PATH`, one on PATH, or Debian's package
 * installed as root. Playwright's own browser download cannot work offline, so it is never tried.
 */
export async function ensureChromium(report: Report): Promise<string> {
  const configured = readEnv().CHROMIUM_PATH;
  if (configured) {
    if (!fs.existsSync(configured)) throw new ProvisionError(`CHROMIUM_PATH=${configured} does not exist`);
    return configured;
  }
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = await findOnPath(name);
    if (found) {
      report(`Chromium: using ${found}`);
      return found;
    }
  }
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !fs.existsSync('/etc/debian_version')) {
    throw new ProvisionError(
      'no Chromium found; install one (Debian: `apt-get install chromium`) or set CHROMIUM_PATH',
    );
  }
  report("Chromium: installing Debian's chromium");
  await aptInstall(['chromium']);
  const installed = await findOnPath('chromium');
  if (!installed) throw new ProvisionError('apt-get installed chromium but no `chromium` is on PATH');
  return installed;
}
