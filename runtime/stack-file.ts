import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../core/files';

/** What a running `devcrew up` tells the commands that talk to it: where its parts listen. */
export interface StackFile {
  address: string;
  web_ui_url?: string;
  api_url?: string;
  pid: number;
}

const NAME = 'stack.json';

/** Written when the stack is up (atomically), removed when it stops. */
export async function writeStackFile(
  stateDir: string,
  stack: Omit<StackFile, 'pid'>,
): Promise<() => Promise<void>> {
  const file = path.join(stateDir, NAME);
  await writeFileAtomic(file, `${JSON.stringify({ ...stack, pid: process.pid }, null, 2)}\n`);
  return async () => {
    const current = await readStackFile(stateDir);
    if (current?.pid === process.pid) await fs.rm(file, { force: true });
  };
}

/** The running stack's file, when its process is still alive. */
export async function readStackFile(stateDir: string): Promise<StackFile | undefined> {
  let parsed: StackFile;
  try {
    parsed = JSON.parse(await fs.readFile(path.join(stateDir, NAME), 'utf8')) as StackFile;
  } catch {
    return undefined;
  }
  try {
    process.kill(parsed.pid, 0);
  } catch {
    return undefined; // left by a stack that died
  }
  return parsed;
}
