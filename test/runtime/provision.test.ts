import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BASE_IMAGE_RECIPE, baseImageTag, recipeTag } from '../../runtime/provision/sandbox-image';
import { devcrew } from '../support/cli';
import { freePort } from '../support/ports';

test('devcrew setup on a provisioned machine finds every part and builds nothing', async () => {
  const run = await devcrew(['setup']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /Temporal CLI: using (cached|.* from PATH)/);
  assert.match(run.stderr, /Docker engine: answering/);
  assert.match(run.stderr, new RegExp(`sandbox base image: ${baseImageTag()} is present`));
  assert.doesNotMatch(run.stderr, /building|installing|built/);
  assert.match(run.stdout, /^sandbox image: devcrew-sandbox-base:[0-9a-f]{12}$/m);
});

test('with no Temporal CLI, no cached copy and no Go, setup says how to get one', async () => {
  const emptyCache = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-cache-'));
  try {
    const run = await devcrew(['setup', '--no-docker'], {
      env: { DEVCREW_CACHE_DIR: emptyCache, PATH: '/usr/bin:/bin' },
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no Temporal CLI found: none on PATH, none cached, and no Go toolchain/);
    assert.match(run.stderr, /Install it/);
  } finally {
    await fs.rm(emptyCache, { recursive: true, force: true });
  }
});

test('a DOCKER_HOST that does not answer is named, and nothing else is started', async () => {
  const port = await freePort();
  const run = await devcrew(['setup'], { env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`DOCKER_HOST=tcp://127.0.0.1:${port} does not answer`));
});

test('the base image tag follows its recipe, so a changed recipe builds a new image', () => {
  const changed = {
    ...BASE_IMAGE_RECIPE,
    debootstrap: {
      ...BASE_IMAGE_RECIPE.debootstrap,
      packages: [...BASE_IMAGE_RECIPE.debootstrap.packages, 'black'],
    },
  };
  assert.equal(recipeTag(BASE_IMAGE_RECIPE), baseImageTag());
  assert.notEqual(recipeTag(changed), baseImageTag());
  assert.match(recipeTag(changed), /^devcrew-sandbox-base:[0-9a-f]{12}$/);
});
