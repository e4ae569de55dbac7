// Look-up: what a scanned product or bin is, from the replica, offline. Nothing is recorded.

import * as feedback from '../feedback.js';
import { formatMoney, t } from '../i18n.js';
import { lookupCode } from '../replica.js';
import { facts, fill, h, showCode } from '../ui.js';
import { manualEntry } from './parts.js';

let result = null;

function show(ctx, found) {
  if (!result) return;
  if (!found) {
    fill(result, h('p', { class: 'muted' }, t('lookup.prompt')));
    return;
  }
  if (!found.kind) {
    fill(result, h('div', { class: 'card error-card', id: 'lookup-missing' }, t('lookup.notFound', { code: showCode(found.scan.raw) })));
    return;
  }
  const e = found.entity;
  if (found.kind === 'product') {
    fill(result, h('div', { class: 'card', id: 'lookup-product' },
      h('p', { class: 'kind' }, t('lookup.product')),
      h('h2', {}, e.name),
      facts([
        [t('lookup.sku'), e.sku],
        [t('lookup.scanned'), `${showCode(found.scan.raw)}${found.multiplier > 1 ? ` (${t('lookup.pack', { n: found.multiplier })})` : ''}`],
        [t('lookup.barcodes'), e.barcodes.map(([code, n]) => (n > 1 ? `${code} ×${n}` : code)).join(', ')],
        [t('lookup.price'), formatMoney(e.price, e.currency)],
        [t('lookup.unit'), e.unit],
        e.marked ? [t('lookup.marked'), '✓'] : null,
      ])));
  } else {
    fill(result, h('div', { class: 'card', id: 'lookup-bin' },
      h('p', { class: 'kind' }, t('lookup.bin')),
      h('h2', {}, e.code),
      facts([[t('lookup.barcode'), e.barcode], [t('lookup.zone'), e.zone], [t('lookup.pickSeq'), e.pick_seq]])));
  }
}

export function render(root, ctx) {
  result = h('div', { id: 'lookup-result', 'aria-live': 'polite' });
  root.append(h('h1', {}, t('lookup.title')), manualEntry(ctx), result);
  show(ctx, ctx.lastLookup);
  return () => { result = null; };
}

export async function onScan(scan, ctx) {
  const found = await lookupCode(scan);
  ctx.lastLookup = found;
  if (found.kind) feedback.accepted();
  else feedback.refused();
  show(ctx, found);
}
