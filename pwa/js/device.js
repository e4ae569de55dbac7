// The device's enrollment: trade a one-time code for a token, keep it in IndexedDB.

import * as db from './db.js';
import { postJson } from './api.js';
import { APP_VERSION } from './version.js';

export const WAREHOUSE_ROLES = new Set(['picker', 'checker', 'packer', 'loader', 'warehouse']);

/** The enrolled device `{device_id, token, name, role, scope, server_url}`, or undefined. */
export const loadDevice = () => db.getMeta('device');

/**
 * The enrollment code in what was typed or scanned: the code itself, or the QR's text
 * `<server>/#enroll=CODE`. Case, spaces and dashes do not matter to the server.
 */
export function codeFromText(text) {
  const value = String(text || '').trim();
  const match = value.match(/[#&?]enroll=([^&#\s]+)/i);
  const code = match ? decodeURIComponent(match[1]) : value;
  return code.replace(/\s+/g, '').toUpperCase();
}

/** A name a supervisor can tell apart, until the user types a better one. */
export function defaultName() {
  const ua = navigator.userAgent;
  const kind = /iphone|ipad/i.test(ua) ? 'iPhone' : /android/i.test(ua) ? 'Android' : 'Handheld';
  return `${kind}-${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
}

/** Enroll with the server and store the device; a fresh device starts with an empty replica. */
export async function enroll(code, name) {
  const answer = await postJson('/api/devices/enroll', { code: codeFromText(code), name, app_version: APP_VERSION });
  const device = {
    device_id: answer.device_id,
    token: answer.token,
    name: answer.name,
    role: answer.role,
    scope: answer.scope,
    server_url: answer.server_url,
    enrolled_at: new Date().toISOString(),
  };
  await db.tx(['meta', 'replica', 'outbox', 'sent'], 'readwrite', async (s) => {
    // Unsent ops of an earlier enrollment would carry that device's seqs: never drop them
    // silently. (The enrollment screen only shows when no device is stored.)
    if ((await s.outbox.count()) > 0) throw new Error('unsent operations of an earlier enrollment are still on this device');
    await s.replica.clear();
    await s.sent.clear(); // another device's seqs: never to be sent under this one
    for (const key of ['cursor', 'last_seq', 'last_sync_at', 'last_error']) await s.meta.delete(key);
    await s.meta.put(1, 'next_seq');
    await s.meta.put(device, 'device');
  }, { durability: 'strict' });
  return device;
}
