// The courier's routes from the replica: stops in order with their state (pending ops rebased on
// top), call and navigation links; the cash on hand and the way to the end-of-shift handover.

import { cashOnHand } from '../cash.js';
import { formatMoney, t } from '../i18n.js';
import { listKind } from '../replica.js';
import { h } from '../ui.js';

/** `tel:` with only what a dialer takes. */
export function telLink(phone) {
  return `tel:${String(phone).replace(/[^\d+]/g, '')}`;
}

/** A navigation link the phone hands to its maps app. */
export function navLink(address) {
  const q = encodeURIComponent(address);
  if (/android/i.test(navigator.userAgent)) return `geo:0,0?q=${q}`;
  if (/iphone|ipad|ipod/i.test(navigator.userAgent)) return `https://maps.apple.com/?q=${q}`;
  return `https://yandex.ru/maps/?text=${q}`;
}

export function windowText(window) {
  if (!window) return '';
  const [day, from, to] = window;
  return `${day} ${from.slice(0, 5)}–${to.slice(0, 5)}`;
}

/** A stop's state for the list and badges: todo, delivered, partial or failed. */
export function stopState(stop) {
  return stop.outcome || 'todo';
}

export function dueText(stop) {
  if (stop.amount_due) return formatMoney(stop.amount_due, stop.currency);
  return stop.paid ? t('stop.paid', { amount: formatMoney(stop.paid, stop.currency) }) : t('stop.prepaid');
}

function stopRow(route, stop) {
  const state = stopState(stop);
  return h('li', { class: `stop state-${state}`, dataset: { stop: stop.stop_no, state } },
    h('a', { class: 'stop-main', href: `#/stop/${route.id}/${stop.stop_no}` },
      h('span', { class: 'stop-no' }, stop.stop_no),
      h('span', { class: 'stop-text' },
        h('strong', {}, stop.customer),
        h('small', {}, stop.address || ''),
        h('small', {}, [windowText(stop.window), dueText(stop)].filter(Boolean).join(' · ')),
        h('span', { class: `state-badge state-${state}` }, t(`stop.state.${state}`)))),
    h('span', { class: 'stop-actions' },
      stop.phone ? h('a', { class: 'icon-button', href: telLink(stop.phone), 'aria-label': t('stop.call') }, '✆') : null,
      stop.address ? h('a', { class: 'icon-button', href: navLink(stop.address), target: '_blank', rel: 'noopener', 'aria-label': t('stop.navigate') }, '➤') : null));
}

export async function render(root) {
  const routes = (await listKind('route')).sort((a, b) => a.day.localeCompare(b.day) || a.id - b.id);
  root.append(h('h1', {}, t('routes.title')), await cashCard());
  if (!routes.length) {
    root.append(h('p', { class: 'card muted', id: 'routes-empty' }, t('routes.none')));
    return;
  }
  for (const route of routes) {
    root.append(h('section', { class: 'route', dataset: { route: route.id } },
      h('h2', {}, t('routes.route', { id: route.id, day: route.day })),
      h('p', { class: 'muted' }, [route.vehicle ? t('routes.vehicle', { v: route.vehicle }) : null, t(`routes.status.${route.status}`), t('routes.stops', { n: route.stops.length })].filter(Boolean).join(' · ')),
      h('ol', { class: 'stops' }, route.stops.map((stop) => stopRow(route, stop)))));
  }
}

/** Cash on hand since the last handover, and the way to hand it over. */
async function cashCard() {
  const onHand = Object.entries(await cashOnHand());
  const text = onHand.length ? onHand.map(([currency, minor]) => formatMoney(minor, currency)).join(' + ') : formatMoney(0, 'RUB');
  return h('div', { class: 'card cash-card', id: 'cash-on-hand', dataset: { amounts: JSON.stringify(Object.fromEntries(onHand)) } },
    h('span', {}, h('small', { class: 'muted' }, t('cash.onHand')), h('strong', { id: 'cash-on-hand-amount' }, text)),
    h('a', { class: 'big button', id: 'go-handover', href: '#/handover' }, t('handover.open')));
}
