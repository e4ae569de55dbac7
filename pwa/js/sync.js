// The sync client. It keeps sync/client.py's rules (docs/sync-protocol.md):
// - an op is written durably to the outbox, with the next seq, before anything else happens;
// - push sends pending ops strictly in seq order, one request at a time, and stops at the first
//   failure; an op leaves the outbox only when a push carried it and the server's `last_seq`
//   covers it (a pull never removes one);
// - rejected ops are kept with the server's code and message, and shown;
// - pull applies a page and stores its cursor in one local transaction; `reset` drops the
//   replica (never the outbox);
// - acknowledged ops move to a journal (`sent`) kept for KEEP_SENT_DAYS: when a server restored
//   from a backup has lost ops it had acknowledged (a push answered `seq_gap`, or a pull whose
//   `last_seq` is below the newest journalled op), they go back into the outbox and are sent again;
// - it runs on start-up, on `online`, when the app becomes visible, on a timer, after each new op
//   and on the server's live hint — not on Background Sync, which Safari and Firefox lack.
// Network calls always happen between IndexedDB transactions, never inside one.

import * as db from './db.js';
import { postJson, putBlob, ProtocolError, TransientError } from './api.js';
import { HintStream } from './hints.js';
import { toRecord } from './replica.js';
import { APP_VERSION } from './version.js';

export const PROTOCOL = 1;
const PUSH_BATCH = 200; // the server takes up to 1,000 ops and 1 MiB a request
const PULL_LIMIT = 1000;
const TIMER_MS = 30000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60000;
const KEEP_SENT_DAYS = 14;

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; // RFC 9562 version 4
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Note the server's write checkpoint (inside the caller's transaction). Only a push's answer drops
 * ops, and only those it carried (`removeUpTo`): an op the server took while an earlier answer was
 * lost may have been rejected, and the device learns why only by pushing it again (the server
 * answers `duplicate` with the original code). A pull never drops an op. Dropped ops move to the
 * journal (`sent`, kept KEEP_SENT_DAYS days), to be sent again to a server restored from a backup.
 */
async function acknowledge(s, lastSeq, removeUpTo = 0) {
  if (removeUpTo > 0) {
    const now = new Date();
    for (const op of await s.outbox.getAll(IDBKeyRange.upperBound(removeUpTo))) await s.sent.put({ ...op, acknowledged_at: now.toISOString() });
    await s.outbox.delete(IDBKeyRange.upperBound(removeUpTo));
    const cutoff = new Date(now.getTime() - KEEP_SENT_DAYS * 86400000).toISOString();
    for (const seq of await s.sent.keysByIndex('acknowledged_at', IDBKeyRange.upperBound(cutoff, true))) await s.sent.delete(seq);
  }
  const known = (await s.meta.get('last_seq')) ?? 0;
  if (lastSeq > known) await s.meta.put(lastSeq, 'last_seq');
  const next = (await s.meta.get('next_seq')) ?? 1;
  if (next <= lastSeq) await s.meta.put(lastSeq + 1, 'next_seq');
}

/** Put journalled ops from `seq` on back into the outbox (a restored server lost them), inside the
 * caller's transaction; false when the journal does not reach back that far (nothing changes). */
async function resendFrom(s, seq) {
  if (!(await s.sent.get(seq))) return false;
  for (const { acknowledged_at: _at, ...op } of await s.sent.getAll(IDBKeyRange.lowerBound(seq))) await s.outbox.put(op);
  await s.meta.put(seq - 1, 'last_seq'); // the replica no longer holds their effects for sure
  return true;
}

/**
 * Append an op to the durable outbox; resolves with the stored op once it is on disk. `local` is
 * what the device worked out when it checked the op (units, product): kept with it, never sent.
 */
export function recordOp(type, payload, { blobs = [], capturedAt = null, local = null, alongside = null } = {}) {
  return db.tx(['outbox', 'meta'], 'readwrite', async (s) => {
    const top = (await s.outbox.lastKey()) ?? 0;
    const next = (await s.meta.get('next_seq')) ?? 1;
    const seq = Math.max(top, next - 1) + 1;
    const op = { seq, op_id: uuid(), type, captured_at: capturedAt || new Date().toISOString(), payload, blobs, local };
    await s.outbox.add(op);
    await s.meta.put(seq + 1, 'next_seq');
    // What the device keeps of the op for itself (the courier's cash ledger), in the same
    // transaction: both are written, or neither.
    if (alongside) await alongside(s.meta, op);
    return op;
  }, { durability: 'strict' });
}

/** Keep a blob (signature, photo) until the server has it; resolves with its SHA-256. */
export async function storeBlob(contentType, data) {
  const bytes = data instanceof Blob ? await data.arrayBuffer() : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  const sha256 = [...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, '0')).join('');
  await db.put('blobs', { sha256, content_type: contentType, data: bytes, uploaded: false });
  return sha256;
}

function withLock(fn) {
  // One push/pull at a time across tabs of the app, where the browser can say so.
  return navigator.locks ? navigator.locks.request('tally-sync', fn) : fn();
}

export class SyncEngine extends EventTarget {
  constructor(device) {
    super();
    this.device = device;
    this.running = null;
    this.again = false;
    this.failures = 0;
    this.retryAfterMs = 0;
    this.timer = 0;
    this.writes = new Set();
    this.syncing = false;
    this.revoked = false;
    this.hints = new HintStream(async () => (this.revoked ? null : this.device.token), () => this.kick('hint'));
    this.onOnline = () => { this.failures = 0; this.kick('online'); this.updateHints(); this.changed(); };
    this.onOffline = () => { this.updateHints(); this.changed(); };
    this.onVisibility = () => {
      if (document.visibilityState === 'visible') this.kick('visible');
      this.updateHints();
    };
  }

  start() {
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.updateHints();
    return this.kick('start');
  }

  stop() {
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    document.removeEventListener('visibilitychange', this.onVisibility);
    clearTimeout(this.timer);
    this.hints.stop();
  }

  updateHints() {
    if (navigator.onLine && document.visibilityState === 'visible' && !this.revoked) this.hints.start();
    else this.hints.stop();
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }

  /** Record an op durably, then try to send it at once. */
  async record(type, payload, options) {
    const write = recordOp(type, payload, options);
    this.writes.add(write);
    try {
      const op = await write;
      this.changed();
      this.kick('op');
      return op;
    } finally {
      this.writes.delete(write);
    }
  }

  /** Resolves when no op is half-written (the update flow waits for this before reloading). */
  async settle() {
    await Promise.allSettled([...this.writes]);
  }

  /** Run a sync now, or once more right after the one in flight. */
  kick(reason = 'manual') {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    clearTimeout(this.timer);
    this.running = this.run(reason).finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick('again');
      } else {
        this.schedule();
      }
    });
    return this.running;
  }

  schedule() {
    clearTimeout(this.timer);
    let delay = TIMER_MS;
    if (this.failures) {
      // Exponential backoff with jitter, or what the server asked for.
      delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1)) * (0.5 + Math.random() / 2);
      if (this.retryAfterMs) delay = Math.max(delay, this.retryAfterMs);
    }
    this.timer = setTimeout(() => this.kick('timer'), delay);
  }

  async run(reason) {
    if (this.revoked || !navigator.onLine) return;
    this.syncing = true;
    this.changed();
    try {
      await withLock(async () => {
        // A push that fails does not stop the pull (sync/client.py): the device still learns
        // what changed; the push's error is what the run reports.
        let pushError = null;
        try {
          await this.pushAll();
        } catch (error) {
          if (!(error instanceof TransientError)) throw error;
          pushError = error;
        }
        await this.pullAll();
        if (pushError) throw pushError;
      });
      this.failures = 0;
      this.retryAfterMs = 0;
      await db.tx(['meta'], 'readwrite', async (s) => {
        await s.meta.put(new Date().toISOString(), 'last_sync_at');
        await s.meta.delete('last_error');
      });
    } catch (error) {
      this.failures += 1;
      this.retryAfterMs = error.retryAfter ? error.retryAfter * 1000 : 0;
      if (error instanceof ProtocolError && error.code === 'device_revoked') {
        this.revoked = true;
        this.hints.stop();
      }
      await db.setMeta('last_error', {
        at: new Date().toISOString(),
        reason,
        code: error.code || (error instanceof TransientError ? 'network' : 'error'),
        message: error.message,
        transient: error instanceof TransientError,
      });
    } finally {
      this.syncing = false;
      this.changed();
    }
  }

  async uploadBlobs(ops) {
    for (const op of ops) {
      for (const sha256 of op.blobs || []) {
        const blob = await db.get('blobs', sha256);
        if (!blob || blob.uploaded) continue;
        await putBlob(sha256, blob.content_type, blob.data, this.device.token);
        await db.put('blobs', { ...blob, uploaded: true });
      }
    }
  }

  /** Push every pending op, a batch per request, in seq order; stop at the first failure. */
  async pushAll() {
    for (;;) {
      const ops = await db.getAll('outbox', null, PUSH_BATCH);
      if (!ops.length) return;
      await this.uploadBlobs(ops); // before the ops that reference them
      const body = {
        protocol: PROTOCOL,
        device_id: this.device.device_id,
        sent_at: new Date().toISOString(),
        pending: await db.count('outbox'),
        app_version: APP_VERSION,
        ops: ops.map(({ op_id, seq, type, captured_at, payload }) => ({ op_id, seq, type, captured_at, payload })),
      };
      let answer;
      try {
        answer = await postJson('/api/sync/push', body, this.device.token);
      } catch (error) {
        const expected = error instanceof ProtocolError && error.code === 'seq_gap' ? error.body.expected_seq : undefined;
        const resent = Number.isInteger(expected)
          && await db.tx(['outbox', 'sent', 'meta'], 'readwrite', (s) => resendFrom(s, expected), { durability: 'strict' });
        if (resent) continue; // push again, from the seq the server expects
        throw error;
      }
      const bySeq = new Map(ops.map((op) => [op.seq, op]));
      await db.tx(['outbox', 'sent', 'rejected', 'meta'], 'readwrite', async (s) => {
        for (const result of answer.results) {
          const op = bySeq.get(result.seq);
          // A duplicate carries the code of the original result: a code means it was rejected.
          if (op && (result.status === 'rejected' || (result.status === 'duplicate' && result.code))) {
            await s.rejected.put({ ...op, code: result.code, message: result.message || '', rejected_at: new Date().toISOString() });
          }
        }
        await acknowledge(s, answer.last_seq, Math.min(answer.last_seq, ops[ops.length - 1].seq));
      }, { durability: 'strict' });
      this.changed();
      const waiting = answer.results.find((r) => r.status === 'retry');
      if (waiting) {
        for (const sha256 of waiting.blobs || []) {
          const blob = await db.get('blobs', sha256);
          if (blob) await db.put('blobs', { ...blob, uploaded: false });
        }
        throw new TransientError(`op ${waiting.seq} waits: ${waiting.code}`);
      }
      if (answer.last_seq < ops[ops.length - 1].seq) throw new TransientError(`the server stopped at seq ${answer.last_seq}`);
    }
  }

  /** Pull pages until caught up; each page and its cursor land in one transaction. */
  async pullAll() {
    for (;;) {
      const cursor = (await db.getMeta('cursor')) ?? null;
      const body = { protocol: PROTOCOL, cursor, limit: PULL_LIMIT, pending: await db.count('outbox'), app_version: APP_VERSION };
      const page = await postJson('/api/sync/pull', body, this.device.token);
      const resent = await db.tx(['replica', 'meta', 'outbox', 'sent'], 'readwrite', async (s) => {
        if (page.reset) await s.replica.clear(); // the outbox stays: pending ops are rebased on top
        await Promise.all(page.changes.map((c) => (c.op === 'put' ? s.replica.put(toRecord(c)) : s.replica.delete([c.kind, String(c.id)]))));
        await s.meta.put(page.cursor, 'cursor');
        await acknowledge(s, page.last_seq);
        // A checkpoint only goes back after a restore: an idle device learns it here, not by a push.
        const newest = await s.sent.lastKey();
        return newest !== undefined && page.last_seq < newest && resendFrom(s, page.last_seq + 1);
      });
      if (resent) this.again = true; // push them right after this sync
      this.dispatchEvent(new CustomEvent('pulled', { detail: { changes: page.changes.length, reset: page.reset } }));
      if (!page.more) return;
    }
  }

  /** What the status bar and the sync screen show. */
  status() {
    return db.tx(['outbox', 'meta', 'rejected'], 'readonly', async (s) => ({
      pending: await s.outbox.count(),
      rejected: await s.rejected.count(),
      lastSyncAt: await s.meta.get('last_sync_at'),
      lastError: await s.meta.get('last_error'),
      lastSeq: (await s.meta.get('last_seq')) ?? 0,
      syncing: this.syncing,
      revoked: this.revoked,
      online: navigator.onLine,
    }));
  }
}
