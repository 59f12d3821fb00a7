import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { runbookSchema } from '../runbooks/schema.js';
import { configSchema } from './schema.js';

/**
 * The published JSON Schemas (schemas/*.schema.json), generated from the zod
 * schemas that validate the files, so editors and Medic never disagree. A
 * test fails when the committed files drift; regenerate them with
 * `npm run build && node dist/src/config/json-schema.js [dir]`.
 */
export function jsonSchemas(): Record<string, string> {
  return {
    'medic.schema.json': render(configSchema),
    'runbook.schema.json': render(runbookSchema),
  };
}

function render(schema: z.ZodType): string {
  // io 'input': the schema of what people write (defaults make fields optional).
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Writes the schemas into `dir`; returns the paths written. */
export function writeJsonSchemas(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(jsonSchemas()).map(([name, text]) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of writeJsonSchemas(process.argv[2] ?? 'schemas')) console.log(`wrote ${file}`);
}
