// Packing: checked orders → open a parcel under the next SSCC of this device's block → scan the
// items in (checked here as the server checks them: packing.js) → close it with its weight. The
// parcel's label is printed through the server when online, and queued until then.

import * as db from '../db.js';
import { t } from '../i18n.js';
import { identify } from '../items.js';
import { labelImage, labelQueue, printLabel, printQueued, queueLabel } from '../labels.js';
import { checkPack, checkPackable, gramsFromKg, nextSscc } from '../packing.js';
import { Refusal } from '../picking.js';
import { listKind } from '../replica.js';
import { uuid } from '../sync.js';
import { h } from '../ui.js';
import { accept, backLink, Drawing, refuse } from './floor.js';

const AFTER = 'sscc_after'; // meta: block id → the serial after the last one this device used

const drawing = new Drawing(); // drawing.view: {order, parcel}

const unitsLeft = (order) => order.lines.reduce((n, line) => n + Math.max(line.picked - line.packed, 0), 0);
const showSscc = (sscc) => `(00) ${sscc}`;

function renderOrders(root, orders) {
  root.append(h('h1', {}, t('pack.title')));
  const shown = orders.filter((order) => order.status === 'checked' || order.parcels.some((p) => p.status === 'open')).sort((a, b) => a.id - b.id);
  if (!shown.length) {
    root.append(h('p', { class: 'card muted', id: 'pack-none' }, t('pack.none')));
    return;
  }
  root.append(h('ul', { class: 'task-list', id: 'pack-orders' }, shown.map((order) => h('li', {},
    h('a', { class: 'task', href: `#/packer/${order.id}`, dataset: { order: order.id } },
      h('strong', {}, t('pack.order', { number: order.number })),
      h('small', {}, [t('pack.left', { n: unitsLeft(order) }), t('pack.parcels', { n: order.parcels.length })].join(' · ')))))));
}

function parcelRow(parcel, labels) {
  const label = labels.find((entry) => entry.sscc === parcel.sscc);
  const image = labelImage(parcel.sscc);
  return h('li', { class: `parcel is-${parcel.status}`, dataset: { sscc: parcel.sscc, label: label?.state || '' } },
    h('strong', {}, showSscc(parcel.sscc)),
    h('small', {}, [t(`pack.status.${parcel.status}`), parcel.weight_g ? `${(parcel.weight_g / 1000).toFixed(3)} kg` : null,
      label ? t(`pack.label.${label.state}`) : null].filter(Boolean).join(' · ')),
    image ? h('img', { class: 'label-preview', src: image, alt: t('pack.labelAlt', { sscc: parcel.sscc }) }) : null,
    image ? h('button', { class: 'big', type: 'button', onclick: () => printLabel(parcel.sscc) }, t('pack.print')) : null);
}

async function renderOrder(root, ctx, id, v) {
  const order = (await listKind('pack_order')).find((x) => x.id === id);
  const labels = await labelQueue();
  root.append(backLink('#/packer', t('pack.title')));
  Object.assign(v, { order, parcel: null });
  if (!order) {
    root.append(h('p', { class: 'card muted', id: 'pack-gone' }, t('pack.gone')));
    return;
  }
  const parcel = order.parcels.find((p) => p.status === 'open') || null;
  v.parcel = parcel;
  root.append(
    h('h1', {}, t('pack.order', { number: order.number })),
    h('ul', { class: 'check-lines', id: 'pack-lines' }, order.lines.map((line) => h('li', {
      class: `check-line ${line.packed >= line.picked ? 'is-ok' : 'is-missing'}`, dataset: { product: line.product_id },
    }, h('span', { class: 'check-name' }, line.name), h('span', { class: 'check-count' }, `${line.packed} / ${line.picked}`)))));
  if (parcel) {
    const weight = h('input', { id: 'pack-weight', inputmode: 'decimal', autocomplete: 'off', placeholder: '0,000', 'aria-label': t('pack.weight') });
    root.append(h('div', { class: 'card pick-line', id: 'pack-parcel', dataset: { parcel: parcel.id } },
      h('p', { class: 'kind' }, t('pack.openParcel')),
      h('div', { class: 'pick-bin', id: 'pack-sscc' }, showSscc(parcel.sscc)),
      h('p', { class: 'prompt' }, t('pack.prompt')),
      h('form', { class: 'manual', onsubmit: (event) => { event.preventDefault(); close(ctx, order, parcel, weight.value); } },
        h('label', { class: 'grow' }, t('pack.weight'), weight),
        h('button', { class: 'big primary', type: 'submit', id: 'pack-close' }, t('pack.close')))));
  } else if (unitsLeft(order) > 0) {
    root.append(h('button', { class: 'big primary wide', type: 'button', id: 'pack-open', onclick: () => open(ctx, order) }, t('pack.open')));
  } else {
    root.append(h('div', { class: 'card done-card', id: 'pack-done' }, t('pack.done')));
  }
  if (order.parcels.length) root.append(h('h2', {}, t('pack.parcelsTitle')), h('ul', { class: 'task-list', id: 'pack-parcels' }, order.parcels.map((p) => parcelRow(p, labels))));
}


export function render(root, ctx, [id]) {
  const drawn = drawing.draw(root, (box, v) => (id ? renderOrder(box, ctx, Number(id), v) : listKind('pack_order').then((orders) => renderOrders(box, orders))));
  if (!id) return drawn;
  // Labels print once their parcel has reached the server: try after every sync.
  const onChange = async () => {
    if ((await printQueued(ctx.device)) > 0 && location.hash === `#/packer/${id}`) ctx.go('packer', id);
  };
  ctx.sync.addEventListener('change', onChange);
  return drawn.then((cleanup) => {
    onChange();
    return () => {
      ctx.sync.removeEventListener('change', onChange);
      cleanup();
    };
  });
}

async function open(ctx, order) {
  try {
    checkPackable(order.status);
    const blocks = await listKind('sscc_block');
    const used = new Set((await listKind('pack_order')).flatMap((o) => o.parcels.map((p) => p.sscc)));
    const after = (await db.getMeta(AFTER)) || {};
    const next = nextSscc(blocks, used, after);
    // The serial is spent before the op exists: a crash in between leaves a gap, never a label twice.
    await db.setMeta(AFTER, { ...after, [next.block.id]: next.serial + 1 });
    await ctx.sync.record('OpenParcel', { parcel_id: uuid(), order_id: order.id, sscc: next.sscc });
    accept(t('pack.opened'), showSscc(next.sscc));
  } catch (error) {
    if (error instanceof Refusal) return refuse('pack', error.code);
    throw error;
  }
  return ctx.go('packer', order.id);
}

async function close(ctx, order, parcel, weightText) {
  const grams = gramsFromKg(weightText);
  if (!parcel.items.length) return refuse('pack', 'parcel_empty', showSscc(parcel.sscc));
  if (!grams) return refuse('pack', 'weight_invalid', weightText);
  await ctx.sync.record('CloseParcel', { parcel_id: parcel.id, weight_g: grams });
  await queueLabel(parcel);
  accept(t('pack.closed'), showSscc(parcel.sscc), navigator.onLine ? t('pack.printing') : t('pack.labelQueued'));
  return ctx.go('packer', order.id);
}

export async function onScan(scan, ctx) {
  await drawing.ready();
  const view = drawing.view;
  const { order, parcel } = view || {};
  if (!order) return refuse('pack', 'choose_order', scan.raw);
  if (!parcel) return refuse('pack', 'open_first', scan.raw);
  try {
    const { item, product, location } = await identify(scan, order.lines.map((line) => line.product_id));
    if (location) throw new Refusal('unknown_barcode', 'a bin, not an item');
    const units = checkPack(order, parcel, item, 1);
    await ctx.sync.record('PackItem', { parcel_id: parcel.id, code: scan.raw, quantity: 1 },
      { local: { product_id: item.productId, units, marking_code: item.markingCode } });
    accept(`+${units} ${product.name}`, scan.raw);
  } catch (error) {
    if (error instanceof Refusal) return refuse('pack', error.code, scan.raw);
    throw error;
  }
  return ctx.go('packer', order.id);
}
