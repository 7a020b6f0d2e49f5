// The API server's audit log (test/env writes every request's metadata as JSON lines): what an identity
// asked of the API server, so tests count an operator's requests instead of trusting its own metrics.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

export interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  requestReceivedTimestamp: string;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export const isWrite = (e: AuditEvent): boolean => WRITE_VERBS.has(e.verb);

function eventsOf(lines: string[], username: string): AuditEvent[] {
  return lines
    .filter((l) => l.includes(username))
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete' && e.user.username === username);
}

/** Writes in these namespaces since `since`. */
export function writesIn(events: AuditEvent[], namespaces: string[], since: Date): AuditEvent[] {
  const ns = new Set(namespaces);
  return events.filter(
    (e) =>
      isWrite(e) && ns.has(e.objectRef?.namespace ?? '') && new Date(e.requestReceivedTimestamp) >= since,
  );
}

/** Every completed request of `username` in the log so far. */
export function auditEvents(auditLog: string, username: string): AuditEvent[] {
  return eventsOf(readFileSync(auditLog, 'utf8').split('\n'), username);
}

/**
 * Follows the audit log from its current end: each call returns `username`'s requests appended since the
 * last call. Reading only what was appended keeps a poll at a millisecond or two, fast enough to act
 * between two writes.
 */
export function followAudit(auditLog: string, username: string): () => AuditEvent[] {
  let offset = statSync(auditLog).size;
  let partial = '';
  return () => {
    const size = statSync(auditLog).size;
    // The API server rotates the log at --audit-log-maxsize: a shorter file is a new one.
    if (size < offset) offset = 0;
    if (size === offset) return [];
    const buf = Buffer.alloc(size - offset);
    const fd = openSync(auditLog, 'r');
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    offset = size;
    const lines = (partial + buf.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    return eventsOf(lines, username);
  };
}
