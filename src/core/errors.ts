/**
 * The error taxonomy of actions and probes. Retry is data: the executor reads
 * `retryable` and `retryAfterMs`, it never inspects messages.
 */
export type ActionErrorCode =
  | 'timeout'
  | 'aborted'
  | 'invalid_params'
  | 'not_found'
  | 'unavailable'
  | 'failed'
  | 'unsafe';

export class ActionError extends Error {
  override readonly name = 'ActionError';
  readonly code: ActionErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ActionErrorCode,
    message: string,
    opts: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.code = code;
    this.retryable = opts.retryable ?? (code === 'timeout' || code === 'unavailable');
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Every catch starts here: whatever was thrown becomes an ActionError. */
export function toActionError(err: unknown): ActionError {
  if (err instanceof ActionError) return err;
  if (err instanceof Error) {
    if (err.name === 'AbortError') return new ActionError('aborted', 'aborted', { cause: err, retryable: false });
    if (err.name === 'TimeoutError') return new ActionError('timeout', err.message, { cause: err });
    return new ActionError('failed', err.message, { cause: err, retryable: false });
  }
  return new ActionError('failed', String(err), { retryable: false });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
