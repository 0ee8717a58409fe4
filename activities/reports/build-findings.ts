import type { Finding } from '../../contracts';
import { projectPath as rel } from '../workspace';

/** flake8's default format: `path:line:col: CODE message`. */
export function parseFlake8(output: string): Finding[] {
  const out: Finding[] = [];
  for (const line of output.split('\n')) {
    const m = /^(.+?):(\d+):(\d+): ([A-Z]+\d+) (.*)$/.exec(line.trim());
    if (m) {
      out.push({
        tool: 'flake8',
        path: rel(m[1]!),
        line: Number(m[2]),
        column: Number(m[3]),
        code: m[4]!,
        severity: flake8Severity(m[4]!),
        message: m[5]!,
      });
    }
  }
  return out;
}

/**
 * Layout only (pycodestyle's indentation, whitespace, blank lines and line length: E1xx to E5xx, and
 * its W warnings) is a warning: it fails nothing and costs no fix round. What pyflakes finds (F: an
 * undefined name, an unused import), statements (E7xx) and syntax or I/O errors (E9xx) are errors.
 */
export function flake8Severity(code: string): 'error' | 'warning' {
  return /^(E[1-5]\d\d|W\d+)$/.test(code) ? 'warning' : 'error';
}

/** mypy with --show-column-numbers: `path:line:col: error: message  [code]` (notes are dropped). */
export function parseMypy(output: string): Finding[] {
  const out: Finding[] = [];
  for (const line of output.split('\n')) {
    const m = /^(.+?):(\d+):(?:(\d+):)? (error|warning): (.*?)(?:\s+\[([\w-]+)\])?$/.exec(line.trim());
    if (m) {
      out.push({
        tool: 'mypy',
        path: rel(m[1]!),
        line: Number(m[2]),
        ...(m[3] ? { column: Number(m[3]) } : {}),
        code: m[6] ?? 'mypy',
        severity: m[4] === 'error' ? 'error' : 'warning',
        message: m[5]!,
      });
    }
  }
  return out;
}

/** bandit -f json: low severity is a warning; medium and high fail the build. */
export function parseBandit(output: string): Finding[] {
  return parseBanditReport(output)?.findings ?? [];
}

/** bandit's JSON report: its findings and the files it could not scan; undefined when it is not JSON. */
export function parseBanditReport(
  output: string,
): { findings: Finding[]; errors: { filename: string; reason: string }[] } | undefined {
  let json: {
    results?: {
      filename: string;
      line_number: number;
      test_id: string;
      issue_severity: string;
      issue_text: string;
    }[];
    errors?: { filename: string; reason: string }[];
  };
  const start = output.indexOf('{');
  if (start < 0) return undefined;
  try {
    json = JSON.parse(output.slice(start)) as typeof json;
  } catch {
    return undefined;
  }
  if (!Array.isArray(json.results)) return undefined;
  return {
    errors: json.errors ?? [],
    findings: json.results.map((r) => ({
      tool: 'bandit' as const,
      path: rel(r.filename),
      line: r.line_number,
      code: r.test_id,
      // HIGH is kept apart in the message: the strict build policy names it.
      severity: r.issue_severity === 'LOW' ? ('warning' as const) : ('error' as const),
      message: r.issue_severity === 'HIGH' ? `[high severity] ${r.issue_text}` : r.issue_text,
    })),
  };
}
