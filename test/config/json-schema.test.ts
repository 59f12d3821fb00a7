import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../../src/config/json-schema.js';

describe('published JSON Schemas', () => {
  // When this fails: `npm run build && node dist/src/config/json-schema.js` and commit schemas/.
  it.each(Object.entries(jsonSchemas()))('schemas/%s equals what the zod schemas generate', (name, text) => {
    expect(readFileSync(`schemas/${name}`, 'utf8')).toBe(text);
  });

  it('describes strict objects, defaults and the recursive condition', () => {
    const runbook = JSON.parse(jsonSchemas()['runbook.schema.json']!) as Record<string, unknown> & {
      properties: Record<string, { default?: unknown }>; required: string[]; $defs: Record<string, unknown>;
    };
    expect(runbook.additionalProperties).toBe(false);
    expect(runbook.required).toEqual(['name', 'description', 'match', 'risk', 'impact', 'rollback_plan']);
    expect(runbook.properties.approval!.default).toBe('by_severity');
    expect(Object.keys(runbook.$defs)).toEqual(expect.arrayContaining(['Condition', 'Step']));
    const config = JSON.parse(jsonSchemas()['medic.schema.json']!) as { additionalProperties: boolean };
    expect(config.additionalProperties).toBe(false);
  });
});
