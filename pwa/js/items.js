// What a scanned item is on this device, offline: the replica finds the product by any of its
// barcodes (GTINs normalised), then the shared rules (picking.js `resolveScan`) count its units
// and read a marking code — the answer the server will compute from the same text.

import * as db from './db.js';
import { barcodeMap, Refusal, resolveScan } from './picking.js';
import { lookupCode } from './replica.js';

/** A product doc from the replica by id (not rebased: ops never change products). */
export async function productById(id) {
  return (await db.get('replica', ['product', String(id)]))?.data;
}

/**
 * `{item, product, location}` for a scan. `expected` are product ids whose barcodes count too
 * (the line's product), as the server loads them. A bin label comes back as `location` with no
 * item; anything else unknown is refused `unknown_barcode`.
 */
export async function identify(scan, expected = []) {
  const found = await lookupCode(scan);
  if (found.kind === 'location') return { item: null, product: null, location: found.entity };
  const products = found.kind === 'product' ? [found.entity] : [];
  for (const id of expected) {
    const product = await productById(id);
    if (product && !products.some((p) => p.id === product.id)) products.push(product);
  }
  if (!products.length) throw new Refusal('unknown_barcode', `no product has barcode ${scan.raw}`, { scanned: scan.raw });
  const item = resolveScan(scan.raw, barcodeMap(products));
  return { item, product: products.find((p) => p.id === item.productId), location: null };
}
