import { ApplicationFailure } from '@temporalio/common';
import { NO_USAGE, type AgentStepInput, type AgentStepResult } from '../contracts';
import type { SandboxCommand } from '../sandbox/types';
import type { ActivityDeps } from './deps';
import { converting } from './failures';
import { provenance, toolStep } from './provenance';
import { parseJunit, testReport } from './reports/junit';
import { runSandboxJob } from './sandbox-job';
import { isPython, readFiles } from './workspace';

const RESULTS = '.devcrew-results';

/** The Tester's agent_version, recorded in provenance. */
const TESTER_VERSION = 'tester@1';

/**
 * The Tester: the task's acceptance tests in the sandbox over the files of the task's commit, JUnit and
 * coverage read back into a TestReport, committed as `reports/{task}/test_report.json`.
 */
export function createTester(deps: ActivityDeps) {
  return {
    async runTests(input: AgentStepInput): Promise<AgentStepResult> {
      return converting(async () => {
        const files = await readFiles(deps.artifacts, input.base.commit, () => true, 5_000_000);
        const given = input.task.acceptance_criteria.tests;
        const tests =
          given.length > 0
            ? given
            : files.some((f) => isPython(f.path) && f.path.startsWith('tests/'))
              ? [{ cmd: 'pytest -q', timeout_seconds: 300 }]
              : [];
        const commands: SandboxCommand[] = [{ cmd: `mkdir -p ${RESULTS}` }];
        tests.forEach((t, i) =>
          commands.push({ cmd: instrument(t.cmd, i), timeoutSeconds: t.timeout_seconds }),
        );
        const result = await runSandboxJob(deps.sandbox, {
          files,
          commands,
          labels: { runId: input.run_id, taskId: input.task.id },
          collect: tests.flatMap((_, i) => [`${RESULTS}/junit-${i}.xml`, `${RESULTS}/coverage-${i}.xml`]),
        });
        const collected = new Map(result.files.map((f) => [f.path, f.content.toString('utf8')]));
        const runs = result.commands.slice(1);
        const timedOut = runs.find((r) => r.status === 'timeout');
        if (timedOut) {
          throw ApplicationFailure.create({
            type: 'SANDBOX_TIMEOUT',
            message: `[SANDBOX_TIMEOUT] "${String(timedOut.cmd)}" ran ${(timedOut.durationMs / 1000).toFixed(0)} s; raise the test's timeout_seconds or make it faster`,
            nonRetryable: true,
          });
        }
        const oom = runs.find((r) => r.status === 'oom');
        if (oom) {
          throw ApplicationFailure.create({
            type: 'SANDBOX_OOM',
            message: `[SANDBOX_OOM] "${String(oom.cmd)}" ran out of memory in the sandbox; make it use less or raise the memory limit`,
            nonRetryable: true,
          });
        }
        const cases = tests.flatMap((_, i) => parseJunit(collected.get(`${RESULTS}/junit-${i}.xml`) ?? ''));
        const coverage = tests.map((_, i) => collected.get(`${RESULTS}/coverage-${i}.xml`)).find(Boolean);
        const report = testReport(cases, runs.reduce((s, r) => s + r.durationMs, 0) / 1000, coverage);
        const commandsFailed = runs.filter((r) => r.status !== 'ok');
        if (commandsFailed.length > 0 && report.summary.failed + report.summary.errors === 0) {
          // A command failed without a failing test case (collection error, syntax error): say so.
          report.cases.push({
            name: String(commandsFailed[0]!.cmd),
            classname: 'acceptance',
            status: 'error',
            duration_s: commandsFailed[0]!.durationMs / 1000,
            message: `${commandsFailed[0]!.stdout}\n${commandsFailed[0]!.stderr}`.trim().slice(-2000),
          });
          report.summary.errors += 1;
        }
        const passed =
          commandsFailed.length === 0 && report.summary.failed === 0 && report.summary.errors === 0;
        const reportPath = `reports/${input.task.id}/test_report.json`;
        const ref = await deps.artifacts.commit({
          parent: input.base.commit,
          subject: `Tests of ${input.task.id}${input.round ? ` (round ${input.round})` : ''}: ${report.summary.passed} passed, ${report.summary.failed} failed`,
          metadata: provenance(
            input.run_id,
            input.task.id,
            toolStep('tester', TESTER_VERSION, input.base.commit),
          ),
          files: [{ path: reportPath, content: `${JSON.stringify(report, null, 2)}\n` }],
        });
        return {
          ref,
          usage: NO_USAGE,
          passed,
          report_path: reportPath,
          test_summary: report.summary,
          summary: `${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.errors} errors${report.coverage_percent !== null ? `, coverage ${report.coverage_percent}%` : ''}`,
        };
      });
    },
  };
}

/** pytest commands also write JUnit XML (and Cobertura coverage XML when --cov is asked for). */
function instrument(cmd: string, i: number): string {
  if (!/^(python3? -m )?pytest\b/.test(cmd.trim())) return cmd;
  const cov = /--cov\b/.test(cmd) ? ` --cov-report=xml:${RESULTS}/coverage-${i}.xml` : '';
  return `${cmd} --junitxml=${RESULTS}/junit-${i}.xml${cov}`;
}
