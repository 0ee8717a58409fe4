import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ENV_VARIABLES } from '../../core/config';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

const ROOT = path.join(__dirname, '../..');

interface Service {
  image: string;
  environment?: Record<string, string>;
  build?: unknown;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.temporal.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

/** The README's table of the compose services: | service | image | host ports | volume | */
function readmeTable(): { service: string; image: string; ports: string; volume: string }[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('<!-- compose-services -->')[1];
  assert.ok(section, 'the README has a compose services table');
  const table = section.trimStart().split('\n\n')[0]!;
  return table
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) => {
      const [service, image, ports, volume] = l
        .split('|')
        .slice(1, 5)
        .map((c) => c.trim().replace(/`/g, ''));
      return { service: service!, image: image!, ports: ports!, volume: volume! };
    });
}

test('the compose file parses and runs Temporal on PostgreSQL with the Web UI and admin tools', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), [
    'devcrew-api',
    'devcrew-git',
    'devcrew-model',
    'devcrew-worker',
    'postgresql',
    'temporal',
    'temporal-admin-tools',
    'temporal-search-attributes',
    'temporal-ui',
  ]);
  assert.match(compose.services.temporal!.image, /^temporalio\/auto-setup:1\.29\./);
  assert.equal(compose.services.temporal!.depends_on?.postgresql?.condition, 'service_healthy');
});

test('every long-running service has a health check and PostgreSQL keeps its data in a named volume', () => {
  for (const name of ['postgresql', 'temporal', 'temporal-ui']) {
    assert.ok(compose.services[name]!.healthcheck?.test.length, `${name} has a health check`);
  }
  assert.ok('temporal-postgres' in compose.volumes);
  assert.ok(compose.services.postgresql!.volumes?.includes('temporal-postgres:/var/lib/postgresql/data'));
});

test('the services, images, ports and volumes are the ones the README lists', () => {
  const rows = readmeTable();
  assert.deepEqual(rows.map((r) => r.service).sort(), Object.keys(compose.services).sort());
  for (const row of rows) {
    const service = compose.services[row.service]!;
    assert.equal(row.image, service.image, `image of ${row.service}`);
    const hostPorts = (service.ports ?? []).map((p) => p.split(':')[0]).join(', ') || '-';
    assert.equal(row.ports, hostPorts, `host ports of ${row.service}`);
    const volumes = (service.volumes ?? []).map((v) => v.split(':')[0]).join(', ') || '-';
    assert.equal(row.volume, volumes, `volumes of ${row.service}`);
  }
});

test('the compose server registers the same search attributes as the embedded one', () => {
  const command = compose.services['temporal-search-attributes']!.command!.join(' ');
  for (const key of SEARCH_ATTRIBUTES) assert.match(command, new RegExp(`--name ${key.name} --type \\w+`));
  const registered = [...command.matchAll(/--name (\w+)/g)].map((m) => m[1]);
  assert.equal(registered.length, SEARCH_ATTRIBUTES.length);
});

test('the dynamic config file the server mounts exists', () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'deploy/temporal/dynamicconfig/devcrew.yaml')));
});

const run = promisify(execFile);

test('docker compose accepts the file, and refuses it without the API or the Git server token, naming the variable', async () => {
  const file = path.join(ROOT, 'docker-compose.temporal.yml');
  const tokens = { DEVCREW_API_TOKEN: 'a-long-random-token', DEVCREW_GIT_SERVER_TOKEN: 'another-long-token' };
  const ok = await run('docker', ['compose', '-f', file, 'config', '--quiet'], {
    env: { ...process.env, ...tokens },
  });
  assert.equal(ok.stderr.trim(), '');
  for (const missing of Object.keys(tokens)) {
    const refused = await run('docker', ['compose', '-f', file, 'config', '--quiet'], {
      env: { ...process.env, ...tokens, [missing]: '' },
    }).then(
      () => '',
      (e: { stderr: string }) => e.stderr,
    );
    assert.match(refused, new RegExp(missing));
  }
});

test('workers share no volume: their artifacts go through the Git server, which keeps its own', () => {
  const worker = compose.services['devcrew-worker']!;
  assert.deepEqual(worker.volumes, ['/var/run/docker.sock:/var/run/docker.sock']);
  assert.equal(worker.environment?.DEVCREW_ARTIFACTS_SERVER_URL, 'http://devcrew-git:8418/artifacts.git');
  assert.equal(worker.depends_on?.['devcrew-git']?.condition, 'service_healthy');
  const git = compose.services['devcrew-git']!;
  assert.deepEqual(git.command, ['git-server']);
  assert.ok(git.volumes?.includes('devcrew-git:/var/lib/devcrew'));
  assert.ok(git.healthcheck?.test.length);
});

test("devcrew's services run commands the CLI has, with variables devcrew reads, from the Dockerfile", async () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /ENTRYPOINT \["node", "bin\/devcrew\.js"\]/);
  assert.match(dockerfile, /npm ci --omit=dev/);
  const known = new Set([...ENV_VARIABLES, 'DOCKER_HOST', 'DEVCREW_API_TOKEN']);
  for (const name of ['devcrew-api', 'devcrew-git', 'devcrew-model', 'devcrew-worker']) {
    const service = compose.services[name]!;
    assert.equal(service.image, 'devcrew:local');
    const help = await run(process.execPath, [
      path.join(ROOT, 'bin', 'devcrew.js'),
      ...service.command!,
      '--help',
    ]);
    assert.match(help.stdout, /^Usage: devcrew /, `${name}: devcrew ${service.command!.join(' ')}`);
    for (const key of Object.keys(service.environment ?? {}))
      assert.ok(known.has(key), `${name} sets ${key}, which devcrew does not read`);
  }
  assert.ok(compose.services['devcrew-api']!.build, 'the API service builds the image');
});
