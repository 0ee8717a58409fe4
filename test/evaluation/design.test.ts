import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openArtifactStore } from '../../artifacts';
import { DesignReport, type DesignRun } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { DEFAULT_MODELS } from '../../models/catalog';
import { DESIGN_REQUESTS, designMarkdown, evaluateDesign } from '../../evaluation/design';
import { FakeOpenAi } from '../fakes/fake-openai';
import { devcrew } from '../support/cli';
import { providerStack } from '../models/run-support';

/**
 * `devcrew eval --suite design`: the Architect alone on design requests, through real crew runs (a
 * ready plan of one Architect task) on real Temporal, with the real openai SDK against a fake OpenAI
 * whose Architect answers one request with a contract missing its interfaces first.
 */
let fake: FakeOpenAi;
let env: Awaited<ReturnType<typeof providerStack>>;
const REQUESTS = DESIGN_REQUESTS.slice(0, 3);
const calls = new Map<string, number>();

const contract = (name: string) => ({
  contract_id: `c_${name}`,
  task_id: 'ignored',
  language: 'python',
  interfaces: [{ name, type: 'class', signature: `class ${name}:`, methods: [], description: '' }],
  data_models: [],
  test_skeletons: [],
});

before(async () => {
  fake = await new FakeOpenAi().start();
  fake.fallback = (req) => {
    const text = JSON.stringify(req.body.messages);
    const d = REQUESTS.find((r) => text.includes(r.request))!;
    const n = (calls.get(d.id) ?? 0) + 1;
    calls.set(d.id, n);
    // The momentum request's first answer has no interface: the schema refuses it, a repair follows.
    if (d.id === 'momentum' && n === 1) return { kind: 'json', value: { ...contract('x'), interfaces: [] } };
    return { kind: 'json', value: contract(d.id === 'momentum' ? 'Momentum' : 'Strategy') };
  };
  env = await providerStack(
    { DEVCREW_MODEL_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-design-suite-000', OPENAI_BASE_URL: fake.url },
    { prefix: 'design-suite-' },
  );
});
after(async () => {
  await env?.stop();
  await fake?.stop();
});

test(
  "the design suite: each request a crew run of one Architect task; a contract is valid first time only on the Architect's first answer; a re-run resumes",
  { timeout: 240_000 },
  async () => {
    const store = await openArtifactStore({ repoDir: pathsFrom(readEnv()).artifactsDir });
    const deps = {
      runs: env.stack.runs,
      readFiles: async (commit: string) => store.readFiles(commit, await store.listFiles(commit)),
      codeVersion: 'abc1234',
    };
    const recorded: [string, DesignRun][] = [];
    const report = DesignReport.parse(
      await evaluateDesign(
        { ...deps, record: async (id, run) => void recorded.push([id, run]) },
        { requests: REQUESTS },
      ),
    );
    assert.deepEqual(
      report.runs.map((r) => [r.id, r.run!.status, r.run!.contract_first_try, r.run!.architect_calls]),
      [
        ['sma-crossover', 'completed', true, 1],
        ['momentum', 'completed', false, 2],
        ['rsi', 'completed', true, 1],
      ],
    );
    assert.deepEqual([report.accepted, report.requests, report.valid_contract_rate], [2, 3, 0.6667]);
    assert.equal(report.model, `openai/${DEFAULT_MODELS.openai}`);
    assert.equal(report.double, false);
    assert.equal(report.runs[1]!.run!.detail, 'Momentum', "the contract's interfaces, read from its commit");
    assert.equal(report.runs[0]!.run!.devcrew, 'abc1234');
    // Why the first answer was refused is kept on the row and shown in the table.
    assert.equal(report.runs[0]!.run!.refused, null);
    assert.match(report.runs[1]!.run!.refused ?? '', /interfaces/);
    // The plan was given, so no Planner: only Architect calls reached the model.
    assert.equal(
      [...calls.values()].reduce((a, b) => a + b, 0),
      4,
    );
    const markdown = designMarkdown(report);
    assert.match(markdown, /\*\*2 of 3, 66\.7%\*\* \(95% interval/);
    assert.match(
      markdown,
      /\| momentum \| no \(completed\) \| 2 \| \d+ \| Momentum; first answer refused: .*interfaces/,
    );

    // Run again with what was recorded: nothing runs twice.
    const again = await evaluateDesign(deps, { requests: REQUESTS, earlier: new Map(recorded) });
    assert.equal(again.accepted, 2);
    assert.equal(
      [...calls.values()].reduce((a, b) => a + b, 0),
      4,
      'no new model call',
    );
  },
);

test('devcrew eval names its suites when given another', async () => {
  const r = await devcrew(['eval', '--suite', 'mbpp']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--suite mbpp: the suites are: humaneval, design/);
});
