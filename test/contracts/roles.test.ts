import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROLES, TODO_ROLES, TodoItem, type RoleSpec } from '../../contracts';
import { promptFor } from '../../prompts';

test("the Planner's prompt lists the roles a TodoList may name, each as contracts/roles.ts describes it", () => {
  const text = promptFor('planner').text;
  assert.doesNotMatch(text, /\{\{roles\}\}/, 'the placeholder is filled');
  for (const role of TODO_ROLES) {
    const spec = ROLES[role] as RoleSpec;
    assert.ok(spec.forPlanner, `${role} says what the Planner should know of it`);
    assert.ok(text.includes(`- "${role}": ${spec.forPlanner}`), `${role} is listed`);
  }
  // A role outside TodoLists is not offered, and every listed role is one a task may have.
  assert.ok(!text.includes('- "single-agent"'));
  assert.ok(!text.includes('- "planner"'));
  for (const m of text.matchAll(/^- "([\w-]+)": /gm))
    assert.ok(TodoItem.shape.agent_role.safeParse(m[1]).success, `${m[1]} is a TodoList role`);
});
