import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openArtifactStore } from '../../artifacts';
import { settleOn } from '../../workflows/task-pipeline';
import { usableCases } from '../../activities/spec-examples';
import type { AgentStepResult } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { FakeOpenAi, type OpenAiRequest } from '../fakes/fake-openai';
import { pollRun, providerStack, startRun, type Run } from '../models/run-support';

/**
 * The crew's Tester as a test designer: for a one-function request it writes cases from the request
 * alone, the Tester runs them beside the request's examples, a Debugger round or two answers them, and
 * when the rounds end with only designed cases failing, the code the other tests held on is kept and
 * those cases are dropped as the designer's mistakes. Real Temporal, the real Docker sandbox and Git,
 * the real openai SDK against a fake OpenAI whose answers depend on the role asking.
 */
const request = (file: string) => `Write the Python function \`pluck\` in codes/${file}.py.

def pluck(arr):
    """Given a list of non-negative integers, return [the smallest even value, its index]; of equal
    smallest even values, the first one. If there are no even values or the list is empty, return [].
    >>> pluck([4, 2, 3])
    [2, 1]
    """
`;
/** The designer is right, the Coder's code is wrong on lists without an even value. */
const FIXED = request('pluck_fixed');
/** The Coder's code is right, the designer expects a wrong value for one case. */
const SETTLED = request('pluck_settled');

const RIGHT = `def pluck(arr):
    evens = [(v, i) for i, v in enumerate(arr) if v % 2 == 0]
    if not evens:
        return []
    v, i = min(evens)
    return [v, i]
`;
const WRONG = `def pluck(arr):
    best = None
    for i, v in enumerate(arr):
        if v % 2 == 0 and (best is None or v < best[0]):
            best = [v, i]
    return best
`;

let fake: FakeOpenAi;
let env: Awaited<ReturnType<typeof providerStack>>;
const asked: { role: string; request: string; prompt: string }[] = [];

const files = (path: string, code: string) => ({
  task_id: 'ignored',
  files: [{ path, content: code }],
  tests: [],
  notes: '',
});

before(async () => {
  fake = await new FakeOpenAi().start();
  fake.fallback = (req: OpenAiRequest) => {
    const messages = req.body.messages as { role: string; content: string }[];
    const system = messages[0]!.content;
    const prompt = messages[1]!.content;
    const which = prompt.includes('pluck_fixed') ? FIXED : SETTLED;
    const path = which === FIXED ? 'codes/pluck_fixed.py' : 'codes/pluck_settled.py';
    const role = /^You are the (\w+)/.exec(system)?.[1] ?? '?';
    asked.push({ role, request: which, prompt });
    if (role === 'Tester') {
      const cases =
        which === FIXED
          ? [
              { call: 'pluck([1, 3, 5])', expected: '[]' },
              { call: 'pluck([])', expected: '[]' },
              // One of the request's own examples, and not a call of pluck: both left out.
              { call: 'pluck([4, 2, 3])', expected: '[2, 1]' },
              { call: 'len([1])', expected: '1' },
            ]
          : [
              { call: 'pluck([6, 4, 4])', expected: '[4, 1]' },
              // Wrong: the list has no even value, so the request says [].
              { call: 'pluck([1, 3])', expected: '[0, 0]' },
            ];
      return { kind: 'json', value: { cases } };
    }
    if (role === 'Coder') return { kind: 'json', value: files(path, which === FIXED ? WRONG : RIGHT) };
    // The Debugger: the right code for both (for SETTLED it cannot satisfy the wrong case).
    return { kind: 'json', value: files(path, RIGHT) };
  };
  env = await providerStack(
    { DEVCREW_MODEL_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-designed-tests-000', OPENAI_BASE_URL: fake.url },
    { prefix: 'designed-tests-', sandbox: true },
  );
});
after(async () => {
  await env?.stop();
  await fake?.stop();
});

const crewRun = async (text: string): Promise<Run> => {
  const id = await startRun(env.stack, {
    request: text,
    options: { mode: 'crew', gates: { plan: false, tasks: false }, build_policy: 'warn' },
  });
  return pollRun(env.stack, id, () => false);
};
const testerTask = (run: Run) => run.tasks.find((t) => t.agent_role === 'tester')!;
/** A file as the tester task's last step committed it (the task's result). */
const codeAt = async (run: Run, path: string) => {
  const store = await openArtifactStore({ repoDir: pathsFrom(readEnv()).artifactsDir });
  return store.readFile(testerTask(run).history.at(-1)!.commit!, path);
};

test(
  "the Tester's designed cases catch code the examples pass, and the Debugger's round fixes it",
  { timeout: 300_000 },
  async () => {
    const run = await crewRun(FIXED);
    assert.equal(run.status, 'completed', JSON.stringify(run).slice(0, 3000));
    const steps = testerTask(run).history.map((h) => [h.agent, h.round, h.passed]);
    assert.deepEqual(steps, [
      ['test-designer', 0, true],
      ['tester', 0, false],
      ['debugger', 1, true],
      ['build-checker', 1, true],
      ['tester', 1, true],
    ]);
    const design = testerTask(run).history[0]!.summary;
    assert.match(
      design,
      /^2 case\(s\) designed from the request: pluck\(\[1, 3, 5\]\) == \[\]; pluck\(\[\]\) == \[\]/,
    );
    assert.match(
      design,
      /left out pluck\(\[4, 2, 3\]\): one of the request's examples; len\(\[1\]\): not one call of pluck/,
    );
    assert.match(testerTask(run).history[1]!.summary, /^1 passed, 2 failed/);
    assert.equal(await codeAt(run, 'codes/pluck_fixed.py'), RIGHT);
    // The designer read the request alone: no code in what it was asked.
    const designer = asked.find((a) => a.role === 'Tester' && a.request === FIXED)!;
    assert.equal(designer.prompt, `Request: ${FIXED.trim()}`);
  },
);

test(
  "a designed case the rounds cannot satisfy while the examples hold is dropped, and the Coder's code is kept",
  { timeout: 300_000 },
  async () => {
    const run = await crewRun(SETTLED);
    assert.equal(run.status, 'completed', JSON.stringify(run).slice(0, 3000));
    const history = testerTask(run).history;
    assert.deepEqual(
      history.filter((h) => h.agent === 'tester').map((h) => [h.round, h.passed]),
      [
        [0, false],
        [1, false],
        [2, false],
        [2, true],
      ],
      'two rounds at most for designed cases, then the settled run',
    );
    const settled = history.at(-1)!.summary;
    assert.match(settled, /^settled: 2 passed, 0 failed/);
    assert.match(settled, /taken as the designer's mistakes and dropped: pluck\(\[1, 3\]\)/);
    assert.equal(await codeAt(run, 'codes/pluck_settled.py'), RIGHT);
    const kept = JSON.parse(await codeAt(run, 'tests/designed_cases.json')) as { call: string }[];
    assert.deepEqual(
      kept.map((c) => c.call),
      ['pluck([6, 4, 4])'],
    );
  },
);

test('the designed cases kept: one literal call of the function each, not an example, not twice', () => {
  const { kept, left } = usableCases(FIXED, 'pluck', [
    { call: 'pluck([1, 3])', expected: '[]' },
    { call: 'pluck([1,  3])', expected: '[]' },
    { call: 'pluck(x)', expected: '[]' },
    { call: 'pluck([2])', expected: 'the list [2, 0]' },
    { call: 'pluck([2]) + 1', expected: '1' },
    { call: 'pluck([4, 2, 3])', expected: '[2, 1]' },
    { call: 'pluck([2])', expected: 'true' },
  ]);
  assert.deepEqual(kept, [
    { call: 'pluck([1, 3])', expected: '[]' },
    { call: 'pluck([2])', expected: 'True' },
  ]);
  assert.deepEqual(left, [
    'pluck([1,  3]): given twice',
    'pluck(x): arguments not literal',
    'pluck([2]): the list [2, 0] is not a Python literal',
    'pluck([2]) + 1: not one call of pluck',
    "pluck([4, 2, 3]): one of the request's examples",
  ]);
});

test('the run settled on: the other tests held and the fewest designed cases failed, the earliest of equals', () => {
  const run = (n: number, others: boolean, failed: string[]) =>
    ({
      ref: { branch: 'b', commit: String(n), paths: [] },
      designed: { count: 3, failed, others_passed: others },
    }) as unknown as AgentStepResult;
  const pick = (runs: AgentStepResult[]) => settleOn(runs)?.ref.commit;
  assert.equal(pick([run(1, true, ['a']), run(2, true, ['b']), run(3, false, [])]), '1');
  assert.equal(pick([run(1, true, ['a', 'b']), run(2, true, ['b'])]), '2');
  assert.equal(pick([run(1, false, []), run(2, false, ['a'])]), undefined);
  assert.equal(pick([]), undefined);
});
