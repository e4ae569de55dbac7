// The loader's rules, as server/domain/loading.py makes them: which SSCC a scan names, and what
// of a route is still missing from the vehicle. Pure.

import { parseScan } from './gs1.js';
import { Refusal } from './picking.js';

// Parcels still on their way out of the warehouse: every one of them must be on the vehicle.
const IN_WAREHOUSE = new Set(['open', 'closed', 'loaded']);

/** The SSCC a scan names: 18 digits, or a GS1 string with AI (00) (`scanned_sscc`). */
export function scannedSscc(text) {
  const code = String(text).replace(/^[\r\n]+|[\r\n]+$/g, '');
  if (/^\d{18}$/.test(code)) return code;
  const sscc = parseScan(code).sscc;
  if (!sscc) throw new Refusal('sscc_invalid', `not an SSCC label: ${code}`);
  return sscc;
}

/** The route's parcels (each with its stop) that a scan of this SSCC names: the parcel, or a pallet's parcels. */
export function parcelsNamed(route, sscc) {
  return route.stops.flatMap((stop) => stop.parcels.filter((p) => p.sscc === sscc || p.pallet_sscc === sscc).map((parcel) => ({ stop, parcel })));
}

export const isAboard = (route, parcel) => parcel.status === 'loaded' && parcel.route_id === route.id;

/** What keeps the route from leaving: [{stop, sscc}] — sscc null for a stop with nothing packed (`dispatch`). */
export function missing(route) {
  const out = [];
  for (const stop of route.stops) {
    if (stop.status === 'cancelled') continue;
    const going = stop.parcels.filter((p) => IN_WAREHOUSE.has(p.status));
    if (!going.length) out.push({ stop, sscc: null });
    for (const parcel of going) if (!isAboard(route, parcel)) out.push({ stop, sscc: parcel.sscc });
  }
  return out;
}
