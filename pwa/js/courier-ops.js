// The courier's op types (server/syncapp/delivery.py; docs/operations.md): RecordDelivery,
// TakePayment and HandOverCash. Each says how a pending op shows on the route before the server's
// own version of the stop comes back by pull. They join OP_TYPES here, in their own module, so
// the courier and warehouse op types grow without touching each other's lines.

import { OP_TYPES } from './ops.js';
import { uuid } from './sync.js';

/** The routes with one stop (route id, order id) changed by `change(stop)`; others untouched. */
function updateStops(entities, routeId, orderId, change) {
  return entities.map((route) => {
    if (routeId !== null && String(route.id) !== String(routeId)) return route;
    if (!route.stops?.some((s) => s.order_id === orderId)) return route;
    return { ...route, stops: route.stops.map((s) => (s.order_id === orderId ? { ...s, ...change(s) } : s)) };
  });
}

export const COURIER_OP_TYPES = {
  RecordDelivery: {
    // The stop shows its outcome at once; the server's doc carries the same field.
    applyLocal(kind, entities, p) {
      if (kind !== 'route') return entities;
      return updateStops(entities, p.route_id, p.order_id, () => ({ outcome: p.outcome }));
    },
  },
  TakePayment: {
    // What is left to collect drops by the payment (never below zero), as the server computes it.
    applyLocal(kind, entities, p) {
      if (kind !== 'route') return entities;
      return updateStops(entities, null, p.order_id, (s) => ({
        paid: (s.paid || 0) + p.amount,
        amount_due: Math.max((s.amount_due || 0) - p.amount, 0),
      }));
    },
  },
  HandOverCash: {
    // The device keeps its cash on hand in its own ledger (cash.js); nothing in the replica moves.
    applyLocal: null,
  },
};

Object.assign(OP_TYPES, COURIER_OP_TYPES);

/** A fresh id for a delivery, payment or handover made on the phone (the op's own key). */
export function newId() {
  return uuid();
}
