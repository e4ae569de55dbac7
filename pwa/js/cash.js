// The courier's cash: money typed at the door (never a float: DESIGN principle 8), the change to
// give, and the cash on hand since the last handover — a small ledger kept on the phone, because
// the server's own figure is out of reach offline.

import * as db from './db.js';

const LEDGER = 'cash_ledger';
const EMPTY = () => ({ payments: [], handovers: [] });

/** Decimal digits of a currency's minor unit (RUB: 2). */
export function minorDigits(currency = 'RUB') {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
}

/**
 * Typed money ("1 500", "1500,5", "1500.50") as integer minor units, by string surgery; null when
 * it is not an amount.
 */
export function parseMoney(text, currency = 'RUB') {
  const digits = minorDigits(currency);
  const clean = String(text ?? '').replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
  const match = clean.match(digits ? new RegExp(`^(\\d{1,11})(?:\\.(\\d{0,${digits}}))?$`) : /^(\d{1,13})$/);
  if (!match) return null;
  return Number(match[1]) * 10 ** digits + Number((match[2] || '').padEnd(digits, '0') || 0);
}

/** Minor units as the text a money field shows ("1500.50"). */
export function moneyInput(minor, currency = 'RUB') {
  const digits = minorDigits(currency);
  if (!digits) return String(minor);
  const text = String(minor).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** The change owed for a cash payment, or null when the customer handed over too little. */
export function changeFor(due, tendered) {
  if (tendered === null || tendered === undefined || tendered < due) return null;
  return tendered - due;
}

async function ledger() {
  return (await db.getMeta(LEDGER)) || EMPTY();
}

/**
 * The ledger entry of cash taken at a door, written by the TakePayment op's own transaction:
 * `sync.record('TakePayment', pay, { alongside: cashTaken(pay) })`.
 */
export function cashTaken({ payment_id, order_id, amount, currency }) {
  return async (meta) => {
    const book = (await meta.get(LEDGER)) || EMPTY();
    if (!book.payments.some((p) => p.payment_id === payment_id)) {
      book.payments.push({ payment_id, order_id, amount, currency, at: new Date().toISOString(), handover_id: null });
    }
    await meta.put(book, LEDGER);
  };
}

/**
 * The ledger entry of a handover (the cash taken so far in that currency leaves the courier's
 * hands), written by the HandOverCash op's own transaction.
 */
export function cashHandedOver({ handover_id, currency, expected, counted }) {
  return async (meta) => {
    const book = (await meta.get(LEDGER)) || EMPTY();
    for (const p of book.payments) if (!p.handover_id && p.currency === currency) p.handover_id = handover_id;
    book.handovers.push({ handover_id, currency, expected, counted, at: new Date().toISOString() });
    await meta.put(book, LEDGER);
  };
}

/** Cash on hand by currency: `{RUB: 123450}` (empty when none). */
export async function cashOnHand() {
  const totals = {};
  for (const p of (await ledger()).payments) {
    if (!p.handover_id) totals[p.currency] = (totals[p.currency] || 0) + p.amount;
  }
  return totals;
}

/** The cash payments not yet handed over, oldest first. */
export async function unclaimedPayments() {
  return (await ledger()).payments.filter((p) => !p.handover_id);
}

/** The latest handover, or undefined. */
export async function lastHandover() {
  return (await ledger()).handovers.at(-1);
}
