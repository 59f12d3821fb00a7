/**
 * The API's one error catalogue: stable codes, the right status, and a body
 * `{error: {code, message, details}}` for every failure.
 */
export const API_ERRORS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  internal: 500,
  unavailable: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly code: ApiErrorCode, message: string, readonly details: unknown = null) {
    super(message);
  }

  get status(): number {
    return API_ERRORS[this.code];
  }

  toBody(): { error: { code: string; message: string; details: unknown } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** Codes the engine's operations throw (OperationError, ApprovalError) that the API passes on as they are. */
const ENGINE_CODES = new Set<string>(['not_found', 'conflict', 'bad_request', 'forbidden']);

/**
 * Any thrown value as an ApiError: ours, the engine's coded errors, Fastify's
 * own (bad JSON, content type, body size), and anything else as a 500 that
 * reveals nothing about the inside.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; statusCode?: unknown; details?: unknown };
    if ((e.name === 'OperationError' || e.name === 'ApprovalError') && typeof e.code === 'string' && ENGINE_CODES.has(e.code)) {
      return new ApiError(e.code as ApiErrorCode, e.message, e.details ?? null);
    }
    const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return new ApiError('payload_too_large', 'request body is larger than the limit');
    if (e.code === 'FST_ERR_MAX_PARAM_LENGTH' || status === 414) return new ApiError('uri_too_long', 'a path segment is longer than allowed');
    if (e.code === 'FST_ERR_BAD_URL') return new ApiError('bad_request', 'the URL is not valid (bad percent-encoding?)');
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return new ApiError('unsupported_media_type', 'unsupported content type: send application/json');
    if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new ApiError('bad_request', 'body: empty, but content-type is application/json; send {}', { in: 'body' });
    if (err instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return new ApiError('bad_request', `body: not valid JSON (${e.message.slice(0, 200)})`, { in: 'body' });
    }
    if (status === 404) return new ApiError('not_found', e.message.slice(0, 200));
    if (status >= 400 && status < 500) return new ApiError('bad_request', e.message.slice(0, 200));
  }
  return new ApiError('internal', 'internal error');
}
