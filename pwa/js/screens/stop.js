// One stop of a route: who, where, when, what to collect; call and navigate; the door scan of the
// stop's parcels (a parcel of another stop is refused here, offline); then the outcome.

import { addScan, checkDoorScan, scannedAt } from '../door.js';
import * as feedback from '../feedback.js';
import { t } from '../i18n.js';
import { getEntity } from '../replica.js';
import { currentScreen } from '../router.js';
import { facts, fill, h, verdict } from '../ui.js';
import { manualEntry } from './parts.js';
import { dueText, navLink, stopState, telLink, windowText } from './routes.js';

/** The route and stop the hash names (rebased on pending ops), or {}. */
export async function findStop(routeId, stopNo) {
  const route = await getEntity('route', routeId);
  const stop = route?.stops.find((s) => String(s.stop_no) === String(stopNo));
  return stop ? { route, stop } : {};
}

/** "2 × Bolt, 3 × Nut" for a parcel, from the order's lines. */
export function contentsText(stop, parcel) {
  const names = new Map((stop.lines || []).map(([productId, , , name]) => [productId, name]));
  return (parcel.items || []).map(([productId, quantity]) => `${quantity} × ${names.get(productId) || `#${productId}`}`).join(', ');
}

function parcelList(routeId, stop) {
  const scanned = new Set(scannedAt(routeId, stop.stop_no));
  const parcels = stop.parcels || [];
  return [
    h('p', { id: 'door-count', class: 'prompt', dataset: { scanned: scanned.size, total: parcels.length } },
      t('stop.doorCount', { n: parcels.filter((p) => scanned.has(p.sscc)).length, total: parcels.length })),
    h('ul', { class: 'door-list', id: 'door-parcels' }, parcels.map((p) => h('li', {
      class: `door-parcel${scanned.has(p.sscc) ? ' is-scanned' : ''}`, dataset: { sscc: p.sscc },
    }, h('span', { class: 'door-mark', 'aria-hidden': 'true' }, scanned.has(p.sscc) ? '✔' : '○'),
    h('span', { class: 'door-sscc' }, p.sscc),
    h('small', { class: 'muted door-contents' }, contentsText(stop, p)),
    p.aboard ? null : h('small', { class: 'error-text' }, t('stop.notAboard'))))),
  ];
}

export async function render(root, ctx, [routeId, stopNo]) {
  const { route, stop } = await findStop(routeId, stopNo);
  root.append(h('p', {}, h('a', { href: '#/routes', class: 'back' }, `← ${t('stop.back')}`)));
  if (!stop) {
    root.append(h('p', { class: 'card muted' }, t('stop.missing')));
    return;
  }
  const state = stopState(stop);
  root.append(
    h('h1', {}, t('stop.title', { n: stop.stop_no }), ' ', h('span', { class: `state-badge state-${state}`, id: 'stop-state' }, t(`stop.state.${state}`))),
    h('div', { class: 'card', id: 'stop-card' },
      h('h2', {}, stop.customer),
      h('p', { class: 'address' }, stop.address || ''),
      facts([
        [t('stop.order'), stop.number],
        stop.window ? [t('stop.window'), windowText(stop.window)] : null,
        [t('stop.due'), dueText(stop)],
        stop.notes ? [t('stop.notes'), stop.notes] : null,
      ])),
    h('div', { class: 'actions side-by-side' },
      stop.phone ? h('a', { class: 'big button primary', id: 'stop-call', href: telLink(stop.phone) }, `✆ ${t('stop.call')}`) : null,
      stop.address ? h('a', { class: 'big button', id: 'stop-navigate', href: navLink(stop.address), target: '_blank', rel: 'noopener' }, `➤ ${t('stop.navigate')}`) : null),
  );
  if (stop.outcome) {
    root.append(h('p', { class: 'card', id: 'stop-done' }, t('stop.recorded', { outcome: t(`stop.state.${state}`) })));
    return;
  }
  const door = h('div', { id: 'door' }, parcelList(route.id, stop));
  root.append(
    h('h2', {}, t('stop.door')),
    h('p', { class: 'hint' }, t('stop.doorHint')),
    door,
    manualEntry(ctx),
    h('h2', {}, t('stop.outcome')),
    h('div', { class: 'actions outcome-actions' },
      h('a', { class: 'big button primary', id: 'stop-delivered', href: `#/deliver/${route.id}/${stop.stop_no}/delivered` }, `✔ ${t('stop.delivered')}`),
      h('a', { class: 'big button', id: 'stop-partial', href: `#/deliver/${route.id}/${stop.stop_no}/partial` }, `◐ ${t('stop.partial')}`),
      h('a', { class: 'big button danger', id: 'stop-failed', href: `#/deliver/${route.id}/${stop.stop_no}/failed` }, `✖ ${t('stop.failed')}`)),
  );
}

/** A scan at the door: one of this stop's parcels is ticked; any other code is refused loudly. */
export async function onScan(scan) {
  const [routeId, stopNo] = currentScreen().params;
  const { route, stop } = await findStop(routeId, stopNo);
  if (!stop || stop.outcome) return;
  const check = checkDoorScan(stop, scan);
  if (!check.ok) {
    feedback.refused();
    verdict({ ok: false, title: t(`stop.refused.${check.code}`), code: scan.raw, detail: t(`stop.refusedHelp.${check.code}`), dismissLabel: t('scan.dismiss') });
    return;
  }
  const fresh = addScan(route.id, stop.stop_no, check.sscc);
  feedback.accepted();
  verdict({ ok: true, title: fresh ? t('stop.parcelOk') : t('stop.parcelAgain'), code: check.sscc });
  const door = document.getElementById('door');
  if (door) fill(door, parcelList(route.id, stop));
}
