import { pino, type Logger } from 'pino';

/** Keys whose values are secrets; pino replaces them wherever they appear in a log record. */
export const REDACT_PATHS = [
  'token', 'password', 'secret', 'authorization', 'headers.authorization',
  '*.token', '*.password', '*.secret', '*.authorization',
];

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { level: opts.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    opts.destination ?? process.stderr,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
