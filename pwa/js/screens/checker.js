// Checking: orders someone else picked → re-scan everything in the tote → CheckOrder. The count
// is compared line by line as the server will (checking.js) and shown: ok, missing, extra, or a
// product the order does not have. An unknown barcode is refused on the spot.

import * as db from '../db.js';
import { t } from '../i18n.js';
import { compare, passed } from '../checking.js';
import { identify } from '../items.js';
import { Refusal } from '../picking.js';
import { listKind } from '../replica.js';
import { h } from '../ui.js';
import { accept, backLink, Drawing, refuse } from './floor.js';

const drawing = new Drawing(); // drawing.view: {task, count}

const pickedByMe = (ctx, task) => (task.picked_by || []).includes(ctx.device.device_id);

// This device's count of one order (scanned codes, units and names per product, the result once
// sent) is kept in IndexedDB: a reload or an app update in the middle of a count loses nothing.
const countKey = (orderId) => `check_count:${orderId}`;

async function countOf(orderId) {
  const saved = await db.getMeta(countKey(orderId));
  return {
    codes: new Map(saved?.codes || []), units: new Map(saved?.units || []), names: new Map(saved?.names || []), result: saved?.result || null,
  };
}

function saveCount(orderId, count) {
  return db.setMeta(countKey(orderId), { codes: [...count.codes], units: [...count.units], names: [...count.names], result: count.result });
}

const expectedOf = (task) => new Map(task.lines.map((line) => [line.product_id, line.expected]));

function resultTable(lines, names) {
  return h('ul', { class: 'check-lines', id: 'check-lines' }, lines.map((line) => h('li', {
    class: `check-line is-${line.status}`, dataset: { product: line.product_id, status: line.status },
  },
  h('span', { class: 'check-name' }, names.get(line.product_id) || `#${line.product_id}`),
  h('span', { class: 'check-count' }, `${line.counted} / ${line.expected}`),
  h('span', { class: 'check-status' }, t(`check.status.${line.status}`)))));
}

function renderTasks(root, ctx, tasks) {
  const shown = tasks.filter((task) => !pickedByMe(ctx, task)).sort((a, b) => a.id - b.id);
  root.append(h('h1', {}, t('check.title')));
  if (!shown.length) {
    root.append(h('p', { class: 'card muted', id: 'check-none' }, t('check.none')));
    return;
  }
  root.append(h('ul', { class: 'task-list', id: 'check-tasks' }, shown.map((task) => h('li', {},
    h('a', { class: 'task', href: `#/checker/${task.id}`, dataset: { order: task.id } },
      h('strong', {}, t('check.order', { number: task.number })),
      h('small', {}, t('check.units', { lines: task.lines.length, n: task.lines.reduce((n, l) => n + l.expected, 0) })))))));
}

async function renderTask(root, ctx, id, v) {
  const task = (await listKind('check_task')).find((x) => x.id === id);
  const count = await countOf(id);
  root.append(backLink('#/checker', t('check.title')));
  Object.assign(v, { task: null, count });
  if (count.result) {
    // Sent: the result stays on screen; the order left this device's list.
    const ok = passed(count.result.lines);
    root.append(h('h1', {}, t('check.order', { number: count.result.number })),
      h('div', { class: `card ${ok ? 'done-card' : 'error-card'}`, id: 'check-result', dataset: { result: ok ? 'passed' : 'discrepancy' } },
        ok ? t('check.passed') : t('check.discrepancy')),
      resultTable(count.result.lines, count.names),
      // A discrepancy keeps the order picked: it comes back for a recount.
      ...(!ok && task ? [h('button', { class: 'big wide', type: 'button', id: 'check-reset', onclick: () => db.del('meta', countKey(id)).then(() => ctx.go('checker', id)) }, t('check.reset'))] : []));
    return;
  }
  if (!task) {
    root.append(h('p', { class: 'card muted', id: 'check-gone' }, t('check.gone')));
    return;
  }
  root.append(h('h1', {}, t('check.order', { number: task.number })));
  if (pickedByMe(ctx, task)) {
    root.append(h('p', { class: 'card error-card', id: 'check-own' }, t('check.own')));
    return;
  }
  v.task = task;
  for (const line of task.lines) count.names.set(line.product_id, line.name);
  const lines = compare(expectedOf(task), count.units);
  root.append(
    h('p', { class: 'prompt' }, t('check.prompt')),
    resultTable(lines, count.names),
    h('div', { class: 'actions' },
      h('button', { class: 'big primary', type: 'button', id: 'check-finish', disabled: count.codes.size === 0, onclick: () => finish(ctx, task, count) }, t('check.finish')),
      h('button', { class: 'big', type: 'button', id: 'check-reset', onclick: () => db.del('meta', countKey(id)).then(() => ctx.go('checker', id)) }, t('check.reset'))));
}


export function render(root, ctx, [id]) {
  return drawing.draw(root, (box, v) => (id ? renderTask(box, ctx, Number(id), v) : listKind('check_task').then((tasks) => renderTasks(box, ctx, tasks))));
}

async function finish(ctx, task, count) {
  const items = [...count.codes].map(([code, quantity]) => ({ code, quantity }));
  await ctx.sync.record('CheckOrder', { order_id: task.id, items });
  count.result = { number: task.number, lines: compare(expectedOf(task), count.units) };
  await saveCount(task.id, count);
  accept(passed(count.result.lines) ? t('check.passed') : t('check.discrepancy'));
  ctx.go('checker', task.id);
}

export async function onScan(scan, ctx) {
  await drawing.ready();
  const view = drawing.view;
  const task = view?.task;
  if (!task) return refuse('check', 'choose_order', scan.raw);
  let found;
  try {
    found = await identify(scan, task.lines.map((line) => line.product_id));
    if (found.location) throw new Refusal('unknown_barcode', 'a bin, not an item');
  } catch (error) {
    if (error instanceof Refusal) return refuse('check', error.code, scan.raw);
    throw error;
  }
  const { item, product } = found;
  const { count } = view;
  count.codes.set(scan.raw, (count.codes.get(scan.raw) || 0) + 1);
  count.units.set(item.productId, (count.units.get(item.productId) || 0) + item.units);
  count.names.set(item.productId, product.name);
  await saveCount(task.id, count);
  if (task.lines.some((line) => line.product_id === item.productId)) accept(`+${item.units} ${product.name}`, scan.raw);
  else refuse('check', 'not_in_order', scan.raw, product.name); // counted all the same: the tote holds it
  return ctx.go('checker', task.id);
}
