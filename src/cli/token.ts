import type { Command } from 'commander';
import type { TokenView } from '../api/tokens.js';
import { api, connection, printJson, run, withConnection, type ConnectionFlags } from './client.js';
import { ago, table } from './format.js';
import { parseDuration } from '../core/duration.js';

/** `medic token create|list|revoke` (superadmin). The secret is shown once, at creation. */
export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens (superadmin)');
  withConnection(token
    .command('create')
    .description('create a token; prints its secret once')
    .argument('<name>', 'who uses it: shown as the actor in the audit log')
    .requiredOption('--role <role>', 'viewer, operator, admin or superadmin')
    .option('--expires-in <d>', 'e.g. 30d, 12h; default never')
    .option('--json', 'print JSON'))
    .action(async (name: string, opts: ConnectionFlags & { role: string; expiresIn?: string; json?: boolean }) => {
      await run(async () => {
        let expiresAt: number | null = null;
        if (opts.expiresIn) {
          const d = parseDuration(opts.expiresIn);
          if (d === undefined || d <= 0) throw new Error(`--expires-in: "${opts.expiresIn}" is not a duration (12h, 30d)`);
          expiresAt = Date.now() + d;
        }
        const t = await api<TokenView & { token: string }>(connection(opts), 'POST', 'api/v1/tokens', { name, role: opts.role, expiresAt });
        if (opts.json) return printJson(t);
        process.stdout.write(`token ${t.id} "${t.name}" (${t.role}${t.expiresAt ? `, expires ${new Date(t.expiresAt).toISOString()}` : ''}):\n${t.token}\nkeep it now: it is not shown again.\n`);
      });
    });
  withConnection(token.command('list').description('list tokens (never their secrets)').option('--json', 'print JSON'))
    .action(async (opts: ConnectionFlags & { json?: boolean }) => {
      await run(async () => {
        const r = await api<{ items: TokenView[] }>(connection(opts), 'GET', 'api/v1/tokens');
        if (opts.json) return printJson(r);
        process.stdout.write(`${table(['ID', 'NAME', 'ROLE', 'STATE', 'CREATED', 'BY', 'EXPIRES'], r.items.map((t) => [
          t.id, t.name, t.role, t.state, ago(t.createdAt), t.createdBy, t.expiresAt ? new Date(t.expiresAt).toISOString() : 'never',
        ]))}\n`);
      });
    });
  withConnection(token.command('revoke').description('revoke a token').argument('<token-id>').option('--json', 'print JSON'))
    .action(async (id: string, opts: ConnectionFlags & { json?: boolean }) => {
      await run(async () => {
        const t = await api<TokenView>(connection(opts), 'DELETE', `api/v1/tokens/${encodeURIComponent(id)}`);
        if (opts.json) return printJson(t);
        process.stdout.write(`revoked ${t.id} "${t.name}"\n`);
      });
    });
}
