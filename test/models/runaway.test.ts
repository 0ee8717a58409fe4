import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { keptOfCutAnswer, parseFileBlocks } from '../../models/file-blocks';
import { endOfFilesBefore, loopOf, openAiCompatibleClient, repeats } from '../../models/openai-compatible';
import { ModelError } from '../../models/types';
import { FakeOpenAi } from '../fakes/fake-openai';

// What a Coder writes for HumanEval/4: four tests whose lines differ only in their values. The loop
// detector before 2026-12-04 called 9 of its cut points "repeating itself" and cut a good answer.
const TESTS = `from codes.humaneval_4 import mean_absolute_deviation


def test_mean_absolute_deviation_basic() -> None:
    assert mean_absolute_deviation([1.0, 2.0, 3.0, 4.0]) == 1.0


def test_mean_absolute_deviation_same() -> None:
    assert mean_absolute_deviation([1.0, 1.0, 1.0, 1.0]) == 0.0


def test_mean_absolute_deviation_two() -> None:
    assert mean_absolute_deviation([1.0, 2.0]) == 0.5


def test_mean_absolute_deviation_one() -> None:
    assert mean_absolute_deviation([5.0]) == 0.0
`;
const Answer = z.strictObject({ files: z.array(z.string()) });

let fake: FakeOpenAi;
before(async () => {
  fake = await new FakeOpenAi({ served: ['qwen2.5-coder-1.5b'] }).start();
});
after(() => fake?.stop());

/** The local model's client; `plainFiles` asks for files as text, as the Coder does. */
const local = (plainFiles = false) =>
  openAiCompatibleClient({
    provider: 'local',
    apiKey: 'local',
    model: 'qwen2.5-coder-1.5b',
    baseUrl: fake.url,
    stream: true,
    plainFiles,
    outputCaps: { coder: 2000 },
  });
const ask = () =>
  local().generateJson({ role: 'coder', system: 'Write code.', prompt: 'HumanEval/4', schema: Answer });

test('similar lines are not a loop at any cut point; the same text back to back is', () => {
  for (let n = 1; n <= TESTS.length; n++) assert.equal(repeats(TESTS.slice(0, n)), false, `cut at ${n}`);
  // A line over and over (what a stuck small model writes), and a whole test five times.
  const line = '    assert mean_absolute_deviation([1.0]) == 0.0\n';
  assert.equal(repeats(TESTS + line.repeat(3)), false, 'three copies of a short line are not yet a loop');
  assert.equal(repeats(TESTS + line.repeat(9)), true);
  const block = TESTS.slice(
    TESTS.indexOf('def test_mean_absolute_deviation_two'),
    TESTS.indexOf('def test_mean_absolute_deviation_one'),
  );
  assert.ok(block.length * 5 >= 400);
  assert.equal(repeats(TESTS + block.repeat(5)), true);
  assert.equal(repeats(TESTS + block.repeat(2)), false);
});

test('lines that grow one value at a time are a loop; a test of a few lists of other lengths is not', () => {
  // What the local model wrote for HumanEval/4 until its cap: the same assert on ever longer lists.
  let grown = 'def test_mean_absolute_deviation() -> None:\n';
  const values: string[] = [];
  for (let n = 1; n <= 11; n++) {
    values.push(`${n}.0`);
    grown += `    assert mean_absolute_deviation([${values.join(', ')}]) == 1.0\n`;
  }
  assert.equal(repeats(grown), true);
  assert.match(loopOf(grown) ?? '', /^assert mean_absolute_deviation\(\[1\.0, .* 11\.0\]\) == 1\.0$/);
  // Seven such lines are not yet a loop, nor lines that grow but do different things.
  const seven = grown.split('\n').slice(0, 8).join('\n') + '\n';
  assert.equal(repeats(seven), false);
  const varied = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    .map((n) => `    x${n} = compute(${'a, '.repeat(n)}b)  # step ${n}\n`)
    .join('');
  assert.equal(repeats(varied), false, 'different beginnings');
  for (let n = 1; n <= TESTS.length; n++) assert.equal(repeats(TESTS.slice(0, n)), false, `cut at ${n}`);
});

test('a streamed answer with many similar asserts is read to its end', async () => {
  const cut = fake.cutStreams.length;
  fake.reply({ kind: 'stream', text: JSON.stringify({ files: [TESTS, TESTS.replace(/1\.0/g, '2.0')] }) });
  const answer = await ask();
  assert.equal(answer.value.files[0], TESTS);
  assert.equal(fake.cutStreams.length, cut, 'nothing was cut');
});

test('a streamed answer stuck in a loop is cut early, asked again shorter, and the error says it looped', async () => {
  const looping = `{"files": ["${TESTS.replace(/\n/g, '\\n')}${'    assert mean_absolute_deviation([1.0]) == 0.0\\n'.repeat(400)}`;
  const sentBefore = fake.requests.length;
  fake.reply({ kind: 'stream', text: looping });
  fake.reply({ kind: 'stream', text: looping });
  const err = await ask().then(
    () => assert.fail('a looping answer was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelError);
  assert.equal(err.code, 'MODEL_ANSWER_RAN_AWAY');
  assert.equal(err.retryable, true, 'the step is tried again, sampled otherwise');
  assert.match(
    err.message,
    /^\[MODEL_ANSWER_RAN_AWAY\] the local model \(qwen2\.5-coder-1\.5b at .*\)'s coder answer was cut after \d+ tokens: it kept repeating "[^"]*mean_absolute_deviatio[^"]*" \(after one repair request\)$/,
  );
  // Both streams were stopped long before their end, the second asked with a tighter cap and told why.
  await new Promise((r) => setTimeout(r, 100));
  const cut = fake.cutStreams.slice(-2);
  assert.equal(cut.length, 2);
  for (const c of cut) assert.ok(c.sent < c.of / 3, `${c.sent} of ${c.of} characters sent`);
  const [first, second] = fake.requests.slice(sentBefore);
  assert.equal(first!.body.max_tokens, 2000);
  assert.equal(second!.body.max_tokens, 1500);
  assert.match(JSON.stringify(second!.body.messages), /because it kept repeating itself/);
});

const CODE = 'FILE: codes/roman.py\n```python\ndef roman_to_int(s: str) -> int:\n    return 1\n```\n';
const CUT_TESTS =
  'FILE: tests/test_roman.py\n```python\nfrom codes.roman import roman_to_int\n\n\ndef test_one() -> None:\n    assert roman_to_int("I") == 1\n\n\n@pytest.mark.slow\ndef test_many() -> None:\n    assert roman_to_int("MMMCMXCIX") == 3999\n    assert roman_to_int("MMMCMXC';

test('an answer cut short keeps its complete files and its tests up to the last whole function', () => {
  const kept = keptOfCutAnswer(CODE + CUT_TESTS)!;
  const files = parseFileBlocks(kept);
  assert.deepEqual(
    files.map((f) => f.path),
    ['codes/roman.py', 'tests/test_roman.py'],
  );
  assert.equal(
    files[1]!.content,
    'from codes.roman import roman_to_int\n\n\ndef test_one() -> None:\n    assert roman_to_int("I") == 1\n',
  );
  // Every block closed, prose cut after them: kept as it is.
  assert.equal(keptOfCutAnswer(`${CODE}Some notes that go on and on`), `${CODE}Some notes that go on and on`);
  // Code cut in the middle, or a test file with no whole test yet: nothing to keep.
  assert.equal(
    keptOfCutAnswer('FILE: codes/roman.py\n```python\ndef roman_to_int(s: str) -> int:\n    tot'),
    undefined,
  );
  // A test file cut in its first test (a loop in its asserts): dropped, the complete code kept.
  assert.equal(
    keptOfCutAnswer(
      `${CODE}FILE: tests/test_roman.py\n\`\`\`python\nfrom codes.roman import roman_to_int\n\n\ndef test_one() -> None:\n    assert rom`,
    ),
    CODE,
  );
  // ... but not when only tests came before it.
  assert.equal(
    keptOfCutAnswer(
      'FILE: tests/test_a.py\n```python\ndef test_a() -> None:\n    assert True\n```\nFILE: tests/test_b.py\n```python\ndef test_b() -> None:\n    assert 1 ==',
    ),
    undefined,
  );
});

test('through the real openai SDK, a file answer that ran past its cap is used for what it completed', async () => {
  const Files = z.strictObject({ files: z.array(z.strictObject({ path: z.string(), content: z.string() })) });
  const client = local(true);
  const before = fake.requests.length;
  fake.reply({ kind: 'stream', text: CODE + CUT_TESTS, finish: 'length' });
  const answer = await client.generateJson({
    role: 'coder',
    system: 'Write code. Answer with the CodeArtifacts JSON only.',
    prompt: 'Roman numerals',
    schema: Files,
    files: { toValue: (files) => ({ files }) },
  });
  assert.equal(fake.requests.length - before, 1, 'no second request');
  assert.deepEqual(
    answer.value.files.map((f) => f.path),
    ['codes/roman.py', 'tests/test_roman.py'],
  );
  assert.match(
    answer.value.files[1]!.content,
    /def test_one\(\) -> None:\n {4}assert roman_to_int\("I"\) == 1\n$/,
  );
});

test('an answer past its cap twice is MODEL_ANSWER_RAN_AWAY, and the error shows how it ended', async () => {
  const cut =
    'FILE: codes/roman.py\n```python\ndef roman_to_int(s: str) -> int:\n    total = 0  # the end of a long answer';
  fake.reply({ kind: 'stream', text: cut, finish: 'length' });
  fake.reply({ kind: 'stream', text: cut, finish: 'length' });
  const client = local(true);
  const err = await client
    .generateJson({
      role: 'coder',
      system: 'Write code.',
      prompt: 'Roman numerals',
      schema: z.strictObject({ files: z.array(z.strictObject({ path: z.string(), content: z.string() })) }),
      files: { toValue: (files) => ({ files }) },
    })
    .then(
      () => assert.fail('a cut answer was accepted'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof ModelError);
  assert.equal(err.code, 'MODEL_ANSWER_RAN_AWAY');
  assert.match(
    err.message,
    /ran past its cap of 1500 tokens without ending; it ended with ".*the end of a long answer"/,
  );
});

test('a loop in the first test is cut and the complete code before it is used, with no repair request', async () => {
  let tests =
    'FILE: tests/test_roman.py\n```python\nfrom codes.roman import roman_to_int\n\n\ndef test_many() -> None:\n';
  for (let n = 1; n <= 60; n++) tests += `    assert roman_to_int("${'I'.repeat(n)}") == 1\n`;
  fake.reply({ kind: 'stream', text: CODE + tests, chunk: 40 });
  const sent = fake.requests.length;
  const client = local(true);
  const answer = await client.generateJson({
    role: 'coder',
    system: 'Write code.',
    prompt: 'Roman numerals',
    schema: z.strictObject({ files: z.array(z.strictObject({ path: z.string(), content: z.string() })) }),
    files: { toValue: (files) => ({ files }) },
  });
  assert.deepEqual(
    answer.value.files.map((f) => f.path),
    ['codes/roman.py'],
  );
  assert.equal(fake.requests.length - sent, 1, 'no repair request');
  // The stream was cut, so the server sent no usage: both sides are estimated from their lengths.
  assert.ok(answer.usage.output_tokens > 0);
  assert.ok(
    answer.usage.input_tokens >= Math.ceil('Write code.Roman numerals'.length / 4),
    `${answer.usage.input_tokens} input tokens`,
  );
});

test('a stub tested by its examples: the Coder answer ends where its first test file would begin, and no more is generated', async () => {
  // What the 1.5B Coder did on HumanEval/8, /12 and /16: the code, then a test file that ran on.
  let tests = 'FILE: tests/test_roman.py\n```python\nfrom codes.roman import roman_to_int\n\n\n';
  for (const [numeral, value] of [
    ['I', 1],
    ['IV', 4],
    ['IX', 9],
    ['XL', 40],
    ['MCMXCIV', 1994],
  ])
    tests += `def test_${String(numeral).toLowerCase()}() -> None:\n    assert roman_to_int("${numeral}") == ${value}\n\n\n`;
  tests += '```\n';
  const schema = z.strictObject({
    files: z.array(z.strictObject({ path: z.string(), content: z.string() })),
  });
  const ask = (endBeforeFilesUnder?: string) =>
    local(true).generateJson({
      role: 'coder',
      system: 'Write code.',
      prompt: 'Roman numerals',
      schema,
      files: { toValue: (files) => ({ files }) },
      ...(endBeforeFilesUnder ? { endBeforeFilesUnder } : {}),
    });
  fake.reply({ kind: 'stream', text: CODE + tests, chunk: 20 });
  const ended = await ask('tests/');
  assert.deepEqual(
    ended.value.files.map((f) => f.path),
    ['codes/roman.py'],
  );
  // The stream was left as soon as the test file began: the answer is the code's length, not the tests'.
  assert.ok(ended.usage.output_tokens * 4 < CODE.length + 60, `${ended.usage.output_tokens} tokens`);
  // Without the option the same answer keeps its test file.
  fake.reply({ kind: 'stream', text: CODE + tests, chunk: 20 });
  const whole = await ask();
  assert.deepEqual(
    whole.value.files.map((f) => f.path),
    ['codes/roman.py', 'tests/test_roman.py'],
  );
});

test('an answer that starts with its test file is not ended there: the code after it is needed', () => {
  const testFirst = `${'FILE: tests/test_roman.py\n```python\ndef test_one() -> None:\n    assert True\n```\n'}${CODE}`;
  assert.equal(endOfFilesBefore(testFirst, 'tests/'), undefined);
  assert.equal(endOfFilesBefore(CODE, 'tests/'), undefined, 'no test file yet');
  assert.equal(endOfFilesBefore(`${CODE}FILE: ./tests/test_roman.py\n`, 'tests/'), CODE.length);
});
