import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', '.medic/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    // Our sources import './x.js' for './x.ts' (NodeNext): without the alias no import resolves,
    // and the cycle and floor rules below would check nothing.
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { maxDepth: 3 }],
    },
  },
  {
    // The floors of src/, lowest first (README "Development"): a folder imports only from its own
    // floor and the ones below it, so no arrow runs back up; on an isolated floor, not even from its
    // own. test/lint/floors.test.ts keeps these zones from silently matching nothing.
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: floorZones() }],
      // A status moves only through the store's move() (src/core/execution.ts, src/core/incident.ts check the table).
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.property.name='update'] > ObjectExpression > Property[key.name='status']",
        message: 'A status is written only by store.executions.move / store.incidents.move, which apply the core transition table.',
      }],
    },
  },
  {
    // The core is pure: no I/O, no other layer, no ambient time or randomness.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['../*/**', '!../core/**'], message: 'src/core imports nothing from other layers.' },
          { group: ['node:*', 'fs', 'child_process', 'net', 'http', 'https'], message: 'src/core does no I/O.' },
        ],
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Take the time from an injected Clock.' },
        { object: 'Math', property: 'random', message: 'Take randomness as an argument.' },
      ],
    },
  },
);

/**
 * Lowest first. Each entry is one floor: its folders, and `isolated` when they may not import each
 * other either (the plugins: a probe, an action and a channel share helpers from a floor below, never
 * from each other). core: pure domain. drivers: the machine (clock, ids, log, database and HTTP
 * sessions, files, programs, certificates).
 */
export function floorZones() {
  const floors = [
    { dirs: ['core'] },
    { dirs: ['drivers'] },
    { dirs: ['config', 'runbooks', 'audit'] },
    { dirs: ['store'] },
    { dirs: ['supervisor', 'intake'] },
    { dirs: ['probes', 'actions', 'notify'], isolated: true },
    { dirs: ['executor'] },
    { dirs: ['incidents'] },
    { dirs: ['remediation'] },
    { dirs: ['views'] },
    { dirs: ['engine'] },
    { dirs: ['metrics', 'api'] },
    { dirs: ['cli'] },
  ];
  const zones = [];
  floors.forEach((floor, i) => {
    const above = floors.slice(i + 1).flatMap((f) => f.dirs);
    for (const dir of floor.dirs) {
      if (above.length > 0) {
        zones.push({
          target: `./src/${dir}`,
          from: above.map((d) => `./src/${d}`),
          message: `src/${dir} is below these folders: it may not import from them (eslint.config.js, floorZones).`,
        });
      }
      const siblings = floor.isolated ? floor.dirs.filter((d) => d !== dir) : [];
      if (siblings.length > 0) {
        zones.push({
          target: `./src/${dir}`,
          from: siblings.map((d) => `./src/${d}`),
          message: `src/${dir} may not import its siblings on one floor: move what they share below (eslint.config.js, floorZones).`,
        });
      }
    }
  });
  return zones;
}
