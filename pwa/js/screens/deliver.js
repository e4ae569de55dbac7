// The outcome at the door, all offline: delivered (recipient, signature, optional photo, cash or
// card on delivery), partial (the parcels refused and why; the rest paid for) or failed with a
// reason. The signature and photos are kept as blobs first;
// then RecordDelivery (and TakePayment when money is due) go to the outbox, in that order.

import { cashTaken, changeFor, moneyInput, parseMoney } from '../cash.js';
import { newId } from '../courier-ops.js';
import { endVisit, scannedAt } from '../door.js';
import { refusedUnits, refusedValue } from '../refusal.js';
import { formatMoney, getLang, t } from '../i18n.js';
import { SignaturePad } from '../signature.js';
import { storeBlob } from '../sync.js';
import { facts, fill, h, verdict } from '../ui.js';
import { contentsText, findStop } from './stop.js';

const PHOTO_TYPES = new Set(['image/jpeg', 'image/png']); // what the server takes as a photo
const GEO_WAIT_MS = 3000;

/** Where the phone is, if it can tell quickly; a delivery never waits on a GPS fix. */
function position() {
  if (!navigator.geolocation) return Promise.resolve(null);
  const fix = new Promise((resolve) => navigator.geolocation.getCurrentPosition(
    (p) => resolve({ lat_e6: Math.round(p.coords.latitude * 1e6), lon_e6: Math.round(p.coords.longitude * 1e6), accuracy_m: Math.round(p.coords.accuracy) }),
    () => resolve(null), { enableHighAccuracy: true, timeout: GEO_WAIT_MS, maximumAge: 60000 }));
  return Promise.race([fix, new Promise((resolve) => setTimeout(() => resolve(null), GEO_WAIT_MS + 500))]);
}

function field(labelText, input, extra = null) {
  return h('label', {}, h('span', {}, labelText), input, extra);
}

/**
 * The payment part of the form; `read()` answers the TakePayment fields (null when nothing is
 * due) or `{error}`; `refresh()` follows a due amount that changes (a partial delivery).
 */
function paymentPart(stop, dueNow) {
  if (!(stop.amount_due || 0)) return { el: null, read: () => null, refresh: () => {} };
  let method = stop.payment === 'card_on_delivery' ? 'card' : 'cash';
  const tendered = h('input', { id: 'cash-tendered', inputmode: 'decimal', autocomplete: 'off', value: moneyInput(dueNow(), stop.currency) });
  const change = h('p', { id: 'cash-change', class: 'change' });
  const ref = h('input', { id: 'card-ref', autocomplete: 'off', autocapitalize: 'characters' });
  const dueEl = h('strong', { id: 'pay-due' });
  const cashPart = h('div', { class: 'stack' }, field(t('cash.tendered'), tendered), change);
  const cardPart = h('div', { class: 'stack' }, field(t('cash.terminalRef'), ref));
  const refresh = () => {
    const due = dueNow();
    dueEl.dataset.minor = due;
    dueEl.textContent = formatMoney(due, stop.currency);
    const owed = changeFor(due, parseMoney(tendered.value, stop.currency));
    change.classList.toggle('error-text', owed === null);
    change.textContent = owed === null ? t('cash.tooLittle') : t('cash.change', { amount: formatMoney(owed, stop.currency) });
    change.dataset.change = owed ?? '';
    el.hidden = due === 0;
  };
  tendered.addEventListener('input', refresh);
  const buttons = {
    cash: h('button', { type: 'button', id: 'pay-cash', onclick: () => choose('cash') }, t('cash.cash')),
    card: h('button', { type: 'button', id: 'pay-card', onclick: () => choose('card') }, t('cash.card')),
  };
  function choose(next) {
    method = next;
    for (const [name, button] of Object.entries(buttons)) button.classList.toggle('on', name === method);
    cashPart.hidden = method !== 'cash';
    cardPart.hidden = method !== 'card';
  }
  const el = h('section', { class: 'card', id: 'payment' },
    h('h2', {}, t('cash.title')),
    facts([[t('stop.due'), dueEl]]),
    h('div', { class: 'segmented' }, buttons.cash, buttons.card),
    cashPart, cardPart);
  choose(method);
  refresh();
  const read = () => {
    const due = dueNow();
    if (!due) return null;
    const base = { payment_id: newId(), order_id: stop.order_id, method, amount: due, currency: stop.currency };
    if (method === 'card') {
      const terminalRef = ref.value.trim();
      return terminalRef ? { ...base, terminal_ref: terminalRef } : { error: t('cash.needRef') };
    }
    const given = parseMoney(tendered.value, stop.currency);
    const owed = changeFor(due, given);
    return owed === null ? { error: t('cash.tooLittle') } : { ...base, tendered: given, change_given: owed };
  };
  return { el, read, refresh };
}

/** Failure reasons as `<option>`s in the current language (also the reasons a customer refuses). */
function reasonOptions(route) {
  const lang = getLang();
  return [h('option', { value: '' }, t('deliver.chooseReason')),
    (route.failure_reasons || []).map((r) => h('option', { value: r.code }, r[`label_${lang}`] || r.label_en || r.code))];
}

/** The partial part: which parcels the customer refused (those not scanned at the door, to start with), and why. */
function refusalPart(route, stop, parcelsScanned, onChange) {
  const boxes = (stop.parcels || []).map((p) => h('input', {
    type: 'checkbox', value: p.sscc, id: `refuse-${p.sscc}`, checked: !parcelsScanned.includes(p.sscc), onchange: onChange }));
  const reason = h('select', { id: 'refuse-reason' }, reasonOptions(route));
  const el = h('section', { class: 'card', id: 'refusal' },
    h('h2', {}, t('deliver.refusedParcels')),
    h('ul', { class: 'door-list' }, (stop.parcels || []).map((p, i) => h('li', { class: 'door-parcel' },
      h('label', { class: 'check' }, boxes[i], h('span', { class: 'door-sscc' }, p.sscc)),
      h('small', { class: 'muted' }, contentsText(stop, p))))),
    field(t('deliver.refusedReason'), reason));
  const refused = () => boxes.filter((b) => b.checked).map((b) => b.value);
  const read = () => {
    const chosen = refused();
    const kept = (stop.parcels || []).map((p) => p.sscc).filter((sscc) => !chosen.includes(sscc));
    if (!chosen.length) return { error: t('deliver.needRefused') };
    if (!kept.length) return { error: t('deliver.allRefused') };
    if (kept.some((sscc) => !parcelsScanned.includes(sscc))) return { error: t('deliver.scanKept') };
    if (!reason.value) return { error: t('deliver.needRefusedReason') };
    const units = refusedUnits(stop.parcels, chosen);
    if (!Object.keys(units).length) return { error: t('deliver.refusedEmpty') };
    return {
      parcels: kept,
      refused: Object.entries(units).map(([productId, quantity]) => ({ product_id: Number(productId), quantity, reason: reason.value })),
    };
  };
  return { el, read, refused };
}

function deliveredForm(route, stop, parcelsScanned, partial) {
  const pod = stop.pod || { signature: true, photo: false };
  // A partial delivery owes what is left once the refused goods come off the invoice.
  const dueNow = () => (partial
    ? Math.max((stop.amount_due || 0) - refusedValue(stop.lines, refusedUnits(stop.parcels || [], refusal.refused())), 0)
    : stop.amount_due || 0);
  const refusal = partial ? refusalPart(route, stop, parcelsScanned, () => payment.refresh()) : null;
  const name = h('input', { id: 'deliver-name', autocomplete: 'off', autocapitalize: 'words', enterkeyhint: 'next' });
  const canvas = h('canvas', { id: 'signature', class: 'signature', 'aria-label': t('deliver.signature') });
  const photo = h('input', { id: 'deliver-photo', type: 'file', accept: 'image/jpeg,image/png', capture: 'environment' });
  const pad = new SignaturePad(canvas, { onChange: (p) => canvas.classList.toggle('signed', !p.isEmpty) });
  const payment = paymentPart(stop, dueNow);
  const total = (stop.parcels || []).length;
  const el = h('div', { class: 'stack' },
    refusal?.el,
    !partial && total && parcelsScanned.length < total
      ? h('p', { class: 'card warn', id: 'deliver-unscanned' }, t('deliver.unscanned', { n: parcelsScanned.length, total }))
      : null,
    field(t('deliver.recipient'), name),
    h('div', { class: 'signature-box' },
      h('div', { class: 'signature-head' }, h('strong', {}, pod.signature ? t('deliver.signature') : t('deliver.signatureOptional')),
        h('button', { type: 'button', class: 'link-button', id: 'signature-clear', onclick: () => pad.clear() }, t('deliver.clear'))),
      canvas),
    field(pod.photo ? t('deliver.photo') : t('deliver.photoOptional'), photo),
    payment.el);
  const read = async () => {
    const recipient = name.value.trim();
    if (!recipient) return { error: t('deliver.needName') };
    if (pod.signature && pad.isEmpty) return { error: t('deliver.needSignature') };
    const files = [...photo.files];
    if (pod.photo && !files.length) return { error: t('deliver.needPhoto') };
    if (files.some((f) => !PHOTO_TYPES.has(f.type))) return { error: t('deliver.photoType') };
    const refused = refusal ? refusal.read() : { parcels: parcelsScanned };
    if (refused.error) return refused;
    const pay = payment.read();
    if (pay?.error) return pay;
    const blobs = [];
    let signature = { signature_png: null, signature_strokes: null };
    if (!pad.isEmpty) {
      signature = { signature_png: await storeBlob('image/png', await pad.png()), signature_strokes: await storeBlob('application/json', pad.strokesJson()) };
      blobs.push(signature.signature_png, signature.signature_strokes);
    }
    const photos = [];
    for (const file of files) photos.push(await storeBlob(file.type, file));
    blobs.push(...photos);
    return { fields: { recipient_name: recipient, ...signature, photos, ...refused }, blobs, pay };
  };
  // The canvas gets its bitmap size once it is laid out.
  return { el, read, mounted: () => pad.fit() };
}

function failedForm(route) {
  const select = h('select', { id: 'fail-reason' }, reasonOptions(route));
  const note = h('textarea', { id: 'fail-note', rows: 3, maxlength: 2000 });
  const el = h('div', { class: 'stack' }, field(t('deliver.reason'), select), field(t('deliver.note'), note));
  const read = async () => {
    if (!select.value) return { error: t('deliver.needReason') };
    return { fields: { failure_reason: select.value, note: note.value.trim(), parcels: [] }, blobs: [], pay: null };
  };
  return { el, read, mounted: () => {} };
}

export async function render(root, ctx, [routeId, stopNo, outcome]) {
  const { route, stop } = await findStop(routeId, stopNo);
  root.append(h('p', {}, h('a', { href: `#/stop/${routeId}/${stopNo}`, class: 'back' }, `← ${t('deliver.back')}`)));
  if (!stop || !['delivered', 'partial', 'failed'].includes(outcome)) {
    root.append(h('p', { class: 'card muted' }, t('stop.missing')));
    return;
  }
  if (stop.outcome) {
    root.append(h('p', { class: 'card', id: 'stop-done' }, t('stop.recorded', { outcome: t(`stop.state.${stop.outcome}`) })));
    return;
  }
  const form = outcome === 'failed' ? failedForm(route) : deliveredForm(route, stop, scannedAt(route.id, stop.stop_no), outcome === 'partial');
  const message = h('p', { class: 'message error', id: 'deliver-error', role: 'alert' });
  const submit = h('button', { class: `big primary${outcome === 'failed' ? ' danger' : ''}`, type: 'submit', id: 'deliver-submit' }, t(`deliver.submit.${outcome}`));
  const el = h('form', { class: 'stack deliver-form', id: 'deliver-form', dataset: { outcome }, onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    try {
      const done = await record(ctx, route, stop, outcome, form);
      if (done.error) {
        fill(message, done.error);
        return;
      }
      endVisit(route.id, stop.stop_no);
      verdict({ ok: true, title: t('deliver.recorded'), detail: stop.customer });
      ctx.go('routes');
    } catch (error) {
      fill(message, t('deliver.failed', { detail: error.message }));
    } finally {
      submit.disabled = false;
    }
  } }, form.el, message, submit);
  root.append(
    h('h1', {}, t(`deliver.title.${outcome}`)),
    h('p', { class: 'muted' }, `${t('stop.title', { n: stop.stop_no })} · ${stop.customer}`),
    el);
  form.mounted();
}

/** Keep the blobs, then the delivery op, then the payment op: the order the server applies them in. */
async function record(ctx, route, stop, outcome, form) {
  const read = await form.read();
  if (read.error) return read;
  const geo = outcome === 'failed' ? null : await position();
  const delivery = { delivery_id: newId(), order_id: stop.order_id, route_id: route.id, outcome, ...(geo || {}), ...read.fields };
  await ctx.sync.record('RecordDelivery', delivery, { blobs: read.blobs });
  if (read.pay) {
    // Cash goes into the phone's ledger in the op's own transaction: a crash cannot split them.
    await ctx.sync.record('TakePayment', read.pay, read.pay.method === 'cash' ? { alongside: cashTaken(read.pay) } : {});
  }
  return { delivery, payment: read.pay };
}
