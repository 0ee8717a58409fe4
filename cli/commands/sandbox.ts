import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { provision } from '../../runtime/provision';
import { createDockerSandbox, ensureSandboxImage, janitor } from '../../sandbox';
import { CliError } from '../exit-codes';

const SIZE = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i;

function bytes(text: string): number {
  const m = SIZE.exec(text.trim());
  if (!m) throw new CliError(`--memory ${text}: expected a size such as 512m or 2g`);
  return Math.round(
    Number(m[1]) *
      { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'],
  );
}

async function readTree(dir: string, base = dir): Promise<{ path: string; content: Buffer }[]> {
  const out: { path: string; content: Buffer }[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await readTree(full, base)));
    else if (entry.isFile())
      out.push({
        path: path.relative(base, full).split(path.sep).join('/'),
        content: await fs.readFile(full),
      });
  }
  return out;
}

/** `devcrew sandbox run [--timeout S] [--memory SIZE] <dir> -- <command...>`: one command, one JSON line. */
export function registerSandbox(program: Command): void {
  const sandbox = program.command('sandbox').description('run code in the locked-down Docker sandbox');
  sandbox
    .command('build')
    .description('build the sandbox image (sandbox/Dockerfile on the provisioned base image)')
    .action(async () => {
      const p = await provision({ docker: true, sandboxImage: true });
      const tag = await ensureSandboxImage(p.docker!, p.sandboxBaseImage!, (line) =>
        process.stderr.write(`${line}\n`),
      );
      process.stdout.write(`${tag}\n`);
    });
  sandbox
    .command('run')
    .description("run one command over a folder's files in a fresh sandbox container; prints one JSON line")
    .option('--timeout <seconds>', 'wall-clock limit', '300')
    .option('--memory <size>', 'memory limit (no swap), e.g. 512m', '2g')
    .argument('<dir>', 'folder whose files are copied into the work dir')
    .argument('<command...>', 'the command (after --)')
    .action(async (dir: string, command: string[], o: { timeout: string; memory: string }) => {
      const stat = await fs.stat(dir).catch(() => undefined);
      if (!stat?.isDirectory()) throw new CliError(`${dir} is not a folder`);
      const timeout = Number(o.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0)
        throw new CliError(`--timeout ${o.timeout}: expected seconds > 0`);
      const p = await provision({ docker: true, sandboxImage: true }, { report: () => undefined });
      await janitor(p.docker!);
      const box = createDockerSandbox({
        docker: p.docker!,
        image: await ensureSandboxImage(p.docker!, p.sandboxBaseImage!, () => undefined),
      });
      try {
        const result = await box.run({
          files: await readTree(dir),
          commands: [{ cmd: command.length === 1 ? command[0]! : command, timeoutSeconds: timeout }],
          limits: { memoryBytes: bytes(o.memory), timeoutSeconds: timeout },
        });
        const c = result.commands[0]!;
        process.stdout.write(
          `${JSON.stringify({
            status: c.status,
            exit_code: c.exitCode,
            duration_ms: c.durationMs,
            stdout: c.stdout,
            stderr: c.stderr,
            stdout_truncated: c.stdoutTruncated,
            stderr_truncated: c.stderrTruncated,
          })}\n`,
        );
      } finally {
        await box.close();
      }
    });
}
