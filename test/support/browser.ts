import { chromium, type Browser } from 'playwright-core';
import { ensureChromium } from '../../runtime/provision/chromium';
import { silentReport } from '../../core/report';
import { TEST_ENV } from './env';

/** Headless Debian Chromium driven by playwright-core (its own browser download cannot work offline). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env[TEST_ENV.chromium] || (await ensureChromium(silentReport));
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
