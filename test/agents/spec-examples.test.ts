import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { testedByItsExamples } from '../../activities/plan-rule';
import { examplesOf, examplesTest } from '../../activities/spec-examples';
import { pathsFrom, readEnv } from '../../core/config';
import { problemRequest, readHumanEval } from '../../models/humaneval';
import { baseImageTag } from '../../runtime/provision';
import { ensureHumanEval } from '../../runtime/provision/humaneval';

// A request in HumanEval's shape (its problem 0's signature and examples), plus an example whose value
// is prose and one that is no call: neither may become a check.
const REQUEST = `HumanEval/0: write the Python function \`has_close_elements\` in codes/has_close_elements.py.
Its signature and docstring:

from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    """ Check if in given list of numbers, are any two numbers closer to each other than
    given threshold.
    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)
    False
    >>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)
    True
    >>> has_close_elements([], 1.0)
    no pair, so not close
    >>> x = 3
    """
`;

const RIGHT = `from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    return any(abs(a - b) < threshold
               for i, a in enumerate(numbers) for b in numbers[i + 1:])
`;
// Wrong on purpose: never finds a close pair.
const WRONG = `from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    return False
`;

/** pytest (and flake8) over the files in the sandbox image; the exit code and output. */
function pytest(files: { path: string; content: string }[]): { code: number; out: string } {
  const write = files.map((f) => `cat > ${f.path} <<'PY'\n${f.content}PY`).join('\n');
  const script = `mkdir -p /w/codes /w/tests && cd /w && touch codes/__init__.py tests/__init__.py\n${write}\nflake8 tests; echo "flake8 exit $?"; python3 -m pytest -q -rs tests/test_request_examples.py 2>&1; echo "pytest exit $?"`;
  const out = execFileSync(
    'docker',
    ['run', '--rm', '--network', 'none', baseImageTag(), 'sh', '-c', script],
    {
      encoding: 'utf8',
    },
  );
  return { code: Number(/pytest exit (\d+)/.exec(out)![1]), out };
}

test("the request's examples are read as doctest writes them; prose values and statements are not calls with values", () => {
  assert.deepEqual(examplesOf(REQUEST), [
    { call: 'has_close_elements([1.0, 2.0, 3.0], 0.5)', expected: 'False' },
    { call: 'has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)', expected: 'True' },
    { call: 'has_close_elements([], 1.0)', expected: 'no pair, so not close' },
  ]);
  assert.deepEqual(examplesOf('Write a function that reverses a string'), []);
  assert.equal(examplesTest('no examples here', [{ path: 'codes/x.py', content: RIGHT }]), undefined);
  assert.equal(
    examplesTest(REQUEST, [{ path: 'codes/other.py', content: 'def other() -> None:\n    pass\n' }]),
    undefined,
    'no file defines the function: nothing to import, no test',
  );
});

test('the examples run as pytest tests in the sandbox: right code passes, wrong code fails naming the call, prose is skipped', () => {
  const right = [{ path: 'codes/has_close_elements.py', content: RIGHT }];
  const file = examplesTest(REQUEST, right)!;
  assert.equal(file.path, 'tests/test_request_examples.py');
  assert.equal(file.count, 3);
  assert.match(file.content, /^from codes\.has_close_elements import has_close_elements$/m);

  const passing = pytest([...right, file]);
  assert.match(passing.out, /flake8 exit 0/, passing.out);
  assert.equal(passing.code, 0, passing.out);
  assert.match(passing.out, /2 passed, 1 skipped/);
  assert.match(passing.out, /not a Python literal/);

  const wrong = [{ path: 'codes/has_close_elements.py', content: WRONG }];
  const failing = pytest([...wrong, examplesTest(REQUEST, wrong)!]);
  assert.equal(failing.code, 1, failing.out);
  assert.match(failing.out, /1 failed, 1 passed, 1 skipped/);
  assert.match(
    failing.out,
    /has_close_elements\(\[1\.0, 2\.8, 3\.0, 4\.0, 5\.0, 2\.0\], 0\.3\) returned False; the request says True/,
  );
});

// HumanEval's later problems write their examples inline, in many ways; some of those lines are prose,
// a recurrence or an ambiguous value, and must not become checks.
const INLINE = `HumanEval/72: write the Python function \`will_it_fly\` in codes/will_it_fly.py.

def will_it_fly(q, w) -> None:
    '''
    Return True if the object q will fly.
    Example:
    will_it_fly([1, 2], 5) \u279e False
    will_it_fly([3, 2, 3], 1) ==> False
    for will_it_fly([3, 2, 3], 9) == True
    will_it_fly([3], 5) # returns True
    will_it_fly([3], 5.5) should return True.
    >>> will_it_fly([1, 2, 1], 4) == True
    will_it_fly(q, 4) => False
    will_it_fly([1], 0) = False
    will_it_fly([2, 2], 1) -> 2 + 2 = 4, too heavy
    will_it_fly([9], 1) ==> ("no")
    will_it_fly([2, 2], 5) => true
    will_it_fly([1, 2], 9) => false
    print([1, 2]) == [1, 2]
    '''
`;

test('inline examples: a call of the function the request defines, then ==, ==>, =>, ->, \u279e, returns or should return, then a literal (lowercase true and false too)', () => {
  assert.deepEqual(examplesOf(INLINE), [
    { call: 'will_it_fly([1, 2], 5)', expected: 'False' },
    { call: 'will_it_fly([3, 2, 3], 1)', expected: 'False' },
    { call: 'will_it_fly([3, 2, 3], 9)', expected: 'True' },
    { call: 'will_it_fly([3], 5)', expected: 'True' },
    { call: 'will_it_fly([3], 5.5)', expected: 'True' },
    { call: 'will_it_fly([1, 2, 1], 4)', expected: 'True' },
    // Lowercase, as HumanEval/76 writes them: read as Python's True and False.
    { call: 'will_it_fly([2, 2], 5)', expected: 'True' },
    { call: 'will_it_fly([1, 2], 9)', expected: 'False' },
  ]);
  // Left out: a variable argument, a recurrence's "=", arithmetic in prose, a parenthesised single value
  // (a string or a one-element tuple?), a call of a function the request does not
  // define, and the signature's own return annotation.
  assert.deepEqual(examplesOf("def f(x):\n    '''\n    f(1) == (1,)\n    '''\n"), [
    { call: 'f(1)', expected: '(1,)' },
  ]);
  assert.deepEqual(examplesOf("def g():\n    '''\n    g() => 'a' # because\n    g( => 2\n    '''\n"), [
    { call: 'g()', expected: "'a'" },
  ]);
  assert.equal(testedByItsExamples(INLINE), true);
});

test('inline examples run in the sandbox: the right code passes all eight, a wrong one fails naming the call', () => {
  const right = [
    {
      path: 'codes/will_it_fly.py',
      content: 'def will_it_fly(q, w):\n    return q == q[::-1] and sum(q) <= w\n',
    },
  ];
  const file = examplesTest(INLINE, right)!;
  assert.equal(file.count, 8);
  const passing = pytest([...right, file]);
  assert.match(passing.out, /flake8 exit 0/, passing.out);
  assert.equal(passing.code, 0, passing.out);
  assert.match(passing.out, /8 passed in/);
  const wrong = [
    { path: 'codes/will_it_fly.py', content: 'def will_it_fly(q, w):\n    return sum(q) <= w\n' },
  ];
  const failing = pytest([...wrong, examplesTest(INLINE, wrong)!]);
  assert.equal(failing.code, 1, failing.out);
  assert.match(failing.out, /will_it_fly\(\[1, 2\], 5\) returned True; the request says False/);
});

test("on HumanEval, the examples taken as tests agree with each problem's reference solution, but for two specifications that contradict it", async () => {
  const suite = readHumanEval(await ensureHumanEval(pathsFrom(readEnv()).cacheDir, () => undefined));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-examples-'));
  try {
    let tested = 0;
    for (const p of suite) {
      const request = problemRequest(p);
      const n = p.task_id.split('/')[1]!;
      const code = { path: `codes/humaneval_${n}.py`, content: p.prompt + p.canonical_solution };
      const file = examplesTest(request, [code]);
      if (testedByItsExamples(request)) {
        tested++;
        assert.ok(
          file,
          `${p.task_id}: its Coder is asked for the code alone, so its examples must make a test`,
        );
      }
      if (!file) continue;
      for (const f of [
        code,
        file,
        { path: 'codes/__init__.py', content: '' },
        { path: 'tests/__init__.py', content: '' },
      ]) {
        await fs.mkdir(path.dirname(path.join(dir, n, f.path)), { recursive: true });
        await fs.writeFile(path.join(dir, n, f.path), f.content);
      }
    }
    // Doctest's and the inline shapes together: most problems are tested by their examples.
    assert.ok(tested >= 130, `${tested} problems tested by their examples`);
    const out = execFileSync(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        '-v',
        `${dir}:/p:ro`,
        baseImageTag(),
        'sh',
        '-c',
        'for d in /p/*; do cp -r "$d" /tmp/w && cd /tmp/w && echo "$(basename "$d") $(python3 -m pytest -q -p no:cacheprovider tests 2>&1 | tail -1)"; cd / && rm -rf /tmp/w; done',
      ],
      { encoding: 'utf8', maxBuffer: 10_000_000 },
    );
    const failing = out
      .split('\n')
      .filter((l) => / failed/.test(l) || (l.trim() && !/ passed/.test(l)))
      .map((l) => `HumanEval/${l.split(' ')[0]}`)
      .sort((a, b) => Number(a.split('/')[1]) - Number(b.split('/')[1]));
    // HumanEval/47's docstring says median([-10, 4, 6, 1000, 10, 20]) is 15.0 (its reference gives 8.0),
    // HumanEval/116's examples sort by value where its reference sorts by binary ones.
    assert.deepEqual(failing, ['HumanEval/47', 'HumanEval/116'], out);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a request in prose, defining no function, keeps its doctest examples', () => {
  const prose = 'Write add(a, b) in codes/add.py, the sum of two numbers.\n>>> add(1, 2)\n3\n';
  assert.deepEqual(examplesOf(prose), [{ call: 'add(1, 2)', expected: '3' }]);
  const file = examplesTest(prose, [{ path: 'codes/add.py', content: 'def add(a, b):\n    return a + b\n' }]);
  assert.match(file!.content, /^from codes\.add import add$/m);
});
