import { createTransport, type Transporter } from 'nodemailer';
import type { Notification } from '../core/notification.js';
import type { SmtpConfig } from '../config/types.js';
import { dashboardLink } from './http.js';
import type { ChannelPlugin, ChannelSend } from './types.js';

/**
 * E-mail over SMTP (nodemailer): STARTTLS when the server offers it, or TLS
 * from the start with `secure`. Subject `[Medic P1] <title>`; a plain-text
 * body with the details and a link to the incident.
 */
export const emailChannel: ChannelPlugin<'email'> = {
  type: 'email',
  secrets: (cfg) => (cfg.smtp.password ? [cfg.smtp.password] : []),
  create: (cfg) => createEmailChannel(cfg),
};

export function createEmailChannel(cfg: {
  readonly name: string; readonly smtp: SmtpConfig; readonly from: string; readonly to: readonly string[]; readonly dashboardUrl: string | null; readonly timeoutMs: number;
}): ChannelSend {
  let transport: Transporter | null = null;
  const open = (): Transporter => (transport ??= createTransport({
    host: cfg.smtp.host,
    port: cfg.smtp.port,
    secure: cfg.smtp.secure,
    ...(cfg.smtp.user ? { auth: { user: cfg.smtp.user, pass: cfg.smtp.password ?? '' } } : {}),
    connectionTimeout: cfg.timeoutMs,
    greetingTimeout: cfg.timeoutMs,
    socketTimeout: cfg.timeoutMs,
    // A local relay on 127.0.0.1 often has no certificate for that name; STARTTLS is still used when offered.
    tls: { rejectUnauthorized: cfg.smtp.host !== '127.0.0.1' && cfg.smtp.host !== 'localhost' },
  }));
  return {
    name: cfg.name,
    async send(n, at, signal) {
      const mail = emailMessage(n, at, cfg.dashboardUrl);
      const sending = open().sendMail({ from: cfg.from, to: [...cfg.to], subject: mail.subject, text: mail.text });
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(new Error(`email ${cfg.name}: no answer within the timeout`));
        signal.addEventListener('abort', () => reject(new Error(`email ${cfg.name}: no answer within the timeout`)), { once: true });
      });
      try {
        await Promise.race([sending, aborted]);
      } catch (err) {
        // nodemailer's messages can quote the server's answer to AUTH; keep to its code.
        const code = (err as { code?: unknown; responseCode?: unknown }).code;
        const status = (err as { responseCode?: unknown }).responseCode;
        if (signal.aborted) throw err;
        throw new Error(`email ${cfg.name}: ${typeof code === 'string' ? code : 'failed'}${typeof status === 'number' ? ` (SMTP ${status})` : ''}`);
      }
    },
    close() {
      transport?.close();
      transport = null;
    },
  };
}

export function emailMessage(n: Notification, at: number, dashboardUrl: string | null): { subject: string; text: string } {
  const link = dashboardLink(dashboardUrl, n.incidentId);
  const lines = [
    n.title,
    '',
    `Severity:  ${n.severity}`,
    `Target:    ${n.target ?? '-'}`,
    `Event:     ${n.event}`,
    `At:        ${new Date(at).toISOString()}`,
    ...(n.incidentId ? [`Incident:  ${n.incidentId}`] : []),
    ...(n.executionId ? [`Execution: ${n.executionId}`] : []),
    '',
    n.text,
    ...(link ? ['', link] : []),
  ];
  return { subject: `[Medic ${n.severity}] ${n.title.replace(/[\r\n]+/g, ' ')}`.slice(0, 200), text: `${lines.join('\n')}\n` };
}
