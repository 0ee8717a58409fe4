import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

const ROOT = path.join(__dirname, '../..');

interface Service {
  image: string;
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
