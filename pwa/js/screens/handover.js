// End of shift: the cash the phone says the courier took since the last handover, what the
// cashier counted, the difference, and HandOverCash. The server reconciles against its own
// record; a difference is kept there for a supervisor to close.

import { cashHandedOver, cashOnHand, lastHandover, parseMoney, unclaimedPayments } from '../cash.js';
import { newId } from '../courier-ops.js';
import { formatMoney, formatTime, t } from '../i18n.js';
import { facts, fill, h } from '../ui.js';

function differenceText(expected, counted, currency) {
  if (counted === null) return '';
  const diff = counted - expected;
  if (diff === 0) return t('handover.matches');
  return t(diff < 0 ? 'handover.short' : 'handover.over', { amount: formatMoney(Math.abs(diff), currency) });
}

function doneCard(last) {
  if (!last) return null;
  return h('div', { class: 'card', id: 'handover-done', dataset: { counted: last.counted, expected: last.expected } },
    h('strong', {}, t('handover.done', { at: formatTime(last.at) })),
    facts([
      [t('handover.expected'), formatMoney(last.expected, last.currency)],
      [t('handover.counted'), formatMoney(last.counted, last.currency)],
      [t('handover.difference'), differenceText(last.expected, last.counted, last.currency)],
    ]));
}

export async function render(root, ctx) {
  const onHand = await cashOnHand();
  const currency = Object.keys(onHand)[0] || 'RUB';
  const expected = onHand[currency] || 0;
  const payments = (await unclaimedPayments()).filter((p) => p.currency === currency);
  const counted = h('input', { id: 'handover-counted', inputmode: 'decimal', autocomplete: 'off' });
  const cashier = h('input', { id: 'handover-cashier', autocomplete: 'off', autocapitalize: 'words' });
  const diff = h('p', { id: 'handover-diff', class: 'change' });
  const message = h('p', { class: 'message error', id: 'handover-error', role: 'alert' });
  const submit = h('button', { class: 'big primary', type: 'submit', id: 'handover-submit' }, t('handover.submit'));
  const done = h('div', {}, doneCard(await lastHandover()));
  counted.addEventListener('input', () => {
    const value = parseMoney(counted.value, currency);
    diff.textContent = differenceText(expected, value, currency);
    diff.classList.toggle('error-text', value !== null && value !== expected);
  });
  const form = h('form', { class: 'stack', id: 'handover-form', onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const value = parseMoney(counted.value, currency);
    if (value === null) return fill(message, t('handover.needCounted'));
    if (!cashier.value.trim()) return fill(message, t('handover.needCashier'));
    submit.disabled = true;
    try {
      const payload = { handover_id: newId(), courier_id: ctx.device.scope.courier_id, counted: value, currency, cashier: cashier.value.trim() };
      await ctx.sync.record('HandOverCash', payload,
        { alongside: cashHandedOver({ handover_id: payload.handover_id, currency, expected, counted: value }) });
      // Start afresh: nothing on hand now, and the handover just made shown.
      fill(root);
      await render(root, ctx);
    } catch (error) {
      fill(message, t('handover.failed', { detail: error.message }));
      submit.disabled = false;
    }
  } },
  h('label', {}, h('span', {}, t('handover.counted')), counted),
  diff,
  h('label', {}, h('span', {}, t('handover.cashier')), cashier),
  message,
  submit);
  root.append(
    h('p', {}, h('a', { href: '#/routes', class: 'back' }, `← ${t('stop.back')}`)),
    h('h1', {}, t('handover.title')),
    h('div', { class: 'card', id: 'handover-expected-card' },
      facts([
        [t('handover.expected'), h('strong', { id: 'handover-expected', dataset: { minor: expected } }, formatMoney(expected, currency))],
        [t('handover.payments'), String(payments.length)],
      ])),
    form,
    done);
}
