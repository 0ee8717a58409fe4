import { BuildReport, TestReport } from '../../contracts';
import { projectPath } from '../workspace';

/**
 * A report as a model reads it best: the build errors one per line with the line of code they name
 * (warnings left out), or the failing test cases with their messages; anything else as it is. A small
 * model given the whole JSON report tends to answer with its files unchanged.
 */
export function reportForModel(
  reportPath: string,
  text: string,
  files: { path: string; content: string }[],
): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return text;
  }
  const build = BuildReport.safeParse(json);
  if (build.success) {
    const errors = build.data.findings.filter((f) => f.severity === 'error');
    const lineOf = (path: string, line: number) =>
      files.find((f) => f.path === projectPath(path))?.content.split('\n')[line - 1];
    return [
      `Build errors to fix (${errors.length}; warnings not listed), from ${reportPath}:`,
      ...errors.map((f) => {
        const code = f.line ? lineOf(f.path, f.line) : undefined;
        return `- ${f.path || '(tool)'}${f.line ? ` line ${f.line}` : ''}: ${f.tool} ${f.code}: ${f.message.slice(0, 400)}${code !== undefined ? `\n    ${code.trim()}` : ''}`;
      }),
    ].join('\n');
  }
  const tests = TestReport.safeParse(json);
  if (tests.success) {
    const { summary, cases, notes } = tests.data;
    const failing = cases.filter((c) => c.status === 'failed' || c.status === 'error');
    return [
      `Tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.errors} errors (${reportPath}).`,
      ...notes.map((n) => `Note: ${n}`),
      ...failing.map(
        (c) =>
          `- ${c.status.toUpperCase()} ${c.classname ? `${c.classname}::` : ''}${c.name}:\n${(c.message ?? '(no message)').slice(0, 2500)}`,
      ),
    ].join('\n');
  }
  return text;
}
