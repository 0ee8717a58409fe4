import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { examplesOf, examplesTest } from '../../activities/spec-examples';
import { baseImageTag } from '../../runtime/provision';

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
