import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { parseJunit } from '../../activities/reports/junit';
import { TRAIL_PLUGIN, TRAIL_SOURCE, withTrails } from '../../activities/test-trail';
import { baseImageTag } from '../../runtime/provision';

// The off-by-one an SMA run kept: the code wants one price more than the long window, so a test with
// exactly long-window prices gets "hold".
const CODE = `class SmaCrossover:
    def __init__(self, short_window: int, long_window: int) -> None:
        self.short_window = short_window
        self.long_window = long_window

    def signal(self, prices: list[float]) -> str:
        if len(prices) < self.long_window + 1:
            return "hold"
        short = sum(prices[-self.short_window:]) / self.short_window
        long = sum(prices[-self.long_window:]) / self.long_window
        return "buy" if short > long else "sell" if short < long else "hold"


def spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total
`;
const TESTS = `from codes.sma import SmaCrossover, spin


def test_rising_prices_buy() -> None:
    assert SmaCrossover(2, 3).signal([1.0, 2.0, 3.0]) == "buy"


def test_flat_prices_hold() -> None:
    assert SmaCrossover(2, 3).signal([1.0, 1.0, 1.0, 1.0]) == "hold"


def test_long_loop() -> None:
    assert spin(300000) == 0


class TestFalling:
    def test_sell(self) -> None:
        assert SmaCrossover(2, 3).signal([4.0, 3.0, 2.0, 1.0]) == "buy"
`;

/** pytest in the sandbox image with the trail plugin (and, if asked, coverage's tracer); JUnit and trail. */
function run(cov = false): { junit: string; trail: string } {
  const files: [string, string][] = [
    ['codes/sma.py', CODE],
    ['tests/test_sma.py', TESTS],
    [`r/${TRAIL_PLUGIN}.py`, TRAIL_SOURCE],
  ];
  const write = files.map(([p, c]) => `cat > ${p} <<'PY'\n${c}PY`).join('\n');
  const script = `mkdir -p /w/codes /w/tests /w/r && cd /w && touch codes/__init__.py tests/__init__.py\n${write}\nDEVCREW_TRAIL=r/trail.json PYTHONPATH=r python3 -m pytest -q tests -p ${TRAIL_PLUGIN} --junitxml=r/junit.xml${cov ? ' --cov=codes' : ''} >/dev/null 2>&1; cat r/junit.xml; echo; echo ==TRAIL==; cat r/trail.json`;
  const out = execFileSync(
    'docker',
    ['run', '--rm', '--network', 'none', baseImageTag(), 'sh', '-c', script],
    {
      encoding: 'utf8',
    },
  );
  const [junit, trail] = out.split('==TRAIL==');
  return { junit: junit!, trail: trail!.trim() };
}

test("a failing test's message gains the lines of codes/ that ran last: the call, the branch taken, the value returned", () => {
  const { junit, trail } = run();
  const cases = withTrails(parseJunit(junit), trail);
  const rising = cases.find((c) => c.name === 'test_rising_prices_buy')!;
  assert.equal(rising.status, 'failed');
  assert.match(rising.message!, /assert 'hold' == 'buy'/, "pytest's own message comes first");
  const trailPart = rising.message!.split('The last lines of codes/ that ran in this test:\n')[1]!;
  assert.deepEqual(trailPart.split('\n'), [
    '  codes/sma.py:2: called __init__(short_window=2, long_window=3)',
    '  codes/sma.py:3: self.short_window = short_window',
    '  codes/sma.py:4: self.long_window = long_window',
    '  codes/sma.py:4: returned None',
    '  codes/sma.py:6: called signal(prices=[1.0, 2.0, 3.0])',
    '  codes/sma.py:7: if len(prices) < self.long_window + 1:',
    '  codes/sma.py:8: return "hold"',
    "  codes/sma.py:8: returned 'hold'",
  ]);
  const falling = cases.find((c) => c.name === 'test_sell')!;
  assert.equal(falling.classname, 'tests.test_sma.TestFalling');
  assert.match(
    falling.message!,
    /codes\/sma\.py:11: returned 'sell'/,
    'a test in a class is found by its JUnit name',
  );
  const long = cases.find((c) => c.name === 'test_long_loop')!;
  assert.equal(long.status, 'failed');
  assert.doesNotMatch(
    long.message!,
    /The last lines/,
    'past 200,000 traced lines the test runs untraced and has no trail (not one that is not its last lines)',
  );
  const passed = cases.find((c) => c.name === 'test_flat_prices_hold')!;
  assert.equal(passed.status, 'passed');
  assert.equal(passed.message, undefined, 'a passing test has no trail');
});

test('with coverage tracing the plugin stays out of the way: no trail, the tests still run', () => {
  const { junit, trail } = run(true);
  const cases = parseJunit(junit);
  assert.equal(cases.length, 4);
  assert.deepEqual(JSON.parse(trail), {});
  assert.deepEqual(withTrails(cases, 'not json'), cases);
  assert.deepEqual(withTrails(cases, undefined), cases);
});
