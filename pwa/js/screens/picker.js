// Picking: the pick lists in this warehouse → claim one → walk its lines in pick-sequence order:
// scan the bin, scan the item (any of its barcodes; a case counts its multiplier; GS1 strings and
// marking codes read by gs1.js), enter a quantity when it is not one → PickItem. A wrong bin, a
// wrong item or an over-pick is refused here, offline, by the server's own rules (picking.js).
// A line that cannot be filled is shorted with a reason; a list can be released for someone else.

import * as db from '../db.js';
import { t } from '../i18n.js';
import { identify } from '../items.js';
import { checkBin, checkPick, checkShort, Refusal, remaining, SHORT_REASONS } from '../picking.js';
import { listKind, lookupCode } from '../replica.js';
import { facts, h } from '../ui.js';
import { accept, backLink, Drawing, refuse, stepper } from './floor.js';

const drawing = new Drawing(); // drawing.view: the open list's screen: {list, line, quantity, shortPanel}

const mine = (ctx, list) => list.claimed_by === ctx.device.device_id;
const available = (ctx, list) => list.status === 'open' && (!list.assigned_to || list.assigned_to === ctx.device.device_id)
  && (!list.claimed_by || mine(ctx, list));
const unitsLeft = (list) => list.lines.reduce((n, line) => n + remaining(line), 0);
const currentLine = (list) => list.lines.find((line) => remaining(line) > 0) || null;

function session(ctx, listId) {
  if (ctx.pick?.listId !== listId) ctx.pick = { listId, bin: null };
  return ctx.pick;
}

async function pickList(id) {
  return (await listKind('pick_list')).find((list) => list.id === id);
}

function renderLists(root, ctx, lists) {
  const shown = lists.filter((list) => available(ctx, list)).sort((a, b) => Number(mine(ctx, b)) - Number(mine(ctx, a)) || a.id - b.id);
  root.append(h('h1', {}, t('pick.title')));
  if (!shown.length) {
    root.append(h('p', { class: 'card muted', id: 'pick-none' }, t('pick.none')));
    return;
  }
  root.append(h('ul', { class: 'task-list', id: 'pick-lists' }, shown.map((list) => h('li', {},
    h('a', { class: 'task', href: `#/picker/${list.id}`, dataset: { list: list.id } },
      h('strong', {}, t('pick.list', { id: list.id })),
      h('small', {}, [t('pick.lines', { n: list.lines.length }), t('pick.unitsLeft', { n: unitsLeft(list) }),
        list.orders.map((o) => o.number).join(', ')].join(' · ')),
      mine(ctx, list) ? h('span', { class: 'badge' }, t('pick.mine')) : null)))));
}

function renderLine(ctx, list, line, s, v) {
  const done = list.lines.filter((l) => remaining(l) === 0).length;
  const order = list.orders.find((o) => o.order_id === line.order_id);
  const binOk = s.bin === line.location_barcode;
  const quantity = stepper('pick-qty', t('pick.quantity'), 1);
  v.quantity = quantity;
  return [
    h('p', { class: 'muted', id: 'pick-progress' }, t('pick.progress', { done, n: list.lines.length })),
    h('div', { class: `card pick-line ${binOk ? 'bin-ok' : ''}`, id: 'pick-line', dataset: { line: line.id } },
      h('p', { class: 'kind' }, t('pick.bin')),
      h('div', { class: 'pick-bin', id: 'pick-bin' }, binOk ? `✓ ${line.location_code}` : line.location_code),
      h('h2', { id: 'pick-product' }, line.name),
      facts([
        [t('pick.sku'), line.sku],
        [t('pick.toPick'), h('strong', { id: 'pick-remaining' }, String(remaining(line)))],
        [t('pick.ofLine'), `${line.picked} / ${line.quantity}${line.shorted ? ` (${t('pick.shorted', { n: line.shorted })})` : ''}`],
        [t('pick.order'), order ? `${order.number}${order.tote ? ` · ${t('pick.tote', { tote: order.tote })}` : ''}` : ''],
      ])),
    h('p', { class: 'prompt', id: 'pick-prompt' }, binOk ? t('pick.scanItem') : t('pick.scanBin', { bin: line.location_code })),
    quantity.form,
    h('div', { class: 'row-buttons' },
      h('button', { class: 'big', type: 'button', id: 'pick-short', onclick: () => { s.shortOpen = !s.shortOpen; v.shortPanel.hidden = !s.shortOpen; } }, t('pick.short')),
      h('button', { class: 'big', type: 'button', id: 'pick-release', onclick: () => release(ctx, list) }, t('pick.release'))),
    shortPanel(ctx, line, v, s),
  ];
}

function shortPanel(ctx, line, v, s) {
  const quantity = stepper('short-qty', t('pick.shortQuantity'), remaining(line), { min: 1, max: Math.max(1, remaining(line)) });
  v.shortPanel = h('div', { class: 'card warn', id: 'short-panel', hidden: !s.shortOpen },
    h('p', { class: 'prompt' }, t('pick.shortWhy')),
    quantity.form,
    h('div', { class: 'actions' }, SHORT_REASONS.map((reason) => h('button', {
      class: 'big', type: 'button', id: `short-${reason}`, onclick: () => shortLine(ctx, line, quantity.read(), reason),
    }, t(`pick.reason.${reason}`)))));
  return v.shortPanel;
}

async function renderList(root, ctx, id, v) {
  const list = await pickList(id);
  root.append(backLink('#/picker', t('pick.title')), h('h1', {}, t('pick.list', { id })));
  Object.assign(v, { list, line: null });
  if (!list) {
    root.append(h('p', { class: 'card muted', id: 'pick-gone' }, t('pick.gone')));
    return;
  }
  if (!mine(ctx, list)) {
    root.append(h('div', { class: 'card stack' },
      h('p', {}, t('pick.claimHint', { n: list.lines.length, units: unitsLeft(list) })),
      h('button', { class: 'big primary', type: 'button', id: 'pick-claim', onclick: () => claim(ctx, list) }, t('pick.claim'))));
    return;
  }
  const line = currentLine(list);
  v.line = line;
  if (!line) {
    root.append(h('div', { class: 'card done-card', id: 'pick-done' }, t('pick.done')));
    return;
  }
  root.append(...renderLine(ctx, list, line, session(ctx, id), v));
}


export function render(root, ctx, [id]) {
  return drawing.draw(root, (box, v) => (id ? renderList(box, ctx, Number(id), v) : listKind('pick_list').then((lists) => renderLists(box, ctx, lists))));
}

async function record(ctx, type, payload, local) {
  await ctx.sync.record(type, payload, { local });
}

async function claim(ctx, list) {
  await record(ctx, 'ClaimPickList', { pick_list_id: list.id }, { device_id: ctx.device.device_id });
  accept(t('pick.claimed', { id: list.id }));
  ctx.go('picker', list.id);
}

async function release(ctx, list) {
  await record(ctx, 'ReleasePickList', { pick_list_id: list.id });
  ctx.pick = null;
  accept(t('pick.released', { id: list.id }));
  ctx.go('picker');
}

async function shortLine(ctx, line, quantity, reason) {
  try {
    checkShort(line, quantity, reason);
  } catch (error) {
    if (error instanceof Refusal) return refuse('pick', error.code);
    throw error;
  }
  await record(ctx, 'ShortPick', { pick_line_id: line.id, quantity, reason });
  ctx.pick.shortOpen = false;
  accept(t('pick.shortDone', { n: quantity }), '', t(`pick.reason.${reason}`));
  ctx.go('picker', ctx.pick.listId);
}

/** A marking code this device already picked and has not sent yet (the server refuses a repeat). */
async function pickedHere(markingCode) {
  return (await db.getAll('outbox')).some((op) => op.type === 'PickItem' && op.local?.marking_code === markingCode);
}

export async function onScan(scan, ctx) {
  await drawing.ready();
  const view = drawing.view;
  const line = view?.line;
  if (!line) return refuse('pick', view?.list ? 'claim_first' : 'choose_list', scan.raw);
  const s = session(ctx, view.list.id);
  if (s.bin !== line.location_barcode) {
    // The bin first: its label, or a refusal that names the bin to go to.
    if (scan.raw === line.location_barcode) {
      s.bin = line.location_barcode;
      accept(t('pick.binOk', { bin: line.location_code }), scan.raw);
      return ctx.go('picker', view.list.id);
    }
    const found = await lookupCode(scan);
    if (found.kind === 'location') return refuse('pick', 'wrong_bin', scan.raw, t('pick.goTo', { bin: line.location_code }));
    return refuse('pick', 'bin_first', scan.raw, t('pick.goTo', { bin: line.location_code }));
  }
  try {
    const { item, location } = await identify(scan, [line.product_id]);
    if (location) {
      if (location.barcode === line.location_barcode) return accept(t('pick.binOk', { bin: line.location_code }), scan.raw);
      checkBin(line, location.barcode); // throws wrong_bin
    }
    const quantity = view.quantity.read();
    const units = checkPick(line, s.bin, item, quantity);
    if (item.markingCode && await pickedHere(item.markingCode)) throw new Refusal('marking_code_duplicate', 'already picked');
    await record(ctx, 'PickItem', { pick_line_id: line.id, bin: s.bin, code: scan.raw, quantity },
      { units, product_id: item.productId, marking_code: item.markingCode });
    accept(`+${units} ${line.name}`, scan.raw, units < remaining(line) ? t('pick.left', { n: remaining(line) - units }) : t('pick.lineDone'));
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    const detail = error.code === 'over_pick' ? t('pick.left', { n: remaining(line) }) : error.code === 'wrong_item' ? t('pick.want', { name: line.name }) : '';
    return refuse('pick', error.code, scan.raw, detail);
  }
  return ctx.go('picker', view.list.id);
}
