import { describe, expect, it } from 'vitest';
import { redactSecrets, redactString } from '../../src/core/redact.js';

describe('redactSecrets', () => {
  it('replaces the values of secret-named keys at any depth', () => {
    const input = {
      user: 'alice',
      token: 'abc',
      headers: { Authorization: 'Bearer xyz', 'X-Api-Key': 'k1', accept: 'json' },
      db: { password: 'pw', PASSWORD_FILE: '/run/secrets/pw' },
      list: [{ client_secret: 's' }, { apikey: 'k2' }, { api_key: 'k3' }, 'plain'],
      accessToken: { nested: 'object' },
    };
    expect(redactSecrets(input)).toEqual({
      user: 'alice',
      token: '[redacted]',
      headers: { Authorization: '[redacted]', 'X-Api-Key': '[redacted]', accept: 'json' },
      db: { password: '[redacted]', PASSWORD_FILE: '[redacted]' },
      list: [{ client_secret: '[redacted]' }, { apikey: '[redacted]' }, { api_key: '[redacted]' }, 'plain'],
      accessToken: '[redacted]',
    });
  });

  it('masks passwords in URLs wherever they appear in strings', () => {
    expect(redactSecrets('postgres://u:pw@h')).toBe('postgres://u:***@h');
    expect(redactSecrets({ dsn: 'postgres://medic:s3cr3t@db.internal:5432/medic?sslmode=require' })).toEqual({
      dsn: 'postgres://medic:***@db.internal:5432/medic?sslmode=require',
    });
    expect(redactString('failed to reach redis://:hunter2@cache:6379/0 and mysql://root:p@ss@db/x')).toBe(
      'failed to reach redis://:***@cache:6379/0 and mysql://root:***@db/x',
    );
  });

  it('masks a Medic API token wherever it appears', () => {
    const t = 'medic_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';
    expect(redactString(`GET /api/v1/incidents/${t}`)).toBe('GET /api/v1/incidents/[redacted]');
    expect(redactString(`use ${t} for the bot`)).toBe('use [redacted] for the bot');
    expect(redactString('medic_short and medic-demo stay')).toBe('medic_short and medic-demo stay');
  });

  it('leaves URLs without a password alone', () => {
    for (const s of ['https://example.com:8443/health', 'http://user@host/path', 'http://host/a:b@c', 'see https://x.io/a?b=1']) {
      expect(redactString(s)).toBe(s);
    }
  });

  it('masks secret query parameters and bearer tokens inside text', () => {
    expect(redactString('POST https://hooks.example/h?api_key=k&channel=ops#x')).toBe('POST https://hooks.example/h?api_key=[redacted]&channel=ops#x');
    expect(redactString('header was Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig')).toBe('header was Bearer [redacted]');
  });

  it('keeps null and undefined under secret keys: "not set" reveals nothing', () => {
    expect(redactSecrets({ password: null, token: undefined })).toEqual({ password: null, token: undefined });
  });

  it('deep-copies and never mutates its input', () => {
    const input = { a: { password: 'pw', list: [1, { token: 't' }] } };
    const before = structuredClone(input);
    const out = redactSecrets(input);
    expect(input).toEqual(before);
    expect(out.a).not.toBe(input.a);
    expect(out.a.list).not.toBe(input.a.list);
  });

  it('copies non-plain objects as JSON would record them, secrets masked', () => {
    const out = redactSecrets({
      url: new URL('https://bot:tok3n@api.example/x'),
      when: new Date(0),
      err: new Error('connect postgres://u:pw@db failed'),
    });
    expect(out).toEqual({
      url: 'https://bot:***@api.example/x',
      when: '1970-01-01T00:00:00.000Z',
      err: { name: 'Error', message: 'connect postgres://u:***@db failed' },
    });
  });

  it('survives cycles and passes primitives through', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(redactSecrets(cyclic)).toEqual({ name: 'x', self: '[circular]' });
    expect(redactSecrets(42)).toBe(42);
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets(true)).toBe(true);
  });
});
