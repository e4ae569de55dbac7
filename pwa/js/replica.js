// The device's replica of its scope: how pulled entities are stored, and the offline look-ups the
// screens run against it (a scanned code → a product or a bin; the courier's routes).

import * as db from './db.js';
import { codeKey, parseScan } from './gs1.js';
import { rebase } from './ops.js';

/** The barcodes an entity answers to on this device (indexed, multiEntry). */
function codesOf(kind, data) {
  if (!data) return [];
  if (kind === 'product') return (data.barcodes || []).map(([code]) => codeKey(code));
  if (kind === 'location') return data.barcode ? [codeKey(data.barcode)] : [];
  return [];
}

/** The stored shape of a pulled change (`put`). */
export function toRecord(change) {
  return { kind: change.kind, id: String(change.id), data: change.data, codes: codesOf(change.kind, change.data) };
}

/**
 * What a scanned code is on this device, offline: `{scan, kind: 'product' | 'location', entity,
 * multiplier}`, or `{scan, kind: null}` when nothing in the replica answers to it.
 */
export async function lookupCode(input) {
  const scan = typeof input === 'string' ? parseScan(input) : input;
  const keys = [scan.gtin, scan.sscc, scan.body && codeKey(scan.body), scan.raw && codeKey(scan.raw)].filter(Boolean);
  for (const key of new Set(keys)) {
    const found = await db.byIndex('replica', 'codes', key);
    // Products win over bins should a code ever be both; the order is stable either way.
    const hit = found.find((r) => r.kind === 'product') || found.find((r) => r.kind === 'location');
    if (hit) {
      const entry = hit.kind === 'product' ? hit.data.barcodes.find(([code]) => codeKey(code) === key) : null;
      return { scan, kind: hit.kind, entity: hit.data, multiplier: entry ? entry[1] : 1 };
    }
  }
  return { scan, kind: null, entity: null, multiplier: 0 };
}

/** Every entity of one kind: the replica with pending ops rebased on top. */
export async function listKind(kind) {
  const [rows, pending] = await db.tx(['replica', 'outbox'], 'readonly', (s) => Promise.all([s.replica.byIndex('kind', kind), s.outbox.getAll()]));
  return rebase(kind, rows.map((r) => r.data), pending);
}

/** How many entities of one kind the device holds. */
export function countKind(kind) {
  return db.countByIndex('replica', 'kind', kind);
}

/** One entity (rebased), or undefined. */
export async function getEntity(kind, id) {
  return (await listKind(kind)).find((entity) => String(entity.id) === String(id));
}
