// What a partial delivery refuses: the units in the parcels the customer turned down, and their
// value, priced as server/domain/invoicing.py `refused_value` does (order lines in line order),
// so the phone asks for the same amount the server's invoice will then show.

/** `{product_id: quantity}` summed over the refused parcels' contents. */
export function refusedUnits(parcels, refusedSsccs) {
  const refused = new Set(refusedSsccs);
  const units = {};
  for (const parcel of parcels) {
    if (!refused.has(parcel.sscc)) continue;
    for (const [productId, quantity] of parcel.items || []) units[productId] = (units[productId] || 0) + quantity;
  }
  return units;
}

/** The value of refused units over `lines` ([product id, quantity, unit price, …]). */
export function refusedValue(lines, units) {
  const left = { ...units };
  let value = 0;
  for (const [productId, quantity, unitPrice] of lines || []) {
    const taken = Math.min(quantity, left[productId] || 0);
    if (taken) {
      value += taken * unitPrice;
      left[productId] -= taken;
    }
  }
  return value;
}
