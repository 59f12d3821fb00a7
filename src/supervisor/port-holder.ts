import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Clock } from '../core/clock.js';

/**
 * Who holds a TCP port. A supervised service that cannot bind its port exits,
 * but a readiness check on that port is answered by whoever does hold it: the
 * start would look fine while the service is down. So the supervisor asks
 * before it spawns, and after readiness checks that the answer came from its
 * own process group.
 *
 * `portInUse` is a bind test and works everywhere; naming the holder reads
 * /proc (Linux) and is best effort: processes of other users are not visible
 * without privileges, and elsewhere the holder is simply not named.
 */

export interface PortHolder {
  readonly pid: number;
  /** The process name the kernel reports (`comm`), e.g. "node". */
  readonly command: string | null;
}

/**
 * Whether something listens on `port` on any local address. Unknown (no permission, ...) counts as
 * free: the child will say.
 */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    // No host: the unspecified address (dual-stack where IPv6 exists), which collides with a holder on any address.
    probe.listen({ port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

/** "held by pid 1234 (node)", or "held by another process" when /proc does not say. */
export function describeHolder(holder: PortHolder | null): string {
  if (!holder) return 'held by another process';
  return `held by pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`;
}

/** The first process found holding a listening socket on `port`, or null when none can be seen. */
export async function findPortHolder(port: number): Promise<PortHolder | null> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return null;
  const pid = await pidHolding(inodes);
  return pid === null ? null : { pid, command: await readCommand(pid) };
}

/**
 * Whether the process group `pgid` holds the listening socket on `port`.
 * 'unknown' when no listener can be seen at all (not Linux, or not
 * permitted): then nothing contradicts the readiness check.
 */
export async function groupHoldsPort(
  port: number, pgid: number,
): Promise<{ holds: boolean | 'unknown'; holder: PortHolder | null }> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return { holds: 'unknown', holder: null };
  // The usual case, and cheap: the group's leader holds the socket itself.
  if (await holdsAny(pgid, inodes)) return { holds: true, holder: null };
  const pid = await pidHolding(inodes);
  if (pid === null) return { holds: 'unknown', holder: null };
  if ((await readPgid(pid)) === pgid) return { holds: true, holder: null };
  return { holds: false, holder: { pid, command: await readCommand(pid) } };
}

/** Inodes of the sockets in LISTEN state on `port`, from the kernel's tables (IPv4 and IPv6). */
export async function listeningInodes(port: number): Promise<Set<string>> {
  const found = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readOrNull(table);
    if (text !== null) for (const inode of parseListening(text, port)) found.add(inode);
  }
  return found;
}

const LISTEN = '0A';

/** Lines look like `0: 0100007F:1F90 00000000:0000 0A ... uid timeout inode ...`; the port is hex. */
export function parseListening(table: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (!local || f[3] !== LISTEN) continue;
    const hexPort = local.slice(local.lastIndexOf(':') + 1);
    if (Number.parseInt(hexPort, 16) === port && f[9] && f[9] !== '0') inodes.push(f[9]);
  }
  return inodes;
}

async function pidHolding(inodes: ReadonlySet<string>): Promise<number | null> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (await holdsAny(pid, inodes)) return pid;
  }
  return null;
}

async function holdsAny(pid: number, inodes: ReadonlySet<string>): Promise<boolean> {
  // Another user's process: its fds cannot be read, and it is skipped.
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (link.startsWith('socket:[') && inodes.has(link.slice(8, -1))) return true;
  }
  return false;
}

async function readCommand(pid: number): Promise<string | null> {
  const comm = await readOrNull(`/proc/${pid}/comm`);
  return comm === null ? null : comm.trim() || null;
}

async function readPgid(pid: number): Promise<number | null> {
  const stat = await readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The name (field 2) may hold spaces and parentheses: count from the last ')'. Then state, ppid, pgrp.
  const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  return Number.isInteger(pgrp) ? pgrp : null;
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

const RELEASE_POLL_MS = 20;

/**
 * null when `port` is free, or frees up within `waitMs`; otherwise who holds it ("held by pid 1234
 * (node)"). The wait is for a process group of our own that is still on its way out.
 */
export async function portTakenAfter(
  port: number, waitMs: number, clock: Clock, signal: AbortSignal,
): Promise<string | null> {
  const deadline = clock.now() + waitMs;
  while (await portInUse(port)) {
    if (clock.now() >= deadline) return describeHolder(await findPortHolder(port));
    await clock.sleep(RELEASE_POLL_MS, signal);
  }
  return null;
}

/** Who holds the listening socket on `port` if it is outside process group `pgid`; null if not, or unknown. */
export async function foreignPortHolder(port: number, pgid: number): Promise<string | null> {
  const { holds, holder } = await groupHoldsPort(port, pgid);
  return holds === false ? describeHolder(holder) : null;
}
