// The door scan: which of a stop's parcels the courier has scanned at the door, and the check
// that refuses, on the device, a parcel of another stop (the server's `parcel_of_other_stop`).
// The scans of the visit in progress live in sessionStorage: they survive moving between the stop
// and outcome screens (and a reload), and end with the visit.

const key = (routeId, stopNo) => `tally.door.${routeId}.${stopNo}`;

/** The SSCC a scan names: GS1 (00), or the 18 digits alone; null for anything else. */
export function ssccOf(scan) {
  if (scan.sscc) return scan.sscc;
  return /^\d{18}$/.test(scan.body || '') ? scan.body : null;
}

/** `{ok: true, sscc}` for a parcel of this stop; otherwise `{ok: false, code, sscc}`. */
export function checkDoorScan(stop, scan) {
  const sscc = ssccOf(scan);
  if (!sscc) return { ok: false, code: 'not_a_parcel', sscc: null };
  if (!(stop.parcels || []).some((p) => p.sscc === sscc)) return { ok: false, code: 'parcel_of_other_stop', sscc };
  return { ok: true, sscc };
}

export function scannedAt(routeId, stopNo) {
  try {
    return JSON.parse(sessionStorage.getItem(key(routeId, stopNo))) || [];
  } catch {
    return [];
  }
}

/** Add a parcel to the visit's scans; false when it was scanned already. */
export function addScan(routeId, stopNo, sscc) {
  const list = scannedAt(routeId, stopNo);
  if (list.includes(sscc)) return false;
  list.push(sscc);
  sessionStorage.setItem(key(routeId, stopNo), JSON.stringify(list));
  return true;
}

export function endVisit(routeId, stopNo) {
  sessionStorage.removeItem(key(routeId, stopNo));
}
