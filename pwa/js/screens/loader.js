// Loading: routes to load → scan each parcel's or pallet's SSCC → LoadParcel; the screen keeps
// what is still missing from the vehicle, and the route is dispatched once nothing is. A label
// that is no SSCC, unknown here, or meant for another route's vehicle is refused on the spot.

import { t } from '../i18n.js';
import { isAboard, missing, parcelsNamed, scannedSscc } from '../loading.js';
import { Refusal } from '../picking.js';
import { listKind } from '../replica.js';
import { h } from '../ui.js';
import { accept, backLink, Drawing, refuse } from './floor.js';

const drawing = new Drawing(); // drawing.view: {route}

const parcelsOf = (route) => route.stops.flatMap((stop) => stop.parcels.filter((p) => ['open', 'closed', 'loaded'].includes(p.status)));
const aboard = (route) => parcelsOf(route).filter((p) => isAboard(route, p)).length;

function renderRoutes(root, routes) {
  root.append(h('h1', {}, t('load.title')));
  const shown = routes.filter((r) => r.status === 'planned' || r.status === 'loading').sort((a, b) => a.day.localeCompare(b.day) || a.id - b.id);
  if (!shown.length) {
    root.append(h('p', { class: 'card muted', id: 'load-none' }, t('load.none')));
    return;
  }
  root.append(h('ul', { class: 'task-list', id: 'load-routes' }, shown.map((route) => h('li', {},
    h('a', { class: 'task', href: `#/loader/${route.id}`, dataset: { route: route.id } },
      h('strong', {}, t('load.route', { id: route.id, day: route.day })),
      h('small', {}, [route.vehicle, t('load.aboard', { n: aboard(route), total: parcelsOf(route).length }), t('load.stops', { n: route.stops.length })].filter(Boolean).join(' · ')))))));
}

async function renderRoute(root, ctx, id, v) {
  const route = (await listKind('load_route')).find((r) => r.id === id);
  root.append(backLink('#/loader', t('load.title')));
  Object.assign(v, { route: null });
  if (!route) {
    root.append(h('p', { class: 'card muted', id: 'load-gone' }, t('load.gone')));
    return;
  }
  root.append(h('h1', {}, t('load.route', { id: route.id, day: route.day })));
  if (route.status === 'dispatched') {
    root.append(h('div', { class: 'card done-card', id: 'load-dispatched' }, t('load.dispatched')));
    return;
  }
  v.route = route;
  const absent = missing(route);
  root.append(
    h('p', { class: 'muted' }, [route.vehicle, t(`load.status.${route.status}`)].filter(Boolean).join(' · ')),
    h('div', { class: 'card bin-card' }, t('load.aboardLabel'), ' ', h('strong', { id: 'load-count' }, `${aboard(route)} / ${parcelsOf(route).length}`)),
    h('p', { class: 'prompt' }, t('load.prompt')),
    h('h2', {}, t('load.missing'), ' ', h('span', { id: 'load-missing-count', class: absent.length ? 'refused-count' : '' }, String(absent.length))),
    absent.length
      ? h('ul', { class: 'task-list', id: 'load-missing' }, absent.map(({ stop, sscc }) => h('li', { class: 'parcel is-missing', dataset: { sscc: sscc || '' } },
        h('strong', {}, sscc ? `(00) ${sscc}` : t('load.notPacked')), h('small', {}, t('load.stop', { n: stop.stop_no, number: stop.number })))))
      : h('p', { class: 'card done-card', id: 'load-complete' }, t('load.complete')),
    h('button', { class: 'big primary wide', type: 'button', id: 'load-dispatch', disabled: absent.length > 0, onclick: () => dispatch(ctx, route) },
      absent.length ? t('load.dispatchBlocked', { n: absent.length }) : t('load.dispatch')));
}


export function render(root, ctx, [id]) {
  return drawing.draw(root, (box, v) => (id ? renderRoute(box, ctx, Number(id), v) : listKind('load_route').then((routes) => renderRoutes(box, routes))));
}

async function dispatch(ctx, route) {
  if (missing(route).length) return refuse('load', 'parcels_missing');
  await ctx.sync.record('DispatchRoute', { route_id: route.id });
  accept(t('load.dispatched'));
  return ctx.go('loader', route.id);
}

export async function onScan(scan, ctx) {
  await drawing.ready();
  const view = drawing.view;
  const route = view?.route;
  if (!route) return refuse('load', 'choose_route', scan.raw);
  let sscc;
  try {
    sscc = scannedSscc(scan.raw);
  } catch (error) {
    if (error instanceof Refusal) return refuse('load', error.code, scan.raw);
    throw error;
  }
  const named = parcelsNamed(route, sscc);
  if (!named.length) {
    const other = (await listKind('load_route')).find((r) => r.id !== route.id && parcelsNamed(r, sscc).length);
    if (other) return refuse('load', 'other_route', scan.raw, t('load.belongsTo', { id: other.id, vehicle: other.vehicle || '' }));
    return refuse('load', 'parcel_unknown', scan.raw);
  }
  if (named.every(({ parcel }) => isAboard(route, parcel))) return accept(t('load.already'), scan.raw);
  await ctx.sync.record('LoadParcel', { route_id: route.id, sscc: scan.raw }, { local: { sscc } });
  accept(t('load.loaded', { n: named.length }), scan.raw, t('load.stop', { n: named[0].stop.stop_no, number: named[0].stop.number }));
  return ctx.go('loader', route.id);
}
