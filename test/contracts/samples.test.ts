import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DOCUMENT_TYPE_NAMES, jsonSchemaOf, validateDocumentText, type DocumentType } from '../../contracts';

const SAMPLES = path.join(__dirname, '../../contracts/samples');
const sampleFor: Record<DocumentType, string> = {
  todo: 'todo_list.json',
  contract: 'contract.json',
  'code-artifacts': 'code_artifacts.json',
  'build-report': 'build_report.json',
  'test-report': 'test_report.json',
  'task-event': 'task_event.json',
  'artifact-metadata': 'artifact_metadata.json',
};

for (const type of DOCUMENT_TYPE_NAMES) {
  test(`the shipped ${type} sample validates, and breaking one field makes it invalid`, () => {
    const text = fs.readFileSync(path.join(SAMPLES, sampleFor[type]), 'utf8');
    const result = validateDocumentText(type, text);
    assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems));

    const broken = { ...(JSON.parse(text) as Record<string, unknown>), unexpected_field: 1 };
    const again = validateDocumentText(type, JSON.stringify(broken));
    assert.equal(again.ok, false);
  });

  test(`the ${type} JSON Schema export is a draft 2020-12 object schema listing its required fields`, () => {
    const schema = jsonSchemaOf(type);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.type, 'object');
    assert.ok(Array.isArray(schema.required) && schema.required.length > 0);
  });
}

test('the artifact metadata contract has exactly the fields of the migration plan', () => {
  const schema = jsonSchemaOf('artifact-metadata') as { properties: Record<string, unknown> };
  assert.deepEqual(Object.keys(schema.properties).sort(), [
    'agent_role',
    'agent_version',
    'artifacts',
    'correlation_id',
    'model_name',
    'prompt_hash',
    'task_id',
    'timestamp',
    'workflow_id',
  ]);
});
