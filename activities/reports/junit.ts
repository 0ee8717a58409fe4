import type { TestCase, TestReport } from '../../contracts';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) =>
    e.startsWith('#x') || e.startsWith('#X')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : (ENTITIES[e] ?? all),
  );

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]!] = decode(m[2]!);
  return out;
}

/**
 * pytest's JUnit XML (`--junitxml`) to test cases. A small reader for the one shape pytest writes:
 * `<testcase classname name time>` with an optional `<failure|error|skipped message>` child.
 */
export function parseJunit(xml: string): TestCase[] {
  const cases: TestCase[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = attributes(m[1]!);
    const body = m[3] ?? '';
    const outcome = /<(failure|error|skipped)\b([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    const status = outcome
      ? outcome[1] === 'failure'
        ? 'failed'
        : outcome[1] === 'error'
          ? 'error'
          : 'skipped'
      : 'passed';
    const said = outcome ? attributes(outcome[2]!).message : undefined;
    const text = decode(outcome?.[4] ?? '').trim();
    // A failure's message attribute holds the assertion; an error's ("collection failure") holds
    // nothing the Debugger can use, so its traceback's end (the SyntaxError and its line) goes with it.
    const message = !outcome
      ? undefined
      : said === undefined
        ? text.slice(0, 2000)
        : status === 'error' && text
          ? `${said}\n${text.slice(-1500)}`
          : said;
    cases.push({
      name: attrs.name ?? '(unnamed)',
      classname: attrs.classname ?? '',
      status,
      duration_s: Number(attrs.time ?? 0) || 0,
      ...(message ? { message } : {}),
    });
  }
  return cases;
}

/**
 * Totals from the cases (and the run's wall time), plus coverage from pytest-cov's Cobertura XML report
 * (`--cov-report=xml:...`; the pytest-cov that Debian ships has no JSON report).
 */
export function testReport(cases: TestCase[], durationS: number, coverageXml?: string): TestReport {
  const count = (s: TestCase['status']) => cases.filter((c) => c.status === s).length;
  const rate = coverageXml ? /<coverage\b[^>]*\bline-rate="([\d.]+)"/.exec(coverageXml)?.[1] : undefined;
  const coverage = rate === undefined ? null : Math.round(Number(rate) * 10_000) / 100;
  return {
    summary: {
      passed: count('passed'),
      failed: count('failed'),
      skipped: count('skipped'),
      errors: count('error'),
      duration_s: durationS,
    },
    cases,
    coverage_percent: coverage,
    notes: [],
  };
}
