/**
 * Thrown when an update names a record that does not exist: a silent no-op
 * would hide a caller's bug (an execution updated before it was inserted).
 * `code` lets the API map it to 404 without reading the message.
 */
export class RecordNotFoundError extends Error {
  override readonly name = 'RecordNotFoundError';
  readonly code = 'not_found';

  constructor(readonly table: string, readonly id: string) {
    super(`${table}: no record with id ${id}`);
  }
}
