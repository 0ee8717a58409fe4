import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createEchoActivities } from '../fixtures/echo-activities';
import { echoWorkflow } from '../fixtures/echo-workflow';
import { launchBrowser } from '../support/browser';
import { startTestServer, TEST_ENV, testEnvironment, uniqueTaskQueue } from '../support/env';
import { freePort } from '../support/ports';

let env: TestWorkflowEnvironment;
let webUi: string;
before(async () => {
  if (process.env[TEST_ENV.webUiUrl]) {
    env = await testEnvironment();
    webUi = process.env[TEST_ENV.webUiUrl]!;
  } else {
    const uiPort = await freePort();
    env = await startTestServer({ uiPort });
    webUi = `http://127.0.0.1:${uiPort}`;
  }
});
after(async () => env?.teardown());

test(
  'a finished run shows its id and status in the Temporal Web UI, seen in headless Chromium',
  { timeout: 120_000 },
  async () => {
    const taskQueue = uniqueTaskQueue('webui');
    const workflowId = `webui-${taskQueue}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/echo-workflow'),
      activities: createEchoActivities(),
    });
    await worker.runUntil(
      env.client.workflow.execute(echoWorkflow, { taskQueue, workflowId, args: [{ text: 'ui' }] }),
    );

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${webUi}/namespaces/default/workflows/${workflowId}`, {
        waitUntil: 'domcontentloaded',
      });
      await page.getByText(workflowId).first().waitFor({ timeout: 60_000 });
      await page.getByText('Completed').first().waitFor({ timeout: 30_000 });
      const body = await page.textContent('body');
      assert.ok(body?.includes(workflowId));
      assert.match(body ?? '', /Completed/);
    } finally {
      await browser.close();
    }
  },
);
