import type { Command } from 'commander';

export const FAULTS = ['crash', 'hang', 'errors', 'latency', 'cpu', 'leak', 'stop-all'] as const;

export function registerFault(program: Command): void {
  program
    .command('fault')
    .description(`inject a fault into the demo service: ${FAULTS.join(', ')}`)
    .argument('<kind>', 'which fault')
    .option('--demo-url <url>', 'the demo service (env MEDIC_DEMO_URL)', process.env['MEDIC_DEMO_URL'] ?? 'http://127.0.0.1:7071')
    .option('--rate <ratio>', 'errors: fraction of requests that fail', '0.5')
    .option('--ms <ms>', 'latency: added delay per request', '800')
    .option('--mb-per-s <mb>', 'leak: growth rate', '5')
    .option('--duration <s>', 'errors/latency/cpu: how long, in seconds', '30')
    .option('--block', 'hang: block the event loop instead of leaving requests unanswered')
    .action(async (kind: string, opts: { demoUrl: string; rate: string; ms: string; mbPerS: string; duration: string; block?: boolean }) => {
      if (!(FAULTS as readonly string[]).includes(kind)) {
        process.stderr.write(`medic: unknown fault "${kind}"; one of ${FAULTS.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      const q = new URLSearchParams();
      if (kind === 'errors') q.set('rate', opts.rate);
      if (kind === 'latency') q.set('ms', opts.ms);
      if (kind === 'leak') q.set('mb_per_s', opts.mbPerS);
      if (['errors', 'latency', 'cpu'].includes(kind)) q.set('duration', opts.duration);
      if (kind === 'hang' && opts.block) q.set('block', '1');
      const url = `${opts.demoUrl.replace(/\/$/, '')}/fault/${kind}${q.size ? `?${q}` : ''}`;
      try {
        const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(5_000) });
        process.stdout.write(`injected ${kind} (${res.status}): ${url}\n`);
      } catch (err) {
        // A crash may close the connection before answering: that is the fault working.
        if (kind === 'crash') process.stdout.write(`injected crash: ${url}\n`);
        else {
          process.stderr.write(`medic: cannot reach the demo service at ${opts.demoUrl}: ${(err as Error).message}\n`);
          process.exitCode = 1;
        }
      }
    });
}
