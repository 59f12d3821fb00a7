/**
 * The one error an engine operation throws when a caller asked for something
 * it cannot have: the API maps `code` to an HTTP status (404, 409, 400, 403)
 * and shows `message` and `details` as they are, so both are written for the
 * person who made the request and never carry secrets.
 */
export type OperationErrorCode = 'not_found' | 'conflict' | 'bad_request' | 'forbidden';

export class OperationError extends Error {
  override readonly name: string = 'OperationError';

  constructor(
    readonly code: OperationErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export function isOperationError(err: unknown): err is OperationError {
  return err instanceof OperationError;
}
