import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CodeArtifacts } from '../../contracts';
import { parseFileBlocks, withFileBlocksFormat } from '../../models/file-blocks';
import { openAiCompatibleClient } from '../../models/openai-compatible';
import { type ModelError } from '../../models/types';
import { FakeOpenAi } from '../fakes/fake-openai';

const ANSWER = [
  'Here are the files.',
  'FILE: codes/roman.py',
  '```python',
  'def to_int(s: str) -> int:',
  '    """Roman numeral to integer."""',
  '    return len(s)',
  '```',
  '',
  '**roman_test.py**',
  '```python',
  'from codes.roman import to_int',
  '',
  '',
  'def test_one() -> None:',
  '    assert to_int("I") == 1',
  '```',
].join('\n');

test('file blocks: paths, whole multi-line contents, bare names placed under codes/ and tests/', () => {
  assert.deepEqual(parseFileBlocks(ANSWER), [
    {
      path: 'codes/roman.py',
      content: 'def to_int(s: str) -> int:\n    """Roman numeral to integer."""\n    return len(s)\n',
    },
    {
      path: 'tests/roman_test.py',
      content: 'from codes.roman import to_int\n\n\ndef test_one() -> None:\n    assert to_int("I") == 1\n',
    },
  ]);
  assert.deepEqual(parseFileBlocks('no files here, just words'), []);
  const system = withFileBlocksFormat('Write code.\nAnswer with the CodeArtifacts JSON only.');
  assert.ok(!system.includes('JSON only'), 'the JSON line is replaced');
  assert.match(system, /FILE: <path>/);
});

let fake: FakeOpenAi;
before(async () => (fake = await new FakeOpenAi({ served: ['qwen'] }).start()));
after(() => fake?.stop());

const files = {
  toValue: (fs: { path: string; content: string }[]) => ({
    task_id: 't1',
    files: fs.filter((f) => !f.path.startsWith('tests/')),
    tests: fs.filter((f) => f.path.startsWith('tests/')),
    notes: '',
  }),
};

/** A local model's client asking for file blocks, streamed or not. */
const localFiles = (stream: boolean) =>
  openAiCompatibleClient({
    provider: 'local',
    apiKey: 'none',
    model: 'qwen',
    baseUrl: fake.url,
    stream,
    plainFiles: true,
  });

const askCoder = (client: ReturnType<typeof localFiles>) =>
  client.generateJson({ role: 'coder', system: 's', prompt: 'p', schema: CodeArtifacts, files });

test('a local model is asked for file blocks, without a JSON response format, and its files are checked by the schema', async () => {
  const client = localFiles(false);
  fake.reply({ kind: 'text', text: ANSWER });
  const answer = await askCoder(client);
  assert.deepEqual(
    [...answer.value.files, ...answer.value.tests].map((f) => f.path),
    ['codes/roman.py', 'tests/roman_test.py'],
  );
  const sent = fake.requests.at(-1)!.body;
  assert.equal(sent.response_format, undefined);
  assert.match((sent.messages as { content: string }[])[0]!.content, /FILE: <path>/);

  // Tests only, no code: refused by the schema after one repair request that says so.
  const testsOnly = ANSWER.slice(ANSWER.indexOf('**roman_test.py**'));
  fake.reply({ kind: 'text', text: testsOnly });
  fake.reply({ kind: 'text', text: testsOnly });
  const err = await client
    .generateJson({ role: 'coder', system: 's', prompt: 'p', schema: CodeArtifacts, files })
    .then(() => assert.fail('expected INVALID_AGENT_OUTPUT'))
    .catch((e: unknown) => e as ModelError);
  assert.equal(err.code, 'INVALID_AGENT_OUTPUT');
  assert.match(err.message, /at least one file/);
  assert.match(err.message, /after one repair request/);

  // A JSON provider is still asked for JSON.
  const hosted = openAiCompatibleClient({ apiKey: 'k', model: 'qwen', baseUrl: fake.url });
  fake.reply({ kind: 'json', value: { task_id: 't1', files: [{ path: 'codes/a.py', content: 'x = 1\n' }] } });
  await hosted.generateJson({ role: 'coder', system: 's', prompt: 'p', schema: CodeArtifacts, files });
  assert.equal((fake.requests.at(-1)!.body.response_format as { type: string }).type, 'json_schema');
});

test('an answer whose last file block never closes is asked again: the fence is the only sign of where the file ends', async () => {
  const client = localFiles(true);
  // As the 1.5B single agent answered HumanEval/64: its code, then the test report of its prompt echoed
  // back inside the same unclosed block. Kept as a file, that was a syntax error in 5 attempts.
  const code = 'def vowels(s: str) -> int:\n    return sum(c in "aeiou" for c in s)\n';
  fake.reply({
    kind: 'stream',
    text: `FILE: codes/vowels.py\n\`\`\`python\n${code}\nTests: 0 passed, 0 failed, 1 errors\n---\n`,
  });
  fake.reply({ kind: 'stream', text: `FILE: codes/vowels.py\n\`\`\`python\n${code}\`\`\`\n` });
  const before = fake.requests.length;
  const answer = await askCoder(client);
  assert.deepEqual(answer.value.files, [{ path: 'codes/vowels.py', content: code }]);
  assert.equal(fake.requests.length - before, 2, 'asked again once');
  const repair = (fake.requests.at(-1)!.body.messages as { content: string }[]).at(-1)!.content;
  assert.match(repair, /no file in the asked form/);
});
