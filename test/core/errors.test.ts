import { describe, expect, it } from 'vitest';
import { ActionError, errorMessage, toActionError } from '../../src/core/errors.js';

describe('ActionError', () => {
  it.each([['timeout', true], ['unavailable', true], ['failed', false], ['invalid_params', false], ['unsafe', false]] as const)(
    '%s is retryable by default: %s',
    (code, want) => {
      expect(new ActionError(code, 'x').retryable).toBe(want);
    },
  );

  it('lets the thrower override retryable and give a delay and a cause', () => {
    const cause = new Error('root');
    const e = new ActionError('failed', 'busy', { retryable: true, retryAfterMs: 500, cause });
    expect(e).toMatchObject({ name: 'ActionError', code: 'failed', message: 'busy', retryable: true, retryAfterMs: 500, cause });
  });
});

describe('toActionError', () => {
  it('passes an ActionError through as it is', () => {
    const e = new ActionError('not_found', 'gone');
    expect(toActionError(e)).toBe(e);
  });

  it('turns an AbortError into a non-retryable aborted', () => {
    const abort = new DOMException('stop', 'AbortError');
    expect(toActionError(abort)).toMatchObject({ code: 'aborted', message: 'aborted', retryable: false, cause: abort });
  });

  it('turns a TimeoutError into a retryable timeout', () => {
    const t = new DOMException('took too long', 'TimeoutError');
    expect(toActionError(t)).toMatchObject({ code: 'timeout', message: 'took too long', retryable: true });
  });

  it('turns any other Error into a non-retryable failure that keeps its message', () => {
    const e = new TypeError('bad');
    expect(toActionError(e)).toMatchObject({ code: 'failed', message: 'bad', retryable: false, cause: e });
  });

  it('turns a thrown non-Error into a failure with its text', () => {
    expect(toActionError('nope')).toMatchObject({ code: 'failed', message: 'nope', retryable: false });
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(new Error('m'))).toBe('m');
  });
});
