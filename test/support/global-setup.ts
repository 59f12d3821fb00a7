import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * End-to-end tests run the built CLI and demo service (plain node, as users
 * do). `npm test` builds first; this rebuilds only when dist/ is missing or
 * older than a source file, so `npx vitest` alone also works.
 */
export default function setup(): void {
  const root = join(import.meta.dirname, '..', '..');
  const built = join(root, 'dist', 'src', 'cli', 'main.js');
  if (existsSync(built) && newest(join(root, 'src')) <= statSync(built).mtimeMs && newest(join(root, 'demo')) <= statSync(built).mtimeMs) return;
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
