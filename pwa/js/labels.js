// Parcel labels come from the server, which renders them (`/api/labels/parcels/{sscc}`). A label
// asked for offline, or before its parcel's ops reached the server, waits in a queue (meta
// `label_queue`) and is fetched once both are true; nothing is lost by printing later.

import * as db from './db.js';

const QUEUE = 'label_queue';
const images = new Map(); // SSCC → object URL of the rendered label (this page only)

export const labelQueue = async () => (await db.getMeta(QUEUE)) || [];
export const labelImage = (sscc) => images.get(sscc);

/** Ask for a parcel's label; it prints as soon as the server knows the parcel. */
export async function queueLabel(parcel) {
  await db.tx(['meta'], 'readwrite', async (s) => {
    const queue = (await s.meta.get(QUEUE)) || [];
    if (!queue.some((entry) => entry.sscc === parcel.sscc)) queue.push({ sscc: parcel.sscc, parcel_id: parcel.id, state: 'queued', at: new Date().toISOString() });
    await s.meta.put(queue, QUEUE);
  });
}

/** Fetch every queued label whose parcel the server has; resolves with how many arrived. */
export async function printQueued(device) {
  if (!navigator.onLine) return 0;
  const waiting = new Set((await db.getAll('outbox')).map((op) => op.payload?.parcel_id).filter(Boolean));
  const queue = await labelQueue();
  const states = new Map();
  for (const entry of queue) {
    if ((entry.state === 'printed' && images.has(entry.sscc)) || entry.state === 'failed' || waiting.has(entry.parcel_id)) continue;
    let response;
    try {
      response = await fetch(`/api/labels/parcels/${entry.sscc}?format=svg`, { headers: { Authorization: `Bearer ${device.token}` }, cache: 'no-store' });
    } catch {
      break; // the network went away: the rest wait
    }
    if (response.ok) {
      images.set(entry.sscc, URL.createObjectURL(await response.blob()));
      states.set(entry.sscc, 'printed');
    } else if (response.status < 500) {
      states.set(entry.sscc, 'failed');
    }
  }
  if (!states.size) return 0;
  await db.tx(['meta'], 'readwrite', async (s) => {
    const fresh = (await s.meta.get(QUEUE)) || [];
    for (const entry of fresh) if (states.has(entry.sscc)) entry.state = states.get(entry.sscc);
    await s.meta.put(fresh, QUEUE);
  });
  return [...states.values()].filter((state) => state === 'printed').length;
}

/** Open a fetched label in the system's print dialog. */
export function printLabel(sscc) {
  const url = images.get(sscc);
  const win = url && window.open(url, '_blank');
  win?.addEventListener('load', () => win.print());
}
