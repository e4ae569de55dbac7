// The op types this shell records, as the server registers them (server/syncapp). Each entry
// builds the payload and says how a pending op shows on top of the replica before the server
// has it (the rebase after each pull). Later op types (pick, pack, load, deliver) add entries.

import { WAREHOUSE_OPS } from './ops-warehouse.js';

export const OP_TYPES = {
  RecordScan: {
    /** A raw scan: the code as scanned (GS kept), the bin if one is current, and the activity. */
    payload({ code, location = null, context = '' }) {
      return { code: String(code).slice(0, 200), location: location ? String(location).slice(0, 64) : null, context };
    },
    // A scan changes nothing the device shows from its replica.
    applyLocal: null,
  },
  ...WAREHOUSE_OPS,
};

/**
 * The replica's entities of one kind with pending ops re-applied on top, in seq order: what the
 * screens show until the server's own version of those changes arrives by pull.
 * An op type's `applyLocal(kind, entities, payload, op)` returns the entities as the op leaves them.
 */
export function rebase(kind, entities, pendingOps) {
  let view = entities;
  for (const op of pendingOps) {
    const apply = OP_TYPES[op.type]?.applyLocal;
    if (apply) view = apply(kind, view, op.payload, op);
  }
  return view;
}
