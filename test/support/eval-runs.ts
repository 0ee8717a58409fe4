import { EvalRun } from '../../contracts';

/** One evaluation row for a test: a completed run that passed, one call, a second long; `fields` change it. */
export function evalRun(fields: Partial<EvalRun> = {}): EvalRun {
  return EvalRun.parse({
    run_id: 'r',
    web_ui: null,
    status: 'completed',
    hidden: 'passed',
    passed: true,
    detail: '',
    seconds: 1,
    cost_usd: 0,
    model_calls: 1,
    fix_iterations: 0,
    sandbox_seconds: 0,
    ...fields,
  });
}
