// The warehouse op types (docs/operations.md) and how each pending op shows on the device before
// the server's own version arrives by pull: the pick list, check task, order to pack or route to
// load it changes. `op.local` holds what the device worked out when it checked the scan (units,
// product, SSCC) — kept beside the op, never sent.

/** Apply `fn(entitiesCopy, payload, op)` to one kind only; other kinds pass through untouched. */
function onKind(want, fn) {
  return (kind, entities, payload, op) => (kind === want ? fn(entities.map((e) => structuredClone(e)), payload, op) : entities);
}

function eachLine(lists, lineId, fn) {
  for (const list of lists) for (const line of list.lines) if (line.id === lineId) fn(line);
  return lists;
}

function eachParcel(orders, parcelId, fn) {
  for (const order of orders) for (const parcel of order.parcels) if (parcel.id === parcelId) fn(parcel, order);
  return orders;
}

export const WAREHOUSE_OPS = {
  ClaimPickList: {
    applyLocal: onKind('pick_list', (lists, p, op) => {
      for (const list of lists) if (list.id === p.pick_list_id) list.claimed_by = op.local?.device_id ?? list.claimed_by;
      return lists;
    }),
  },
  ReleasePickList: {
    applyLocal: onKind('pick_list', (lists, p) => {
      for (const list of lists) if (list.id === p.pick_list_id) list.claimed_by = null;
      return lists;
    }),
  },
  PickItem: {
    applyLocal: onKind('pick_list', (lists, p, op) => eachLine(lists, p.pick_line_id, (line) => { line.picked += op.local?.units ?? p.quantity; })),
  },
  ShortPick: {
    applyLocal: onKind('pick_list', (lists, p) => eachLine(lists, p.pick_line_id, (line) => { line.shorted += p.quantity; })),
  },
  CheckOrder: {
    // Counted: the order leaves this device's list of checks (a discrepancy brings it back by pull).
    applyLocal: onKind('check_task', (tasks, p) => tasks.filter((task) => task.id !== p.order_id)),
  },
  OpenParcel: {
    applyLocal: onKind('pack_order', (orders, p) => {
      for (const order of orders) {
        if (order.id === p.order_id && !order.parcels.some((x) => x.id === p.parcel_id)) {
          order.parcels.push({ id: p.parcel_id, sscc: p.sscc, order_id: p.order_id, status: 'open', weight_g: null, pallet_sscc: null, route_id: null, items: [] });
        }
      }
      return orders;
    }),
  },
  PackItem: {
    applyLocal: onKind('pack_order', (orders, p, op) => eachParcel(orders, p.parcel_id, (parcel, order) => {
      const { product_id: productId, units } = op.local || {};
      if (!productId) return;
      const entry = parcel.items.find(([pid]) => pid === productId);
      if (entry) entry[1] += units;
      else parcel.items.push([productId, units]);
      const line = order.lines.find((l) => l.product_id === productId);
      if (line) line.packed += units;
    })),
  },
  CloseParcel: {
    applyLocal: onKind('pack_order', (orders, p) => eachParcel(orders, p.parcel_id, (parcel) => {
      parcel.status = 'closed';
      parcel.weight_g = p.weight_g;
    })),
  },
  LoadParcel: {
    applyLocal: onKind('load_route', (routes, p, op) => {
      const sscc = op.local?.sscc;
      for (const route of routes) {
        if (route.id !== p.route_id) continue;
        route.status = 'loading';
        for (const stop of route.stops) {
          for (const parcel of stop.parcels) {
            if (parcel.sscc === sscc || parcel.pallet_sscc === sscc) Object.assign(parcel, { status: 'loaded', route_id: route.id });
          }
        }
      }
      return routes;
    }),
  },
  DispatchRoute: {
    applyLocal: onKind('load_route', (routes, p) => {
      for (const route of routes) if (route.id === p.route_id) route.status = 'dispatched';
      return routes;
    }),
  },
};
