import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { CONTRADICTIONS_SOURCE, contradictionNotes } from '../../activities/test-contradictions';
import { baseImageTag } from '../../runtime/provision';

// Tests as a small model writes them for an SMA strategy: the same prices expected to give "buy" in one
// test and "sell" in another (a contradiction), beside tests that only look alike.
const TESTS = `import pytest
from codes.sma import SMA


def test_buy() -> None:
    s = SMA(2, 3)
    assert s.signal([1.0, 2.0, 3.0, 4.0]) == "buy"


def test_sell() -> None:
    s = SMA(2, 3)
    assert "sell" == s.signal([1.0, 2.0, 3.0, 4.0])


def test_other_prices() -> None:
    s = SMA(2, 3)
    assert s.signal([4.0, 3.0, 2.0, 1.0]) == "sell"


def test_a_second_call_sees_the_first() -> None:
    s = SMA(2, 3)
    assert s.signal([1.0, 2.0, 3.0, 4.0]) == "buy"
    assert s.signal([1.0, 2.0, 3.0, 4.0]) == "hold"


@pytest.mark.parametrize("p", [1])
def test_parametrized(p: int) -> None:
    s = SMA(2, 3)
    assert s.signal([1.0, 2.0, 3.0, 4.0]) == "hold"


class TestShort:
    def setup_method(self) -> None:
        self.s = SMA(2, 3)

    def test_first(self) -> None:
        assert self.s.signal([1.0]) == 1.0


class TestLong:
    def setup_method(self) -> None:
        self.s = SMA(3, 5)

    def test_first(self) -> None:
        assert self.s.signal([1.0]) == 2.0

    def test_int_equals_float(self) -> None:
        assert self.s.signal([1.0]) == 2
`;

/** The check over one test file in the sandbox image (its Python); the notes it gives. */
function check(content: string): string[] {
  const script = `mkdir -p /w/tests /w/out && cd /w && cat > tests/test_sma.py <<'PY'\n${content}PY\ncat > check.py <<'PY'\n${CONTRADICTIONS_SOURCE}PY\npython3 check.py out tests && cat out/contradictions.json`;
  const out = execFileSync(
    'docker',
    ['run', '--rm', '--network', 'none', baseImageTag(), 'sh', '-c', script],
    {
      encoding: 'utf8',
    },
  );
  return contradictionNotes(out.trim());
}

test('two tests that expect the same call after the same steps to give different values are named, with both lines', () => {
  const notes = check(TESTS);
  assert.deepEqual(notes, [
    "tests/test_sma.py: test_buy (line 7) expects s.signal([1.0, 2.0, 3.0, 4.0]) == 'buy' and test_sell (line 12) expects s.signal([1.0, 2.0, 3.0, 4.0]) == 'sell' after the same steps. They cannot both pass, so at least one expected value is wrong: work it out by hand from the task and fix that test",
  ]);
});

test('tests that only look alike are no contradiction: other steps, a parametrized test, another setup, 2 == 2.0', () => {
  const consistent = TESTS.replace(
    'assert "sell" == s.signal([1.0, 2.0, 3.0, 4.0])',
    'assert s.signal([1.0, 2.0]) == "sell"',
  );
  assert.deepEqual(check(consistent), []);
  assert.deepEqual(check('def test_broken(:\n    pass\n'), [], 'a file Python cannot read is left to pytest');
  assert.deepEqual(
    contradictionNotes(undefined),
    [],
    'no findings file (the sandbox stopped earlier): no note',
  );
  assert.deepEqual(contradictionNotes('not json'), []);
});
