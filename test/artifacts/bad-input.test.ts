import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  ArtifactStoreError,
  openArtifactStore,
  type CommitInput,
  type GitArtifactStore,
} from '../../artifacts';
import { commitInput, git, provenance, tempDir } from './helpers';

let store: GitArtifactStore;
let cleanup: () => Promise<void>;
let base: string;
const SECRET = 'AIzaSy-test-secret-value-123';

before(async () => {
  const t = await tempDir('artifacts-bad');
  cleanup = t.cleanup;
  store = await openArtifactStore({
    repoDir: `${t.dir}/repo`,
    maxFileBytes: 1000,
    secrets: [{ variable: 'GEMINI_API_KEY', value: SECRET }],
  });
  base = (await store.commit(commitInput({ 'codes/ok.py': 'OK = 1\n' }, { task_id: 'task_bad' }))).commit;
});
after(() => cleanup());

/** Every ref and every object file: what "nothing half-written" is checked against. */
async function snapshot(): Promise<string> {
  const objects: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
      else objects.push(path.join(dir, e.name));
    }
  };
  await walk(path.join(store.gitDir, 'objects'));
  return `${git(store.gitDir, 'for-each-ref')}\n${objects.sort().join('\n')}`;
}

async function refused(input: CommitInput, code: string, evidence: RegExp): Promise<void> {
  const before = await snapshot();
  await assert.rejects(store.commit(input), (err: unknown) => {
    assert.ok(err instanceof ArtifactStoreError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, evidence);
    assert.ok(err.hint.length > 0);
    return true;
  });
  assert.equal(await snapshot(), before, 'no object or ref was written');
}

const good = { path: 'codes/good.py', content: 'G = 1\n' };
const withFiles = (...files: CommitInput['files']): CommitInput => ({
  subject: 'coder: bad input',
  metadata: provenance({ task_id: 'task_bad' }),
  files: [good, ...files],
});

test('a path that escapes the tree is refused and nothing is written', async () => {
  await refused(
    withFiles({ path: 'codes/../../etc/passwd', content: 'x' }),
    'INVALID_ARTIFACT_PATH',
    /escapes the tree/,
  );
});

test('an absolute path is refused and nothing is written', async () => {
  await refused(
    withFiles({ path: '/etc/passwd', content: 'x' }),
    'INVALID_ARTIFACT_PATH',
    /"\/etc\/passwd" is absolute/,
  );
  await refused(withFiles({ path: 'C:\\temp\\x.py', content: 'x' }), 'INVALID_ARTIFACT_PATH', /is absolute/);
});

test('paths into .git, with empty segments, repeated, or clashing with a folder are refused', async () => {
  await refused(
    withFiles({ path: 'a/.git/hooks/post-commit', content: 'x' }),
    'INVALID_ARTIFACT_PATH',
    /\.git/,
  );
  await refused(
    withFiles({ path: 'a//b.py', content: 'x' }),
    'INVALID_ARTIFACT_PATH',
    /empty or "\." segment/,
  );
  await refused(
    withFiles({ path: 'codes/good.py', content: 'again' }),
    'INVALID_ARTIFACT_PATH',
    /given twice/,
  );
  await refused(
    withFiles({ path: 'codes/ok.py/inner.py', content: 'x' }),
    'INVALID_ARTIFACT_PATH',
    /"codes\/ok\.py" to be a folder/,
  );
});

test('a file over the size limit is refused, naming its size and the limit', async () => {
  await refused(
    withFiles({ path: 'big.txt', content: 'x'.repeat(1001) }),
    'ARTIFACT_TOO_LARGE',
    /1001 bytes \(limit 1000\)/,
  );
});

test('binary content where text is expected is refused', async () => {
  await refused(
    withFiles({ path: 'img.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]) }),
    'ARTIFACT_NOT_TEXT',
    /NUL byte at offset 4/,
  );
  await refused(
    withFiles({ path: 'latin1.txt', content: Buffer.from([0x63, 0x61, 0x66, 0xe9]) }),
    'ARTIFACT_NOT_TEXT',
    /not valid UTF-8/,
  );
});

test('an API key in a file or in the provenance is never committed', async () => {
  await refused(
    withFiles({ path: 'config.py', content: `KEY = "${SECRET}"\n` }),
    'ARTIFACT_CONTAINS_SECRET',
    /file "config\.py" contains the value of GEMINI_API_KEY/,
  );
  await refused(
    { ...withFiles(), metadata: provenance({ task_id: 'task_bad', model_name: `m-${SECRET}` }) },
    'ARTIFACT_CONTAINS_SECRET',
    /commit message .* contains the value of GEMINI_API_KEY/,
  );
});

test('the API keys set in the environment are the secrets a store refuses by default', async () => {
  const saved = process.env.OPENAI_API_KEY;
  process.env.OPENAI_API_KEY = 'sk-from-the-environment-42';
  try {
    const fromEnv = await openArtifactStore({ repoDir: store.repoDir });
    await assert.rejects(
      fromEnv.commit(withFiles({ path: 'leak.txt', content: 'token sk-from-the-environment-42\n' })),
      { code: 'ARTIFACT_CONTAINS_SECRET', message: /OPENAI_API_KEY/ },
    );
  } finally {
    if (saved === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = saved;
  }
});

test('provenance that breaks the ArtifactMetadata contract, or lists files not committed, is refused', async () => {
  await refused(
    { ...withFiles(), metadata: { ...provenance({ task_id: 'task_bad' }), prompt_hash: 'md5:abc' } },
    'INVALID_ARTIFACT_METADATA',
    /prompt_hash/,
  );
  await refused(
    { ...withFiles(), metadata: provenance({ task_id: 'task_bad', artifacts: ['codes/missing.py'] }) },
    'INVALID_ARTIFACT_METADATA',
    /codes\/missing\.py/,
  );
  await refused({ ...withFiles(), subject: 'two\nlines' }, 'INVALID_ARTIFACT_METADATA', /subject/);
});

test('a task id that cannot be a branch name, and a missing parent or file, are refused', async () => {
  await refused(
    { ...withFiles(), metadata: provenance({ task_id: 'a b' }) },
    'INVALID_ARTIFACT_ID',
    /task_id "a b"/,
  );
  await refused({ ...withFiles(), parent: 'f'.repeat(40) }, 'ARTIFACT_NOT_FOUND', /parent commit/);
  await refused(
    { ...withFiles(), remove: ['codes/nope.py'] },
    'ARTIFACT_NOT_FOUND',
    /cannot remove "codes\/nope\.py"/,
  );
  await assert.rejects(store.readFile(base, 'codes/nope.py'), { code: 'ARTIFACT_NOT_FOUND' });
  await assert.rejects(store.readFile(base, '../x'), { code: 'INVALID_ARTIFACT_PATH' });
  await assert.rejects(store.metadataOf('0'.repeat(40)), { code: 'ARTIFACT_NOT_FOUND' });
});

test('the same input without the bad file commits normally', async () => {
  const ref = await store.commit(withFiles());
  assert.deepEqual(await store.listFiles(ref.commit), ['codes/good.py', 'codes/ok.py']);
});
