// Home, by role: warehouse roles get scanning and look-up; couriers their route; everyone the
// sync status; each warehouse role its work (picking, checking, packing, loading) as tiles.

import { WAREHOUSE_ROLES } from '../device.js';
import { t } from '../i18n.js';
import { countKind } from '../replica.js';
import { h } from '../ui.js';

// The warehouse work screens a role may open, as home tiles.
const WORK_TILES = [['picker', '☑'], ['checker', '✔'], ['packer', '▣'], ['loader', '⛟']];
const TILE_KEYS = { picker: 'pick', checker: 'check', packer: 'pack', loader: 'load' };

function tile(id, icon, title, hint, href) {
  return h('a', { class: 'tile', id, href }, h('span', { class: 'tile-icon', 'aria-hidden': 'true' }, icon),
    h('span', { class: 'tile-text' }, h('strong', {}, title), h('small', {}, hint)));
}

export async function render(root, ctx) {
  const { device } = ctx;
  const warehouse = WAREHOUSE_ROLES.has(device.role);
  const summary = h('p', { class: 'muted', id: 'replica-summary' });
  root.append(...[
    h('h1', {}, device.name),
    h('p', { class: 'role-line' }, t(`role.${device.role}`)),
    h('nav', { class: 'tiles' },
      warehouse ? tile('tile-scan', '▥', t('home.scan'), t('home.scanHint'), '#/scan') : null,
      warehouse ? tile('tile-lookup', '⌕', t('home.lookup'), t('home.lookupHint'), '#/lookup') : null,
      WORK_TILES.filter(([screen]) => ctx.allowed(screen)).map(([screen, icon]) => tile(`tile-${screen}`, icon, t(`${TILE_KEYS[screen]}.tile`), t(`${TILE_KEYS[screen]}.tileHint`), `#/${screen}`)),
      warehouse ? null : tile('tile-routes', '➜', t('home.routes'), t('home.routesHint'), '#/routes'),
      tile('tile-sync', '⇅', t('home.sync'), t('home.syncHint'), '#/sync')),
    warehouse ? h('p', { class: 'hint' }, t('home.wedgeHint')) : null,
    summary,
  ].filter(Boolean));
  const refresh = async () => {
    summary.textContent = warehouse
      ? t('home.catalog', { products: await countKind('product'), bins: await countKind('location') })
      : t('home.routesCount', { n: await countKind('route') });
  };
  await refresh();
  ctx.sync?.addEventListener('pulled', refresh);
  return () => ctx.sync?.removeEventListener('pulled', refresh);
}
