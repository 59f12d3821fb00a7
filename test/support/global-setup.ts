import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * End-to-end tests run the built CLI and demo service (plain node, as users
 * do). `npm test` builds first; this rebuilds only when dist/ is missing or
 * older than a source file (and the dashboard likewise), so `npx vitest` alone also works.
 */
export default function setup(): void {
  const root = join(import.meta.dirname, '..', '..');
  const built = join(root, 'dist', 'src', 'cli', 'main.js');
  if (!(existsSync(built) && newest(join(root, 'src')) <= statSync(built).mtimeMs && newest(join(root, 'demo')) <= statSync(built).mtimeMs)) {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  }
  // The dashboard (dist/web) is what the engine serves at `/`: the dashboard tests need it current too.
  const page = join(root, 'dist', 'web', 'index.html');
  if (!existsSync(page) || newest(join(root, 'web')) > statSync(page).mtimeMs) {
    execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
      // vitest sets NODE_ENV=test, which would give React's development build.
      cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' },
    });
  }
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
