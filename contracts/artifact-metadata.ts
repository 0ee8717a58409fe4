import { z } from 'zod';
import { ROLE_NAMES } from './roles';

/** Provenance of one committed agent output: exactly the migration plan's metadata format. */
export const ArtifactMetadata = z.strictObject({
  workflow_id: z.string().min(1),
  task_id: z.string().min(1),
  correlation_id: z.string().min(1),
  agent_role: z.enum(ROLE_NAMES),
  agent_version: z.string().min(1),
  prompt_hash: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'expected "sha256:" followed by 64 lowercase hex digits'),
  model_name: z.string().min(1),
  timestamp: z.iso.datetime({ offset: true }),
  artifacts: z.array(z.string().min(1)),
});
export type ArtifactMetadata = z.infer<typeof ArtifactMetadata>;

/** What crosses Temporal instead of file content: where the content lives in the artifact store. */
export const ArtifactRef = z.strictObject({
  branch: z.string().min(1),
  commit: z.string().regex(/^[0-9a-f]{40}$/, 'expected a full 40-digit commit SHA'),
  paths: z.array(z.string()),
});
export type ArtifactRef = z.infer<typeof ArtifactRef>;
