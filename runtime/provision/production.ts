import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { exec, findOnPath, tail } from '../../core/exec';
import { ProvisionError } from '../../core/errors';
import type { Report } from '../../core/report';
import { aptInstall } from './docker-engine';
import { ensureTemporalCli } from './temporal-cli';

/** The Temporal server the CLI's dev server pins (CLI 1.5.1 embeds server 1.29.1). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_MODULE = 'go.temporal.io/server';
/** The Web UI server the CLI 1.5.1 dev server embeds. */
export const TEMPORAL_UI_VERSION = 'v2.42.1';
const UI_MODULE = 'github.com/temporalio/ui-server/v2/cmd/server';

export interface ProductionTools {
  version: string;
  /** temporal-server: frontend, history, matching and worker services. */
  server: string;
  /** temporal-sql-tool: creates the databases and applies the versioned schemas. */
  sqlTool: string;
  /** The server module's schema/ folder, copied into the cache dir. */
  schemaDir: string;
  /** The Temporal Web UI server (ui-server). */
  ui: string;
  /** The Temporal CLI (namespace and search attributes). */
  cli: string;
  initdb: string;
  pgCtl: string;
  /** Who owns the PostgreSQL cluster when devcrew runs as root (PostgreSQL refuses root). */
  postgresUser: string;
}

/**
 * What `devcrew setup --production` provisions, each part cached for every clone: the Temporal server and
 * its SQL tool built from the Go module proxy (`go install ...@v1.29.1`, a few minutes once), their
 * schemas, and PostgreSQL (on PATH, under /usr/lib/postgresql, or Debian's package as root).
 */
export async function ensureProductionTools(cacheDir: string, report: Report): Promise<ProductionTools> {
  const dir = path.join(cacheDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const server = path.join(dir, 'temporal-server');
  const sqlTool = path.join(dir, 'temporal-sql-tool');
  const schemaDir = path.join(dir, 'schema');
  if (!fs.existsSync(server) || !fs.existsSync(sqlTool) || !fs.existsSync(schemaDir)) {
    await buildServer(dir, report);
  } else {
    report(`Temporal server: using cached ${server}`);
  }
  const ui = path.join(cacheDir, 'bin', `temporal-ui-server-${TEMPORAL_UI_VERSION}`);
  if (!fs.existsSync(ui)) await buildUi(ui, report);
  const pg = await ensurePostgres(report);
  return {
    version: TEMPORAL_SERVER_VERSION,
    server,
    sqlTool,
    schemaDir,
    ui,
    cli: await ensureTemporalCli(cacheDir, report),
    ...pg,
  };
}

async function buildServer(dir: string, report: Report): Promise<void> {
  const go = await findOnPath('go');
  if (!go) {
    throw new ProvisionError(
      'the production topology needs the Temporal server, built with Go (>= 1.25): install Go and rerun `devcrew setup --production`',
    );
  }
  await fsp.mkdir(path.dirname(dir), { recursive: true });
  const build = await fsp.mkdtemp(`${dir}.build-`);
  const started = Date.now();
  try {
    const env = { ...process.env, GOBIN: build, CGO_ENABLED: '0', GOFLAGS: '-trimpath' };
    for (const pkg of ['cmd/server', 'cmd/tools/sql']) {
      report(
        `Temporal server: go install ${SERVER_MODULE}/${pkg}@${TEMPORAL_SERVER_VERSION} (minutes, once)`,
      );
      const res = await exec(go, ['install', `${SERVER_MODULE}/${pkg}@${TEMPORAL_SERVER_VERSION}`], { env });
      if (res.code !== 0) throw new ProvisionError(`go install ${pkg} failed:\n${tail(res.stderr)}`);
    }
    const modCache = (await exec(go, ['env', 'GOMODCACHE'])).stdout.trim();
    const schema = path.join(modCache, `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema');
    await fsp.cp(schema, path.join(build, 'schema'), { recursive: true });
    await exec('chmod', ['-R', 'u+w', path.join(build, 'schema')]);
    await fsp.rename(path.join(build, 'server'), path.join(build, 'temporal-server'));
    await fsp.rename(path.join(build, 'sql'), path.join(build, 'temporal-sql-tool'));
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.rename(build, dir); // whole, or not at all
  } finally {
    await fsp.rm(build, { recursive: true, force: true });
  }
  report(`Temporal server: built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function buildUi(target: string, report: Report): Promise<void> {
  const go = await findOnPath('go');
  if (!go)
    throw new ProvisionError('the Temporal Web UI server is built with Go (>= 1.25): install Go and rerun');
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const build = await fsp.mkdtemp(`${target}.build-`);
  try {
    report(`Temporal Web UI: go install ${UI_MODULE}@${TEMPORAL_UI_VERSION} (a minute, once)`);
    const res = await exec(go, ['install', `${UI_MODULE}@${TEMPORAL_UI_VERSION}`], {
      env: { ...process.env, GOBIN: build, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
    });
    if (res.code !== 0) throw new ProvisionError(`go install ui-server failed:\n${tail(res.stderr)}`);
    await fsp.rename(path.join(build, 'server'), target);
  } finally {
    await fsp.rm(build, { recursive: true, force: true });
  }
}

async function ensurePostgres(
  report: Report,
): Promise<Pick<ProductionTools, 'initdb' | 'pgCtl' | 'postgresUser'>> {
  const find = async () => {
    const onPath = await findOnPath('initdb');
    if (onPath) return path.dirname(onPath);
    const root = '/usr/lib/postgresql';
    const versions = fs.existsSync(root)
      ? (await fsp.readdir(root)).sort((a, b) => Number(b) - Number(a))
      : [];
    return versions.map((v) => path.join(root, v, 'bin')).find((d) => fs.existsSync(path.join(d, 'initdb')));
  };
  let bin = await find();
  if (!bin) {
    if (process.platform !== 'linux' || process.getuid?.() !== 0 || !fs.existsSync('/etc/debian_version'))
      throw new ProvisionError(
        'PostgreSQL not found: install it (Debian: `apt-get install postgresql`) and rerun',
      );
    report("PostgreSQL: installing Debian's postgresql");
    await aptInstall(['postgresql']);
    bin = await find();
    if (!bin) throw new ProvisionError('apt-get installed postgresql but no initdb was found');
  }
  report(`PostgreSQL: ${bin}`);
  const user = process.getuid?.() === 0 ? 'postgres' : (process.env.USER ?? 'postgres');
  if (process.getuid?.() === 0) {
    const id = await exec('id', ['-u', user]);
    if (id.code !== 0)
      throw new ProvisionError(`running as root needs a "${user}" user to own PostgreSQL's files`);
  }
  return { initdb: path.join(bin, 'initdb'), pgCtl: path.join(bin, 'pg_ctl'), postgresUser: user };
}
