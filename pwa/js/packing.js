// The packer's rules, as server/domain/packing.py makes them: the next SSCC from the device's own
// blocks, and the check of one scan into a parcel. Pure: the caller passes the order and blocks.

import { Refusal } from './picking.js';

/** GS1 mod-10 check digit of a digit string (GenSpecs 7.9). */
export function checkDigit(body) {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return String((10 - (sum % 10)) % 10);
}

/** The SSCC of one serial of a block: extension + prefix + serial = 17 digits, then the check digit (GenSpecs 2.2.1). */
export function ssccOf(block, serial) {
  const body = `${block.extension_digit}${block.company_prefix}${String(serial).padStart(16 - block.company_prefix.length, '0')}`;
  return body + checkDigit(body);
}

/**
 * The device's next label (`next_sscc`): the lowest unused serial, oldest block first, starting
 * where the server saw the block free (`next_serial`) or where this device got to (`after`).
 */
export function nextSscc(blocks, used, after = {}) {
  for (const block of [...blocks].sort((a, b) => a.id - b.id)) {
    const start = Math.max(block.first_serial, block.next_serial ?? block.first_serial, after[block.id] ?? block.first_serial);
    for (let serial = start; serial <= block.last_serial; serial += 1) {
      const sscc = ssccOf(block, serial);
      if (!used.has(sscc)) return { sscc, block, serial };
    }
  }
  throw new Refusal('sscc_exhausted', 'this device has no unused SSCC left: ask for a new block');
}

/** Packing starts once the order passed its check (`check_packable`). */
export function checkPackable(status) {
  if (status === 'checked') return;
  if (status === 'cancelled') throw new Refusal('order_cancelled', 'the order was cancelled');
  if (['packed', 'loaded', 'out_for_delivery', 'delivered'].includes(status)) throw new Refusal('order_already_packed', `the order is ${status}`);
  throw new Refusal('order_not_checked', `the order is ${status}: packing waits until its check passes`);
}

const packedUnits = (order, productId) => order.parcels.reduce((n, p) => n + (p.items.find(([pid]) => pid === productId)?.[1] || 0), 0);

/** The check of one scan into a parcel (`check_pack`), against the order as the device holds it. */
export function checkPack(order, parcel, item, quantity) {
  if (parcel.order_id !== order.id) throw new Refusal('parcel_other_order', 'this parcel belongs to another order');
  if (parcel.status !== 'open') throw new Refusal('parcel_not_open', `parcel ${parcel.sscc} is ${parcel.status}`);
  if (quantity < 1) throw new Refusal('quantity_not_positive', 'a scan packs at least one unit');
  const line = order.lines.find((l) => l.product_id === item.productId);
  const picked = line?.picked || 0;
  if (picked === 0) throw new Refusal('item_not_in_order', 'this item was not picked for the order');
  if (line.marked) {
    if (item.markingCode === null) throw new Refusal('marking_code_required', "scan the unit's DataMatrix");
    if (quantity !== 1) throw new Refusal('marking_code_per_unit', 'marked goods are packed one unit at a time');
    const code = order.marking_codes.find(([c]) => c === item.markingCode);
    if (!code) throw new Refusal('marking_code_not_picked', 'this unit was not picked for the order');
    if (code[1] !== null) throw new Refusal('marking_code_packed', 'this unit is already in a parcel');
  }
  const units = item.units * quantity;
  const left = picked - packedUnits(order, item.productId);
  if (units > left) throw new Refusal('over_pack', `only ${left} of this item left to pack`, { left });
  return units;
}

/** A weight typed in kilograms ("1,25" or "1.25") as integer grams, without a float; null if unreadable. */
export function gramsFromKg(text) {
  const match = String(text).trim().match(/^(\d{1,5})(?:[.,](\d{1,3}))?$/);
  if (!match) return null;
  return Number(match[1]) * 1000 + Number((match[2] || '').padEnd(3, '0'));
}
