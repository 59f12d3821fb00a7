import { z } from 'zod';
import type { Sample } from '../core/signal.js';
import { certLocationShape, certSource, checkCertLocation, daysLeft, describeSource, readCertificate, type CertReading } from '../drivers/tls.js';
import type { ProbePlugin } from './types.js';

/**
 * tls probe: how many days until a certificate expires, from a live TLS
 * endpoint (host:port, with SNI) or from a PEM file.
 *
 * Emits tls_days_left (float; negative once expired), tls_expired (1/0) and,
 * for an endpoint, tls_up (1 when the handshake worked). An endpoint that
 * does not complete a handshake reports tls_up 0 and nothing else: its
 * expiry is unknown, and a made-up number would clear or fire rules wrongly.
 * How the certificate is read (and why trust is not checked): src/drivers/tls.ts.
 */

export const tlsProbeParams = z.strictObject(certLocationShape).superRefine(checkCertLocation);
export type TlsProbeParams = z.output<typeof tlsProbeParams>;

export const tlsProbe: ProbePlugin<TlsProbeParams> = {
  type: 'tls',
  schema: tlsProbeParams,
  produces: ['tls_days_left', 'tls_expired', 'tls_up'],
  async check(ctx) {
    const src = certSource(ctx.params);
    // A PEM file that cannot be read is a configuration problem: it throws and reads as probe_error.
    if (src.kind === 'pem') return expirySamples(await readCertificate(src, ctx.signal), ctx.clock.now());
    let cert: CertReading;
    try {
      cert = await readCertificate(src, ctx.signal);
    } catch (err) {
      const reason = ctx.signal.aborted ? 'no handshake before the timeout' : err instanceof Error ? err.message : String(err);
      ctx.log.debug({ probe: ctx.probe.name, endpoint: describeSource(src), reason }, 'tls handshake failed');
      return [{ name: 'tls_up', value: 0 }];
    }
    return [{ name: 'tls_up', value: 1 }, ...expirySamples(cert, ctx.clock.now())];
  },
};

export function expirySamples(cert: CertReading, now: number): Sample[] {
  return [
    { name: 'tls_days_left', value: daysLeft(cert.notAfter, now) },
    // notAfter is the last valid instant (RFC 5280): expired only once it has passed.
    { name: 'tls_expired', value: now > cert.notAfter ? 1 : 0 },
  ];
}
