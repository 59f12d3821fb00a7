import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { z } from 'zod';
import { absolutePath } from '../core/param-schemas.js';
import { readFileCapped } from './files.js';

/**
 * Reading a certificate's validity, from a live TLS endpoint (with SNI) or from a PEM file: what the
 * tls probe measures and what the tls.renew action checks again after renewing.
 *
 * The handshake is made with rejectUnauthorized: false on purpose: this measures expiry, not trust,
 * and an expired or self-signed certificate is exactly what it must still be able to read. Nothing is
 * sent after the handshake. The certificate read is the leaf: the peer's own certificate, or the
 * first one in a PEM file (fullchain.pem starts with the leaf).
 */

const DAY_MS = 86_400_000;
/** A PEM file with a full chain is a few KiB; a bigger file is not a certificate. */
const MAX_PEM_BYTES = 1024 * 1024;

const port = z
  .union([z.number(), z.string().regex(/^\d{1,5}$/, 'must be a port number').transform(Number)])
  .pipe(z.number().int().min(1).max(65535));

/** Where a certificate is read from; shared with the tls.renew action, which checks the same place. */
export const certLocationShape = {
  host: z.string().min(1).regex(/^[^\s/]+$/, 'must be a host name or an IP address').optional(),
  /** Default 443. */
  port: port.optional(),
  /** SNI; default: host, unless host is an IP address (SNI cannot carry one). */
  servername: z.string().min(1).regex(/^[^\s/]+$/, 'must be a host name').optional(),
  pem: absolutePath.optional(),
};

/** The refinement that goes with certLocationShape: a host or a PEM file, never both. */
export function checkCertLocation(
  p: { host?: string | undefined; port?: number | undefined; servername?: string | undefined; pem?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((p.host === undefined) === (p.pem === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give exactly one of host (with port) or pem', path: [] });
  } else if (p.pem !== undefined) {
    for (const key of ['port', 'servername'] as const) {
      if (p[key] !== undefined) ctx.addIssue({ code: 'custom', message: `${key} goes with host, not with pem`, path: [key] });
    }
  }
}

export type CertSource =
  | { readonly kind: 'endpoint'; readonly host: string; readonly port: number; readonly servername: string | undefined }
  | { readonly kind: 'pem'; readonly path: string };

export type CertLocation = z.output<z.ZodObject<typeof certLocationShape>>;

export function certSource(p: CertLocation): CertSource {
  if (p.pem !== undefined) return { kind: 'pem', path: p.pem };
  const host = p.host!;
  return { kind: 'endpoint', host, port: p.port ?? 443, servername: p.servername ?? (isIP(host) === 0 ? host : undefined) };
}

export function describeSource(src: CertSource): string {
  if (src.kind === 'pem') return src.path;
  const addr = isIP(src.host) === 6 ? `[${src.host}]:${src.port}` : `${src.host}:${src.port}`;
  return src.servername !== undefined && src.servername !== src.host ? `${addr} (SNI ${src.servername})` : addr;
}

export interface CertReading {
  /** Epoch ms. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subject: string;
  readonly issuer: string;
  readonly fingerprint256: string;
}

export function daysLeft(notAfter: number, now: number): number {
  return Math.round(((notAfter - now) / DAY_MS) * 1e4) / 1e4;
}

export async function readCertificate(src: CertSource, signal: AbortSignal): Promise<CertReading> {
  const cert = src.kind === 'pem' ? await readPemCertificate(src.path, signal) : await peerCertificate(src, signal);
  return toReading(cert);
}

function toReading(cert: X509Certificate): CertReading {
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (Number.isNaN(notAfter) || Number.isNaN(notBefore)) throw new Error(`unreadable validity dates: ${cert.validFrom} – ${cert.validTo}`);
  return { notBefore, notAfter, subject: cert.subject, issuer: cert.issuer, fingerprint256: cert.fingerprint256 };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/;

async function readPemCertificate(path: string, signal: AbortSignal): Promise<X509Certificate> {
  const { data } = await readFileCapped(path, MAX_PEM_BYTES, { signal });
  const block = PEM_CERT.exec(data.toString('latin1'));
  if (!block) throw new Error(`${path} holds no PEM certificate`);
  return new X509Certificate(block[0]);
}

/** Handshake, take the leaf certificate, hang up. The socket is destroyed on every path, abort included. */
function peerCertificate(src: Extract<CertSource, { kind: 'endpoint' }>, signal: AbortSignal): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const socket = connect({
      host: src.host,
      port: src.port,
      servername: src.servername,
      // We measure expiry, not trust: an expired or self-signed certificate must still be read.
      rejectUnauthorized: false,
    });
    const finish = (fn: () => void): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      fn();
    };
    const onAbort = (): void => finish(() => reject(new Error('aborted before the handshake finished')));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      finish(() => (cert ? resolve(cert) : reject(new Error('the server sent no certificate'))));
    });
    // `on`, not `once`: a second error after destroy() must not go unhandled.
    socket.on('error', (err) => finish(() => reject(err)));
    socket.once('close', () => finish(() => reject(new Error('connection closed before the handshake finished'))));
  });
}
