import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The floors of src/ (eslint.config.js, floorZones) hold only while imports resolve: before the
 * .js → .ts alias they matched nothing and reported nothing. Lint a few imports and expect the
 * zone error on each one that runs up a floor or across to a sibling plugin.
 */

const ZONE_RULE = 'import-x/no-restricted-paths';
let eslint: ESLint;

beforeAll(() => {
  // Type information is not what this checks, and a program per snippet would take seconds.
  eslint = new ESLint({
    overrideConfig: [{
      files: ['**/*.ts'],
      languageOptions: { parserOptions: { projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off' },
    }],
  });
});

async function zoneErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const messages = result?.messages ?? [];
  expect(messages.filter((m) => m.fatal)).toEqual([]);
  return messages.filter((m) => m.ruleId === ZONE_RULE).map((m) => m.message);
}

describe('ESLint floors', () => {
  it('forbids an import from a lower floor to a higher one', async () => {
    const errors = await zoneErrors('src/core/snippet.ts', "export { createRemediator } from '../remediation/remediator.js';\n");
    expect(errors).toEqual([expect.stringContaining('src/core is below these folders')]);
  });

  it('forbids a driver importing a plugin', async () => {
    const errors = await zoneErrors('src/drivers/snippet.ts', "export { driftProbe } from '../probes/drift.js';\n");
    expect(errors).toEqual([expect.stringContaining('src/drivers is below these folders')]);
  });

  it.each([
    ['src/probes/snippet.ts', "export { execAction } from '../actions/exec.js';\n", 'src/probes'],
    ['src/actions/snippet.ts', "export { driftProbe } from '../probes/drift.js';\n", 'src/actions'],
    ['src/notify/snippet.ts', "export type { ActionPlugin } from '../actions/types.js';\n", 'src/notify'],
  ])('forbids %s importing a sibling plugin folder', async (file, code, dir) => {
    const errors = await zoneErrors(file, code);
    expect(errors).toEqual([expect.stringContaining(`${dir} may not import its siblings`)]);
  });

  it('lets a plugin import from the floors below it', async () => {
    const code = "export { readFileCapped } from '../drivers/files.js';\nexport { durationParam } from '../core/param-schemas.js';\n";
    expect(await zoneErrors('src/probes/snippet.ts', code)).toEqual([]);
  });
});
