import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { flake8Severity, parseBandit, parseFlake8, parseMypy } from '../../activities/reports/build-findings';
import { parseJunit, testReport } from '../../activities/reports/junit';
import { TestReport } from '../../contracts';
import { baseImageTag } from '../../runtime/provision';

/** Real tool output: the tools run in the sandbox base image over a small, deliberately flawed project. */
function inImage(script: string): string {
  return execFileSync('docker', ['run', '--rm', '--network', 'none', baseImageTag(), 'sh', '-c', script], {
    encoding: 'utf8',
  });
}

const PROJECT = `mkdir -p /w/codes /w/tests && cd /w && touch codes/__init__.py tests/__init__.py
cat > codes/calc.py <<'PY'
import subprocess


def add(a, b):
    return a + b


def run(cmd: str) -> int:
    return subprocess.call(cmd, shell=True)
PY
cat > tests/test_calc.py <<'PY'
import pytest
from codes.calc import add


def test_add() -> None:
    assert add(1, 2) == 3


def test_add_wrong() -> None:
    assert add(1, 1) == 3, "one and one & <more>"


@pytest.mark.skip(reason="later")
def test_later() -> None:
    pass
PY
`;

test('flake8, mypy --strict and bandit output become structured findings with paths and lines', () => {
  const out = inImage(
    `${PROJECT} echo '=== flake8'; flake8 . ; echo '=== mypy'; mypy --strict --show-column-numbers --no-color-output --no-error-summary . ; echo '=== bandit'; bandit -q -r . -x ./tests -f json; true`,
  );
  const [, flake8 = '', mypy = '', bandit = ''] = out.split(/^=== \w+$/m);
  assert.deepEqual(parseFlake8(flake8), [], 'this file is flake8-clean');
  const typing = parseMypy(mypy);
  assert.ok(typing.length >= 1, mypy);
  assert.deepEqual(
    { tool: typing[0]!.tool, path: typing[0]!.path, line: typing[0]!.line, code: typing[0]!.code },
    { tool: 'mypy', path: 'codes/calc.py', line: 4, code: 'no-untyped-def' },
  );
  const security = parseBandit(bandit);
  assert.ok(
    security.some(
      (f) => f.code === 'B602' && f.path === 'codes/calc.py' && f.line === 9 && f.severity === 'error',
    ),
    JSON.stringify(security),
  );
  assert.ok(
    security.every((f) => !f.path.startsWith('tests/')),
    'tests are not security-scanned',
  );
});

test('flake8 style problems are parsed with their rule ids', () => {
  const findings = parseFlake8(
    "./codes/a.py:3:80: E501 line too long (99 > 79 characters)\n./codes/a.py:1:1: F401 'os' imported but unused\n",
  );
  assert.deepEqual(
    findings.map((f) => `${f.path}:${f.line}:${f.column} ${f.code} ${f.severity}`),
    ['codes/a.py:3:80 E501 warning', 'codes/a.py:1:1 F401 error'],
    'layout is a warning, what pyflakes finds an error',
  );
  assert.deepEqual(['E302', 'W291', 'E711', 'E999', 'F821', 'C901'].map(flake8Severity), [
    'warning',
    'warning',
    'error',
    'error',
    'error',
    'error',
  ]);
});

test("pytest's JUnit XML and Cobertura coverage XML become a TestReport with failing messages", () => {
  const out = inImage(
    `${PROJECT} python3 -m pytest -q --cov=codes --cov-report=xml:/tmp/cov.xml --junitxml=/tmp/j.xml tests >/dev/null 2>&1; cat /tmp/j.xml; echo; echo '=== cov'; cat /tmp/cov.xml`,
  );
  const [xml = '', cov = ''] = out.split(/^=== cov$/m);
  const cases = parseJunit(xml);
  const report = testReport(cases, 0.5, cov);
  assert.ok(TestReport.safeParse(report).success);
  assert.deepEqual(report.summary, { passed: 1, failed: 1, skipped: 1, errors: 0, duration_s: 0.5 });
  const failed = report.cases.find((c) => c.status === 'failed')!;
  assert.equal(failed.name, 'test_add_wrong');
  assert.equal(failed.classname, 'tests.test_calc');
  assert.match(failed.message ?? '', /one and one & <more>/, 'XML entities are decoded');
  assert.ok(report.coverage_percent !== null && report.coverage_percent > 0 && report.coverage_percent < 100);
});

test("a test file that does not parse is an error whose message shows pytest's SyntaxError and its line", () => {
  const xml = inImage(
    `mkdir -p /w/codes /w/tests && cd /w && touch codes/__init__.py tests/__init__.py
cat > tests/test_broken.py <<'PY'
def test_one() -> None:
    assert 1 == 1


tests: 4 passed, 2 failed, 0 errors (reports/x/test_report.json).
PY
python3 -m pytest -q --junitxml=/tmp/j.xml tests >/dev/null 2>&1; cat /tmp/j.xml`,
  );
  const [error, ...rest] = parseJunit(xml);
  assert.equal(rest.length, 0);
  assert.equal(error!.status, 'error');
  assert.match(error!.message ?? '', /^collection failure\n/);
  assert.match(error!.message ?? '', /SyntaxError/);
  assert.match(error!.message ?? '', /test_broken\.py", line 5|test_broken\.py:5/);
});
