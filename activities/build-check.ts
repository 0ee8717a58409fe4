import { log } from '@temporalio/activity';
import { NO_USAGE, type AgentStepResult, type BuildReport, type Finding, type ToolRun } from '../contracts';
import type { ActivityDeps } from './deps';
import type { StepInput } from './types';
import { converting } from './failures';
import { provenance, toolStep } from './provenance';
import { parseBanditReport, parseFlake8, parseMypy } from './reports/build-findings';
import { runSandboxJob } from './sandbox-job';
import { readFiles } from './workspace';
import { autofix, type AutoFix } from './autofix';
import type { CommandResult } from '../sandbox/types';

/** The build checker's agent_version, recorded in provenance. */
const CHECKER_VERSION = 'build-checker@2';
const AUTOFIX_VERSION = 'autofix@3';

const TOOLS = ['flake8', 'mypy', 'bandit'] as const;

/** The code of a finding that says a tool itself failed: never a pass. */
export const TOOL_ERROR = 'TOOL_ERROR';

/**
 * The Coder's build checks, run in the sandbox over the files of the task's commit: flake8,
 * `mypy --strict` and bandit, parsed into findings; the BuildReport is committed beside the code.
 */
export function createBuildCheck(deps: ActivityDeps) {
  return {
    async checkBuild(input: StepInput): Promise<AgentStepResult> {
      return converting(async () => {
        let files = await readFiles(deps.artifacts, input.base.commit, () => true, 5_000_000);
        const started = Date.now();
        let { findings, tools } = await check(deps, input, files);
        // Findings with one right answer are repaired here, without model time, and checked again (a
        // second pass takes what the first one's repairs bring to light, e.g. a value now typed Any).
        let base = input.base.commit;
        const autofixed: AutoFix[] = [];
        for (let pass = 0; pass < 2; pass++) {
          const repaired = autofix(files, findings);
          if (!repaired.fixes.length) break;
          autofixed.push(...repaired.fixes);
          base = (
            await deps.artifacts.commit({
              parent: base,
              subject: `Autofix ${input.task.id}: ${repaired.fixes.length} finding(s) (${[...new Set(repaired.fixes.map((f) => f.code))].join(', ')})`,
              metadata: provenance(input.run_id, input.task.id, toolStep('coder', AUTOFIX_VERSION, base)),
              files: repaired.files,
            })
          ).commit;
          const fixed = new Map(repaired.files.map((f) => [f.path, f]));
          files = files.map((f) => fixed.get(f.path) ?? f);
          ({ findings, tools } = await check(deps, input, files));
        }
        const passed = !findings.some((f) => f.severity === 'error');
        for (const tool of TOOLS)
          deps.metrics?.buildFindings(tool, findings.filter((f) => f.tool === tool).length);
        for (const f of findings)
          if (f.tool === 'bandit' && f.code !== TOOL_ERROR)
            deps.metrics?.securityFindings(banditSeverity(f), 1);
        const report: BuildReport = {
          task_id: input.task.id,
          passed,
          tools,
          findings,
          ...(autofixed.length ? { autofixed } : {}),
        };
        const reportPath = `reports/${input.task.id}/build_report.json`;
        const ref = await deps.artifacts.commit({
          parent: base,
          subject: `Build checks of ${input.task.id}: ${passed ? 'clean' : `${findings.length} finding(s)`}`,
          metadata: provenance(input.run_id, input.task.id, toolStep('coder', CHECKER_VERSION, base)),
          files: [{ path: reportPath, content: `${JSON.stringify(report, null, 2)}\n` }],
        });
        log.info('build checked', {
          task: input.task.id,
          passed,
          findings: findings.length,
          ms: Date.now() - started,
        });
        const errors = findings.filter((f) => f.severity === 'error');
        return {
          ref,
          usage: NO_USAGE,
          passed,
          report_path: reportPath,
          findings: errors.slice(0, 20),
          finding_counts: { errors: errors.length, warnings: findings.length - errors.length },
          summary: passed
            ? `flake8, mypy --strict and bandit clean${findings.length ? ` (${findings.length} warning(s))` : ''}`
            : `${findings.filter((f) => f.severity === 'error').length} error(s): ${findings
                .filter((f) => f.severity === 'error')
                .slice(0, 3)
                .map((f) =>
                  f.code === TOOL_ERROR
                    ? `${f.tool} did not run to completion`
                    : `${f.tool} ${f.code} ${f.path}:${f.line}`,
                )
                .join('; ')}`,
        };
      });
    },
  };
}

/** flake8, mypy and bandit over the files in one sandbox job, each tool's run read honestly. */
async function check(
  deps: ActivityDeps,
  input: StepInput,
  files: { path: string; content: string }[],
): Promise<{ findings: Finding[]; tools: ToolRun[] }> {
  const result = await runSandboxJob(deps, {
    files,
    labels: { runId: input.run_id, taskId: input.task.id },
    limits: { timeoutSeconds: Math.min(input.task.timeout_seconds, 300) },
    commands: [
      { cmd: 'flake8 .' },
      {
        // The project root is the package base: codes/x.py is codes.x whether or not the model wrote
        // an __init__.py (without it, mypy sees the file twice and stops with exit 2). A library the
        // sandbox has without type stubs (pandas, numpy's older releases) is typed Any, not an error: the
        // code is held to --strict, the libraries it may use are not.
        cmd: 'mypy --strict --ignore-missing-imports --explicit-package-bases --show-column-numbers --no-color-output --no-error-summary .',
      },
      { cmd: 'bandit -q -r . -x ./tests -f json' },
    ],
  });
  const findings: Finding[] = [];
  const tools: ToolRun[] = [];
  TOOLS.forEach((tool, i) => {
    const run = result.commands[i];
    tools.push({
      tool,
      exit_code: run?.exitCode ?? null,
      status: run?.status ?? 'sandbox_error',
      duration_ms: run?.durationMs ?? 0,
    });
    findings.push(...verdictOf(tool, run).map((f) => completeness(judgedByRunning(f), input.strict_types)));
  });
  return { findings, tools };
}

/**
 * A type error inside a test file is reported as a warning: the test is judged by running it, where the
 * same mistake (an attribute the code does not define, a wrong argument) fails with the runtime error and
 * the failing line, which the Debugger can act on. Code under test stays held to `mypy --strict`.
 */
export function judgedByRunning(f: Finding): Finding {
  if (f.tool !== 'mypy' || f.code === TOOL_ERROR || f.severity !== 'error') return f;
  if (!/^(\.\/)?tests\//.test(f.path)) return f;
  return { ...f, severity: 'warning', message: `${f.message} (in a test: judged by running it)` };
}

/**
 * What only `mypy --strict`'s completeness flags find: an annotation left out (disallow-untyped-defs,
 * -incomplete-defs), a call into untyped code, a generic without its parameters, Any returned where a
 * type is declared, a redundant cast or unused ignore, a subclass of an untyped class or an import not
 * re-exported explicitly. The code runs the same either way; mypy's other findings are about what it does.
 */
const STRICT_COMPLETENESS = new Set([
  'no-untyped-def',
  'no-untyped-call',
  'type-arg',
  'no-any-return',
  'untyped-decorator',
  'redundant-cast',
  'unused-ignore',
]);

/**
 * Under build_policy standard (the default), a completeness finding of `mypy --strict` is a warning: it
 * stays in the report and costs no fix round. Under strict (`strictTypes`) it stays an error.
 */
export function completeness(f: Finding, strictTypes = false): Finding {
  if (strictTypes || f.tool !== 'mypy' || f.severity !== 'error') return f;
  const only =
    STRICT_COMPLETENESS.has(f.code) ||
    /cannot subclass .* \(has type "Any"\)|does not explicitly export/.test(f.message);
  return only
    ? {
        ...f,
        severity: 'warning',
        message: `${f.message} (--strict completeness: an error under build_policy strict)`,
      }
    : f;
}

/** A bandit finding's own severity (parseBandit keeps it in the finding's severity and message). */
function banditSeverity(f: Finding): 'low' | 'medium' | 'high' {
  if (f.severity !== 'error') return 'low';
  return f.message.startsWith('[high severity]') ? 'high' : 'medium';
}

/**
 * What one tool's run says, honestly: its findings when it ran to completion and its output could be
 * read; otherwise one error finding with the tool's own output as evidence. A tool that crashed, was not
 * found, timed out, ran out of memory, or printed what cannot be parsed is never "clean".
 */
export function verdictOf(tool: (typeof TOOLS)[number], run: CommandResult | undefined): Finding[] {
  const failure = (why: string): Finding[] => [
    {
      tool,
      path: '',
      line: 0,
      code: TOOL_ERROR,
      severity: 'error',
      message: `${tool} ${why}${evidence(run)}`,
    },
  ];
  if (!run) return failure('did not run (the sandbox job ended before it)');
  if (run.status === 'timeout') return failure(`timed out after ${(run.durationMs / 1000).toFixed(0)} s`);
  if (run.status === 'oom') return failure('ran out of memory');
  if (run.status === 'output_limit') return failure('wrote more output than the sandbox keeps');
  if (run.exitCode === 127) return failure('was not found in the sandbox image');
  if (run.status !== 'ok' && run.status !== 'failed')
    return failure(`ended ${run.status} (exit ${String(run.exitCode)})`);
  switch (tool) {
    case 'flake8': {
      // 0: clean; 1: findings. Anything else, or 1 with nothing readable, is flake8 failing.
      const found = parseFlake8(run.stdout);
      if (run.exitCode === 0 && found.length === 0) return [];
      if (run.exitCode === 1 && found.length > 0) return found;
      return failure(`exited ${String(run.exitCode)} without findings it could read`);
    }
    case 'mypy': {
      // 0: no errors; 1: errors found; 2: mypy itself failed (bad options, crash).
      const found = parseMypy(run.stdout);
      if (run.exitCode === 0) return found;
      if (run.exitCode === 1 && found.some((f) => f.severity === 'error')) return found;
      return failure(`exited ${String(run.exitCode)} without errors it could read`);
    }
    case 'bandit': {
      // 0: nothing found; 1: issues found; both print the JSON report. 2: bandit failed.
      const report = parseBanditReport(run.stdout);
      if ((run.exitCode === 0 || run.exitCode === 1) && report) {
        if (report.errors.length > 0)
          return failure(`could not scan ${report.errors.map((e) => e.filename).join(', ')}`);
        return report.findings;
      }
      return failure(`exited ${String(run.exitCode)} without a JSON report`);
    }
  }
}

/** The tool's own output, trimmed to its end, where the cause usually is. */
function evidence(run: CommandResult | undefined): string {
  const out = `${run?.stdout ?? ''}\n${run?.stderr ?? ''}`.trim();
  return out ? `: ${out.length > 1500 ? `...${out.slice(-1500)}` : out}` : '';
}
