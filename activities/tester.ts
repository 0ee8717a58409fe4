import { NO_USAGE, type AgentStepResult, type TestCase } from '../contracts';
import { DevcrewError } from '../core/errors';
import { DEFAULT_LIMITS } from '../sandbox';
import type { CommandResult, SandboxCommand } from '../sandbox/types';
import type { ActivityDeps } from './deps';
import type { StepInput } from './types';
import { converting } from './failures';
import { provenance, toolStep } from './provenance';
import { parseJunit, testReport } from './reports/junit';
import { runSandboxJob } from './sandbox-job';
import { examplesTest } from './spec-examples';
import { CONTRADICTIONS_FILE, CONTRADICTIONS_SOURCE, contradictionNotes } from './test-contradictions';
import { TRAIL_PLUGIN, TRAIL_SOURCE, withTrails } from './test-trail';
import { isPython, readFiles } from './workspace';

const RESULTS = '.devcrew-results';

/** The Tester's agent_version, recorded in provenance. */
const TESTER_VERSION = 'tester@3';

/**
 * The Tester: the task's acceptance tests in the sandbox over the files of the task's commit, JUnit and
 * coverage read back into a TestReport, committed as `reports/{task}/test_report.json`.
 */
export function createTester(deps: ActivityDeps) {
  return {
    async runTests(input: StepInput): Promise<AgentStepResult> {
      return converting(async () => {
        let files = await readFiles(deps.artifacts, input.base.commit, () => true, 5_000_000);
        const given = input.task.acceptance_criteria.tests;
        // The crew's test designer without a model: the request's own examples, rewritten every time
        // from the request (a change the Coder or Debugger made to the file does not survive).
        const examples = input.spec_examples ? examplesTest(input.request, files) : undefined;
        if (examples)
          files = [
            ...files.filter((f) => f.path !== examples.path),
            { path: examples.path, content: examples.content },
          ];
        const covered = (cmd: string) =>
          /^(python3? -m )?pytest(\s+-\S+)*(\s+(\.\/)?tests\/?)?\s*$/.test(cmd.trim());
        const planned =
          given.length > 0
            ? given
            : files.some((f) => isPython(f.path) && f.path.startsWith('tests/'))
              ? [{ cmd: 'pytest -q', timeout_seconds: DEFAULT_LIMITS.timeoutSeconds }]
              : [];
        const tests =
          examples && !planned.some((t) => covered(t.cmd))
            ? [
                ...planned,
                { cmd: `pytest -q ${examples.path}`, timeout_seconds: DEFAULT_LIMITS.timeoutSeconds },
              ]
            : planned;
        if (tests.length === 0) {
          throw new DevcrewError(
            'NO_TESTS',
            `task ${input.task.id} has no acceptance tests and its files hold no tests/ to run, so nothing could pass`,
            'add acceptance tests to the plan (e.g. {"cmd": "pytest -q tests"}), or have the Coder write tests under tests/',
          );
        }
        const commands: SandboxCommand[] = [{ cmd: `mkdir -p ${RESULTS}` }];
        tests.forEach((t, i) =>
          commands.push({ cmd: instrument(t.cmd, i, input.evidence), timeoutSeconds: t.timeout_seconds }),
        );
        // The crew's Tester, after the tests and not one of them: which tests contradict each other.
        if (input.evidence)
          commands.push({ cmd: `python3 ${RESULTS}/${CHECK}.py ${RESULTS} tests`, timeoutSeconds: 60 });
        const result = await runSandboxJob(deps, {
          files: [
            ...files,
            { path: `${RESULTS}/${PLUGIN}.py`, content: PLUGIN_SOURCE },
            ...(input.evidence
              ? [
                  { path: `${RESULTS}/${CHECK}.py`, content: CONTRADICTIONS_SOURCE },
                  { path: `${RESULTS}/${TRAIL_PLUGIN}.py`, content: TRAIL_SOURCE },
                ]
              : []),
          ],
          commands,
          labels: { runId: input.run_id, taskId: input.task.id },
          collect: [
            ...tests.flatMap((_, i) => [
              `${RESULTS}/junit-${i}.xml`,
              `${RESULTS}/coverage-${i}.xml`,
              `${RESULTS}/trail-${i}.json`,
            ]),
            `${RESULTS}/${CONTRADICTIONS_FILE}`,
          ],
        });
        const collected = new Map(result.files.map((f) => [f.path, f.content.toString('utf8')]));
        const runs = result.commands.slice(1, 1 + tests.length);
        // The sandbox caps a command's time limit whatever the plan asks; the report says so.
        const notes = [
          ...contradictionNotes(collected.get(`${RESULTS}/${CONTRADICTIONS_FILE}`)),
          ...runs.flatMap((r, i) =>
            r.capped
              ? [
                  `"${tests[i]!.cmd}" asked for ${r.capped.asked} s; the sandbox caps a command at ${r.capped.applied} s (an operator raises the cap with DEVCREW_SANDBOX_MAX_TIMEOUT_SECONDS)`,
                ]
              : [],
          ),
        ];
        const cases = tests.flatMap((t, i) => {
          const run = runs[i];
          const junit = withTrails(
            parseJunit(collected.get(`${RESULTS}/junit-${i}.xml`) ?? ''),
            collected.get(`${RESULTS}/trail-${i}.json`),
          );
          return [...junit, ...commandCases(t.cmd, run, junit.length, i)];
        });
        const coverage = tests.map((_, i) => collected.get(`${RESULTS}/coverage-${i}.xml`)).find(Boolean);
        const report = testReport(cases, runs.reduce((s, r) => s + r.durationMs, 0) / 1000, coverage);
        if (report.coverage_percent !== null) deps.metrics?.coverage(report.coverage_percent / 100);
        report.notes = examples
          ? [
              ...notes,
              `${examples.count} example(s) from the request run as ${examples.path} (written from the request, not by a model)`,
            ]
          : notes;
        const ran = report.summary.passed + report.summary.failed + report.summary.errors;
        const passed =
          runs.length === tests.length &&
          runs.every((r) => r.status === 'ok') &&
          ran > 0 &&
          report.summary.failed === 0 &&
          report.summary.errors === 0;
        const reportPath = `reports/${input.task.id}/test_report.json`;
        const ref = await deps.artifacts.commit({
          parent: input.base.commit,
          subject: `Tests of ${input.task.id}${input.round ? ` (round ${input.round})` : ''}: ${report.summary.passed} passed, ${report.summary.failed} failed`,
          metadata: provenance(
            input.run_id,
            input.task.id,
            toolStep('tester', TESTER_VERSION, input.base.commit),
          ),
          files: [
            { path: reportPath, content: `${JSON.stringify(report, null, 2)}\n` },
            ...(examples ? [{ path: examples.path, content: examples.content }] : []),
          ],
        });
        return {
          ref,
          usage: NO_USAGE,
          passed,
          report_path: reportPath,
          test_summary: report.summary,
          test_outcomes: outcomesOf(report.cases),
          summary: `${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.errors} errors${report.coverage_percent !== null ? `, coverage ${report.coverage_percent}%` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`,
        };
      });
    },
  };
}

/** Each case's outcome by id, the run's way of counting a test once however many tasks ran it. */
function outcomesOf(cases: TestCase[]): Record<string, TestCase['status']> {
  const out: Record<string, TestCase['status']> = {};
  for (const c of cases.slice(0, MAX_OUTCOMES))
    out[c.classname ? `${c.classname}::${c.name}` : c.name] = c.status;
  return out;
}
/** Outcomes a step reports at most (its result travels in the history). */
const MAX_OUTCOMES = 500;

const isPytest = (cmd: string) => /^(python3? -m )?pytest\b/.test(cmd.trim());

/**
 * pytest commands also write JUnit XML (and Cobertura coverage XML when --cov is asked for), and load a
 * small plugin that names each test on stderr as it starts, so a test that hangs or eats memory can be
 * named after the sandbox killed it.
 */
function instrument(cmd: string, i: number, trail = false): string {
  if (!isPytest(cmd)) return cmd;
  const cov = /--cov\b/.test(cmd) ? ` --cov-report=xml:${RESULTS}/coverage-${i}.xml` : '';
  // The crew's Tester also records a failing test's trail through codes/ (test-trail.ts).
  const traced = trail ? `DEVCREW_TRAIL=${RESULTS}/trail-${i}.json ` : '';
  const plugins = trail ? ` -p ${PLUGIN} -p ${TRAIL_PLUGIN}` : ` -p ${PLUGIN}`;
  return `${traced}PYTHONPATH=${RESULTS}\${PYTHONPATH:+:$PYTHONPATH} ${cmd.trim()}${plugins} --junitxml=${RESULTS}/junit-${i}.xml${cov}`;
}

const PLUGIN = 'devcrew_progress';
const CHECK = 'devcrew_contradictions';
const STARTED = '[devcrew] started ';
const PLUGIN_SOURCE = `import sys


def pytest_runtest_logstart(nodeid, location):
    sys.stderr.write(${JSON.stringify(STARTED)} + nodeid + "\\n")
    sys.stderr.flush()
`;

/**
 * The cases a command adds beyond its JUnit report: for a command that is not pytest, the command
 * itself is the check; a command that timed out, ran out of memory or was killed is a failure with its
 * evidence (which test, how long, the limit), for the Debugger like any other; one that never ran is
 * an error; pytest that failed without a failing case (collection error, no tests) says why.
 */
function commandCases(
  cmd: string,
  run: CommandResult | undefined,
  junitCases: number,
  i: number,
): TestCase[] {
  const name = cmd;
  const classname = `acceptance[${i}]`;
  const tail = (r: CommandResult) =>
    `${r.stdout}\n${r.stderr.replace(/^\[devcrew\] started .*\n?/gm, '')}`.trim().slice(-2000);
  if (!run) {
    return [
      {
        name,
        classname,
        status: 'error',
        duration_s: 0,
        message: 'did not run: the sandbox stopped at an earlier command that timed out or ran out of memory',
      },
    ];
  }
  const seconds = run.durationMs / 1000;
  const running = [...run.stderr.matchAll(/^\[devcrew\] started (.+)$/gm)].at(-1)?.[1];
  const where = running ? ` while ${running} was running` : '';
  if (run.status === 'timeout') {
    return [
      {
        name: running ?? name,
        classname,
        status: 'failed',
        duration_s: seconds,
        message: `[SANDBOX_TIMEOUT] "${cmd}" ran ${seconds.toFixed(0)} s, its limit${where}; an endless loop or a very slow test\n${tail(run)}`,
      },
    ];
  }
  if (run.status === 'oom') {
    return [
      {
        name: running ?? name,
        classname,
        status: 'failed',
        duration_s: seconds,
        message: `[SANDBOX_OOM] "${cmd}" ran out of memory (limit ${mib(run.evidence?.memory_limit_bytes ?? DEFAULT_LIMITS.memoryBytes)} MiB${run.evidence?.peak_memory_bytes ? `, peak ${mib(run.evidence.peak_memory_bytes)} MiB` : ''})${where}\n${tail(run)}`,
      },
    ];
  }
  if (run.status === 'killed') {
    return [
      {
        name: running ?? name,
        classname,
        status: 'failed',
        duration_s: seconds,
        message: `[KILLED] "${cmd}" was killed by SIGKILL (not out of memory, not its time limit)${where}\n${tail(run)}`,
      },
    ];
  }
  if (run.status !== 'ok' && run.status !== 'failed') {
    return [
      {
        name: running ?? name,
        classname,
        status: 'failed',
        duration_s: seconds,
        message: `"${cmd}" ended ${run.status} (exit ${String(run.exitCode)})${where}\n${tail(run)}`,
      },
    ];
  }
  if (!isPytest(cmd)) {
    return [
      {
        name,
        classname,
        status: run.status === 'ok' ? 'passed' : 'failed',
        duration_s: seconds,
        ...(run.status === 'ok' ? {} : { message: `exit ${String(run.exitCode)}\n${tail(run)}` }),
      },
    ];
  }
  if (run.status === 'failed' && junitCases === 0) {
    const why =
      run.exitCode === 5
        ? '[NO_TESTS] pytest collected no tests'
        : `pytest failed (exit ${String(run.exitCode)}) before any test ran`;
    return [{ name, classname, status: 'error', duration_s: seconds, message: `${why}\n${tail(run)}` }];
  }
  return [];
}

const mib = (bytes: number) => Math.round(bytes / 1024 ** 2);
