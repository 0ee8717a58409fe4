import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAgentActivities } from '../../activities';
import { oneFunctionPlan, testedByItsExamples } from '../../activities/plan-rule';
import { openArtifactStore, type GitArtifactStore } from '../../artifacts';
import { checkDocument, NO_USAGE, type AgentStepResult, type PlanResult } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { problemRequest, readHumanEval, type HumanEvalProblem } from '../../models/humaneval';
import { loadRecordings, scriptedClient } from '../../models/doubles';
import { DEFAULT_PRICES } from '../../models/prices';
import type { JsonRequest } from '../../models/types';
import type { z } from 'zod';
import { ensureHumanEval } from '../../runtime/provision/humaneval';

let dir: string;
let store: GitArtifactStore;
let suite: HumanEvalProblem[];
const mock = new MockActivityEnvironment({
  scheduledTimestampMs: Date.now(),
  currentAttemptScheduledTimestampMs: Date.now(),
});

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-plan-rule-'));
  store = await openArtifactStore({ repoDir: path.join(dir, 'artifacts') });
  suite = readHumanEval(await ensureHumanEval(pathsFrom(readEnv()).cacheDir, () => undefined));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('a request that is one function stub gets the coder + tester plan by rule, with the files it names', () => {
  const ruled = suite.filter((p) => oneFunctionPlan(problemRequest(p)));
  // Every HumanEval problem, the five whose prompt gives helper functions before the stub included.
  assert.equal(ruled.length, suite.length);
  const helped = oneFunctionPlan(problemRequest(suite.find((p) => p.task_id === 'HumanEval/32')!))!;
  assert.match(
    helped.tasks[0]!.description,
    /^codes\/humaneval_32\.py: def find_zero\(xs: list\), .*, beside the request's `poly` as the request gives it\. /,
  );
  for (const p of ruled) {
    const checked = checkDocument('todo', oneFunctionPlan(problemRequest(p)));
    assert.ok(checked.ok, `${p.task_id}: ${JSON.stringify(!checked.ok && checked.problems)}`);
  }
  const plan = oneFunctionPlan(problemRequest(suite[0]!))!;
  assert.deepEqual(
    plan.tasks.map((t) => [t.id, t.agent_role, t.dependencies, t.acceptance_criteria.tests[0]!.cmd]),
    [
      ['code_has_close_elements', 'coder', [], 'pytest -q tests'],
      ['test_has_close_elements', 'tester', ['code_has_close_elements'], 'pytest -q tests'],
    ],
  );
  assert.match(
    plan.tasks[0]!.description,
    /^codes\/humaneval_0\.py: def has_close_elements\(numbers: List\[float\], threshold: float\) -> bool,/,
  );
  // Without paths in the request, the files are named after the function.
  const own = oneFunctionPlan(
    'Please write:\n\ndef add(a: int, b: int) -> int:\n    """Sum of a and b.\n    >>> add(1, 2)\n    3\n    """\n',
  )!;
  assert.match(
    own.tasks[0]!.description,
    /^codes\/add\.py: def add\(a: int, b: int\) -> int,.* tests\/test_add\.py:/,
  );
});

test('prose, a class, two stubs, a stub before a whole function or a function with a body are left to the Planner', () => {
  for (const request of [
    'Create simple SMA crossover strategy',
    'Write a function that converts Roman numerals to integers',
    'class Sma:\n    """A moving average."""\n',
    'def a() -> int:\n    """One."""\n\ndef b() -> int:\n    """Two."""\n',
    'def a() -> int:\n    """One."""\n    return 1\n',
    // A stub before a whole function: the stub is not the last thing asked for.
    'def a() -> int:\n    """One."""\n\ndef b() -> int:\n    """Two."""\n    return 2\n',
  ]) {
    assert.equal(oneFunctionPlan(request), undefined, request);
  }
});

test('the Planner activity commits the ruled plan without a model call; a plan sent back with feedback asks the model', async () => {
  const model = scriptedClient(loadRecordings());
  let calls = 0;
  const counting = {
    ...model,
    info: model.info,
    generateJson: (...args: Parameters<typeof model.generateJson>) => {
      calls++;
      return model.generateJson(...args);
    },
  } as typeof model;
  const acts = createAgentActivities({ model: counting, prices: DEFAULT_PRICES, artifacts: store });
  const request = problemRequest(suite[0]!);
  const plan = (await mock.run(acts.plan, { run_id: 'wf-rule', request })) as PlanResult;
  assert.equal(calls, 0);
  assert.deepEqual(plan.usage, NO_USAGE);
  assert.deepEqual(plan.model, model.info, 'the run names the model its agents will call');
  const meta = await store.metadataOf(plan.ref.commit);
  assert.equal(meta.agent_version, 'plan-rule@3');
  assert.match(meta.model_name, /^none \(plan rule/);
  assert.deepEqual(
    JSON.parse(await store.readFile(plan.ref.commit, 'plans/todo_list.json')),
    JSON.parse(JSON.stringify(plan.todo_list)),
  );

  await mock
    .run(acts.plan, { run_id: 'wf-rule-2', request, feedback: 'one more test task please' })
    .catch(() => undefined); // the scripted double has no recording for it; what counts is that it was asked
  assert.equal(calls, 1);
});

test('a stub whose docstring gives examples is tested by them, so its Coder is asked for the code alone; others are not', () => {
  assert.equal(testedByItsExamples(problemRequest(suite[0]!)), true);
  assert.equal(testedByItsExamples('def add(a: int, b: int) -> int:\n    """Sum of a and b."""\n'), false);
  assert.equal(testedByItsExamples('Create simple SMA crossover strategy'), false);
  // Examples that call only a helper the request gives whole do not test the stub.
  const helperOnly =
    'def twice(x: int) -> int:\n    """Twice x.\n    >>> twice(2)\n    4\n    """\n    return 2 * x\n\n\n' +
    'def quad(x: int) -> int:\n    """Four times x."""\n';
  assert.ok(oneFunctionPlan(helperOnly));
  assert.equal(testedByItsExamples(helperOnly), false);
  // A doctest example with a comment, around a builtin, tests the stub it calls (HumanEval/32).
  assert.equal(
    testedByItsExamples(
      helperOnly.replace('Four times x.', 'Four times x.\n    >>> round(quad(1.5), 1)  # six\n    6.0\n    '),
    ),
    true,
  );
});

/** The agents' activities on a model that shows each request to `see` and answers one code file. */
function activitiesSeeing(see: (request: JsonRequest<z.ZodType>) => void) {
  const model = scriptedClient(loadRecordings());
  const capturing = {
    ...model,
    info: model.info,
    generateJson: async (request: JsonRequest<z.ZodType>) => {
      see(request);
      const value = {
        task_id: 't',
        files: [{ path: 'codes/humaneval_0.py', content: 'x = 1\n' }],
        tests: [],
        notes: '',
      };
      return { value, usage: NO_USAGE, raw: JSON.stringify(value) } as never;
    },
  } as typeof model;
  return createAgentActivities({ model: capturing, prices: DEFAULT_PRICES, artifacts: store });
}

test("the crew's Coder and Debugger on such a stub ask for answers ending before a test file; the single agent, which has no Tester, does not", async () => {
  const seen: [string, string | undefined][] = [];
  const acts = activitiesSeeing((request) => seen.push([request.role, request.endBeforeFilesUnder]));
  for (const request of [problemRequest(suite[0]!), 'Create simple SMA crossover strategy']) {
    const plan = oneFunctionPlan(problemRequest(suite[0]!))!;
    const step = { request, task: plan.tasks[0]!, prepare: { dependency_refs: [] } };
    await mock.run(acts.code, { run_id: 'wf-end-1', ...step });
    await mock.run(acts.debug, { run_id: 'wf-end-2', ...step, round: 1 });
    await mock.run(acts.singleAgent, { run_id: 'wf-end-3', ...step, round: 1 });
  }
  assert.deepEqual(seen, [
    ['coder', 'tests/'],
    ['debugger', 'tests/'],
    ['single-agent', undefined],
    ['coder', undefined],
    ['debugger', undefined],
    ['single-agent', undefined],
  ]);
});

test("the crew's Coder writes such a stub's function with the function prompt and the request alone; other requests and the Debugger keep their prompts", async () => {
  const seen: { role: string; system: string; prompt: string }[] = [];
  const acts = activitiesSeeing((request) =>
    seen.push({ role: request.role, system: request.system, prompt: request.prompt }),
  );
  const stub = problemRequest(suite[0]!);
  const plan = oneFunctionPlan(stub)!;
  const versions: string[] = [];
  for (const request of [stub, 'Create simple SMA crossover strategy']) {
    const step = { request, task: plan.tasks[0]!, prepare: { dependency_refs: [] } };
    const coded = (await mock.run(acts.code, { run_id: 'wf-fn-1', ...step })) as AgentStepResult;
    versions.push((await store.metadataOf(coded.ref!.commit)).agent_version);
    await mock.run(acts.debug, { run_id: 'wf-fn-2', ...step, round: 1 });
  }
  assert.deepEqual(versions, ['coder-function@1', 'coder@7']);
  const [fnCoder, stubDebugger, smaCoder] = seen;
  assert.match(fnCoder!.system, /^You are the Coder of devcrew\. The request gives one Python function/);
  assert.match(fnCoder!.system, /the Tester writes the tests/);
  assert.equal(fnCoder!.prompt, `Request: ${stub}\nTask id: ${plan.tasks[0]!.id}`);
  assert.match(stubDebugger!.system, /^You are the Debugger of devcrew/);
  assert.match(stubDebugger!.prompt, /Role: coder\n/);
  assert.match(smaCoder!.system, /write\nunit tests with pytest/);
  assert.match(
    smaCoder!.prompt,
    /^Request: Create simple SMA crossover strategy\nTask id: .*\nRole: coder\n/,
  );
});
