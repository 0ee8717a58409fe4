import { z } from 'zod';

export const TaskEventType = z.enum([
  'TASK_CREATED',
  'TASK_DISPATCHED',
  'TASK_STARTED',
  'TASK_COMPLETED',
  'TASK_FAILED',
  'TASK_SKIPPED',
  'TASK_CANCELLED',
  'APPROVAL_REQUESTED',
  'APPROVAL_DECIDED',
  'ARTIFACT_COMMITTED',
]);
export type TaskEventType = z.infer<typeof TaskEventType>;

/** Something that happened to a task, as the migration plan's message bus carried it. */
export const TaskEvent = z.strictObject({
  event_type: TaskEventType,
  correlation_id: z.string().min(1),
  workflow_id: z.string().min(1),
  task_id: z.string().min(1),
  data: z.record(z.string(), z.unknown()).default({}),
  source: z.string().min(1).describe('Who emitted it: "orchestrator", "architect", ...'),
  timestamp: z.iso.datetime({ offset: true }),
});
export type TaskEvent = z.infer<typeof TaskEvent>;
