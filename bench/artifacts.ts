/**
 * What the artifact store costs per agent output on this machine: one commit alone, 50 task commits at
 * once (50 branches), a two-dependency merge and a 50-task integration. Run: node --import tsx bench/artifacts.ts
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openArtifactStore } from '../artifacts';
import type { CommitInput } from '../artifacts';

function input(taskId: string, i: number): CommitInput {
  return {
    subject: `coder: task ${taskId}`,
    metadata: {
      workflow_id: 'bench',
      task_id: taskId,
      correlation_id: `corr-${i}`,
      agent_role: 'coder',
      agent_version: '1.0.0',
      prompt_hash: `sha256:${'0'.repeat(64)}`,
      model_name: 'bench',
      timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    },
    files: [
      { path: `codes/${taskId}.py`, content: `def f_${i}():\n    return ${i}\n`.repeat(20) },
      { path: `tests/test_${taskId}.py`, content: `def test_${i}():\n    assert True\n` },
      { path: `reports/${taskId}.json`, content: JSON.stringify({ i, ok: true }) },
    ],
  };
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-bench-artifacts-'));
  try {
    const store = await openArtifactStore({ repoDir: path.join(dir, 'repo') });
    const sequential: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await store.commit(input(`seq_${i}`, i));
      sequential.push(performance.now() - t);
    }
    sequential.sort((a, b) => a - b);
    let t = performance.now();
    const refs = await Promise.all(Array.from({ length: 50 }, (_, i) => store.commit(input(`par_${i}`, i))));
    const parallel = performance.now() - t;
    t = performance.now();
    await store.commit(input('par_0', 0)); // a retry: found, not made again
    const retry = performance.now() - t;
    t = performance.now();
    await store.prepareTask({ runId: 'bench', taskId: 'merge2', dependencies: refs.slice(0, 2) });
    const merge2 = performance.now() - t;
    t = performance.now();
    const integrated = await store.integrate({ runId: 'bench', refs });
    const integrate50 = performance.now() - t;
    const ms = (n: number): string => `${n.toFixed(0)} ms`;
    if (process.argv.includes('--json')) {
      process.stdout.write(
        `${JSON.stringify({
          commit_median_ms: Math.round(sequential[5]!),
          commits_50_parallel_ms: Math.round(parallel),
          retried_commit_ms: Math.round(retry),
          prepare_merge_2_ms: Math.round(merge2),
          integrate_50_ms: Math.round(integrate50),
          integrated_files: integrated.files.length,
        })}\n`,
      );
      return;
    }
    process.stdout.write(
      [
        `${(await import('node:child_process')).execFileSync('git', ['--version']).toString().trim()}, ${os.cpus().length} cores`,
        `one commit (3 files), median of 10: ${ms(sequential[5]!)}`,
        `50 task commits at once (150 files): ${ms(parallel)} (${ms(parallel / 50)} per commit)`,
        `retried commit found in place: ${ms(retry)}`,
        `prepareTask merging 2 dependencies: ${ms(merge2)}`,
        `integrate 50 task results (${integrated.files.length} files): ${ms(integrate50)}`,
      ].join('\n') + '\n',
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

void main();
