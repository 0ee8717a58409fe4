import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ArtifactMetadata } from '../../contracts';
import type { CommitInput } from '../../artifacts';

/** A fresh temporary folder, removed by `cleanup`. */
export async function tempDir(label: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `devcrew-${label}-`));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** Provenance as an agent activity would give it. */
export function provenance(
  overrides: Partial<ArtifactMetadata> = {},
): Omit<ArtifactMetadata, 'artifacts'> & { artifacts?: string[] } {
  return {
    workflow_id: 'wf-sma-1',
    task_id: 'task_coder_001',
    correlation_id: 'corr-xyz789',
    agent_role: 'coder',
    agent_version: '1.0.0',
    prompt_hash: `sha256:${'ab'.repeat(32)}`,
    model_name: 'gemini-2.0-flash',
    timestamp: '2025-11-04T10:00:00Z',
    ...overrides,
  };
}

export function commitInput(
  files: Record<string, string>,
  overrides: Partial<ArtifactMetadata> = {},
  extra: Partial<CommitInput> = {},
): CommitInput {
  return {
    subject: `${overrides.agent_role ?? 'coder'}: ${Object.keys(files).join(', ') || 'no files'}`,
    metadata: provenance(overrides),
    files: Object.entries(files).map(([p, content]) => ({ path: p, content })),
    ...extra,
  };
}

/** Read-only git in a test repository, as a person would inspect it. */
export function git(gitDir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}
