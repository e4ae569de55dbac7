// The device's pick checks, the same rules as the server's (server/domain/scanning.py
// `resolve_scan`, server/domain/picking.py `check_scan` and `short_pick`), so a wrong bin, a
// wrong item or an over-pick is refused on the spot with no network. Pure: the caller passes the
// line and the barcodes; tests/browser/golden/pick_checks.json keeps both sides in step.

import { parseScan } from './gs1.js';

export const SHORT_REASONS = ['bin_empty', 'damaged', 'not_found'];

/** A scan the rules refuse; `code` is the server's rejection code for the same scan. */
export class Refusal extends Error {
  constructor(code, message, detail = {}) {
    super(message);
    this.name = 'Refusal';
    Object.assign(this, { code, detail });
  }
}

/** The forms a GTIN may be stored in: GTIN-14 as carried in AI (01), and EAN-13 / UPC-A / EAN-8. */
export function gtinKeys(gtin) {
  const digits = gtin.replace(/^0+/, '');
  const keys = [gtin];
  for (const n of [13, 12, 8]) {
    const key = digits.padStart(n, '0');
    if (digits.length <= n && key !== gtin) keys.push(key);
  }
  return keys;
}

/** A map barcode → [product id, multiplier] from product docs (as the replica holds them). */
export function barcodeMap(products) {
  const map = new Map();
  for (const p of products) for (const [code, multiplier] of p.barcodes || []) map.set(code, [p.id, multiplier]);
  return map;
}

/**
 * What a scanned text is: `{productId, units, markingCode, fullCode}`; a case barcode counts its
 * multiplier, a serialised unit (GS1 AI 21, a marking code) counts one. Refuses `unknown_barcode`.
 */
export function resolveScan(text, barcodes) {
  const code = String(text).replace(/^[\r\n]+|[\r\n]+$/g, '');
  if (barcodes.has(code)) {
    const [productId, multiplier] = barcodes.get(code);
    return { productId, units: multiplier, markingCode: null, fullCode: null };
  }
  const scan = parseScan(code);
  if (!scan.gtin) throw new Refusal('unknown_barcode', `no product has barcode ${code}`, { scanned: code });
  const serial = scan.elements?.find(([ai]) => ai === '21')?.[1] || null;
  for (const key of gtinKeys(scan.gtin)) {
    if (!barcodes.has(key)) continue;
    const [productId, multiplier] = barcodes.get(key);
    return {
      productId,
      units: serial ? 1 : multiplier,
      markingCode: serial ? `01${scan.gtin}21${serial}` : null,
      fullCode: serial ? code : null,
    };
  }
  throw new Refusal('unknown_barcode', `no product has GTIN ${scan.gtin}`, { scanned: code });
}

/** Units still to pick on a line. */
export const remaining = (line) => Math.max(line.quantity - line.picked - line.shorted, 0);

/** The check of a bin scan against the line's bin. */
export function checkBin(line, binBarcode) {
  if (binBarcode !== line.location_barcode) {
    throw new Refusal('wrong_bin', 'this is not the bin of the line', { expected: line.location_barcode, scanned: binBarcode });
  }
}

/** The check of one pick scan (`check_scan`): returns the units it records, or throws a Refusal. */
export function checkPick(line, binBarcode, item, quantity) {
  checkBin(line, binBarcode);
  if (item.productId !== line.product_id) {
    throw new Refusal('wrong_item', "this item is not the line's product", { expected: line.product_id, scanned: item.productId });
  }
  if (quantity < 1) throw new Refusal('quantity_not_positive', 'a pick counts at least one scan');
  if (line.marked && item.markingCode === null) throw new Refusal('marking_code_required', "scan the unit's DataMatrix");
  if (line.marked && quantity !== 1) throw new Refusal('marking_code_per_unit', 'marked goods are scanned one unit at a time');
  const units = item.units * quantity;
  const left = remaining(line);
  if (units > left) throw new Refusal('over_pick', `only ${left} left to pick on this line`, { remaining: left, scanned: units });
  return units;
}

/** The check of a short pick (`short_pick`). */
export function checkShort(line, quantity, reason) {
  if (!SHORT_REASONS.includes(reason)) throw new Refusal('short_reason_invalid', `reason must be one of: ${SHORT_REASONS.join(', ')}`);
  if (quantity < 1) throw new Refusal('quantity_not_positive', 'a short pick names at least one unit');
  const left = remaining(line);
  if (quantity > left) throw new Refusal('short_exceeds_remaining', `only ${left} left on this line`, { remaining: left });
}

/** One golden case, as both sides run it: resolve the item, then check the pick. */
export function pickVerdict(line, binBarcode, code, quantity, barcodes) {
  try {
    return { units: checkPick(line, binBarcode, resolveScan(code, barcodes), quantity) };
  } catch (error) {
    if (error instanceof Refusal) return { refused: error.code };
    throw error;
  }
}
