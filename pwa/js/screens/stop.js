// One stop of a route: who, where, when, what to collect; call and navigate.

import { t } from '../i18n.js';
import { getEntity } from '../replica.js';
import { facts, h } from '../ui.js';
import { dueText, navLink, telLink, windowText } from './routes.js';

export async function render(root, ctx, [routeId, stopNo]) {
  const route = await getEntity('route', routeId);
  const stop = route?.stops.find((s) => String(s.stop_no) === String(stopNo));
  root.append(h('p', {}, h('a', { href: '#/routes', class: 'back' }, `← ${t('stop.back')}`)));
  if (!stop) {
    root.append(h('p', { class: 'card muted' }, t('stop.missing')));
    return;
  }
  root.append(
    h('h1', {}, t('stop.title', { n: stop.stop_no })),
    h('div', { class: 'card', id: 'stop-card' },
      h('h2', {}, stop.customer),
      h('p', { class: 'address' }, stop.address || ''),
      facts([
        [t('stop.order'), stop.number],
        [t('stop.window'), windowText(stop.window)],
        [t('stop.due'), dueText(stop)],
        stop.notes ? [t('stop.notes'), stop.notes] : null,
      ])),
    h('div', { class: 'actions' },
      stop.phone ? h('a', { class: 'big button primary', id: 'stop-call', href: telLink(stop.phone) }, `✆ ${t('stop.call')}`) : null,
      stop.address ? h('a', { class: 'big button', id: 'stop-navigate', href: navLink(stop.address), target: '_blank', rel: 'noopener' }, `➤ ${t('stop.navigate')}`) : null),
    h('p', { class: 'hint' }, t('stop.later')),
  );
}
