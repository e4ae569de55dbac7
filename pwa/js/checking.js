// The checker's comparison, as server/domain/checking.py `compare` makes it: per product, what
// should ship against what was counted. Pure.

/** [{product_id, expected, counted, status: ok | missing | extra | wrong}] in product order. */
export function compare(expected, counted) {
  const ids = [...new Set([...expected.keys(), ...counted.keys()])].sort((a, b) => a - b);
  return ids.map((productId) => {
    const e = expected.get(productId) || 0;
    const c = counted.get(productId) || 0;
    const status = e === c ? 'ok' : e === 0 ? 'wrong' : c < e ? 'missing' : 'extra';
    return { product_id: productId, expected: e, counted: c, status };
  });
}

export const passed = (lines) => lines.every((line) => line.status === 'ok');
