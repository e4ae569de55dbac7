// The courier's routes from the replica: stops in order with call and navigation links. Door
// scans, signatures, payments and handover arrive with their server ops.

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

export function dueText(stop) {
  return stop.amount_due ? formatMoney(stop.amount_due, stop.currency) : t('stop.prepaid');
}

function stopRow(route, stop) {
  return h('li', { class: 'stop', dataset: { stop: stop.stop_no } },
    h('a', { class: 'stop-main', href: `#/stop/${route.id}/${stop.stop_no}` },
      h('span', { class: 'stop-no' }, stop.stop_no),
      h('span', { class: 'stop-text' },
        h('strong', {}, stop.customer),
        h('small', {}, stop.address || ''),
        h('small', {}, [windowText(stop.window), dueText(stop)].filter(Boolean).join(' · ')))),
    h('span', { class: 'stop-actions' },
      stop.phone ? h('a', { class: 'icon-button', href: telLink(stop.phone), 'aria-label': t('stop.call') }, '✆') : null,
      stop.address ? h('a', { class: 'icon-button', href: navLink(stop.address), target: '_blank', rel: 'noopener', 'aria-label': t('stop.navigate') }, '➤') : null));
}

export async function render(root) {
  const routes = (await listKind('route')).sort((a, b) => a.day.localeCompare(b.day) || a.id - b.id);
  root.append(h('h1', {}, t('routes.title')));
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
