// Start-up: the service worker, the device, the sync engine, the scanner, the screens, and the
// status bar that always shows how many ops wait to be sent.

import * as db from './db.js';
import { WAREHOUSE_ROLES, loadDevice } from './device.js';
import * as feedback from './feedback.js';
import { parseScan } from './gs1.js';
import { otherLang, setLang, t } from './i18n.js';
import { offerInstall, requestPersistence } from './install.js';
import * as router from './router.js';
import { WedgeScanner } from './scanner.js';
import { SyncEngine } from './sync.js';
import { fill, h, showCode, verdict } from './ui.js';
import { checkForUpdate, registerServiceWorker } from './update.js';
import { APP_VERSION } from './version.js';
import * as enrollScreen from './screens/enroll.js';
import * as homeScreen from './screens/home.js';
import * as lookupScreen from './screens/lookup.js';
import * as routesScreen from './screens/routes.js';
import * as scanScreen from './screens/scan.js';
import * as stopScreen from './screens/stop.js';
import * as syncScreen from './screens/sync-status.js';
import './courier-ops.js'; // the courier's op types join OP_TYPES (rebase of pending deliveries)
import { pruneBlobs } from './blob-gc.js';
import * as deliverScreen from './screens/deliver.js';
import * as handoverScreen from './screens/handover.js';
import * as pickerScreen from './screens/picker.js';
import * as checkerScreen from './screens/checker.js';
import * as packerScreen from './screens/packer.js';
import * as loaderScreen from './screens/loader.js';

const isWarehouse = (device) => WAREHOUSE_ROLES.has(device?.role);
const isCourier = (device) => device?.role === 'courier';

// Which screens a device may open, and the bottom navigation for its role.
const SCREENS = {
  enroll: { module: enrollScreen, allowed: (d) => !d },
  home: { module: homeScreen, allowed: Boolean },
  scan: { module: scanScreen, allowed: isWarehouse },
  lookup: { module: lookupScreen, allowed: isWarehouse },
  routes: { module: routesScreen, allowed: isCourier },
  stop: { module: stopScreen, allowed: isCourier },
  sync: { module: syncScreen, allowed: Boolean },
  deliver: { module: deliverScreen, allowed: isCourier },
  handover: { module: handoverScreen, allowed: isCourier },
  picker: { module: pickerScreen, allowed: (d) => ['picker', 'warehouse'].includes(d?.role) },
  checker: { module: checkerScreen, allowed: (d) => ['checker', 'warehouse'].includes(d?.role) },
  packer: { module: packerScreen, allowed: (d) => ['packer', 'warehouse'].includes(d?.role) },
  loader: { module: loaderScreen, allowed: (d) => ['loader', 'warehouse'].includes(d?.role) },
};

const ctx = {
  device: null,
  sync: null,
  enrollCode: '',
  go: router.go,
  allowed: (name) => SCREENS[name].allowed(ctx.device),
  defaultScreen: () => (ctx.device ? 'home' : 'enroll'),
  /** Everything scanned — wedge, camera or typed — goes to the current screen. */
  scan: (text, source) => handleScan(text, source),
  /** After enrollment: start syncing, load the scope, go home. */
  async enrolled(device, progress) {
    ctx.device = device;
    requestPersistence();
    startSync();
    const onPulled = async () => progress?.(await db.count('replica'));
    ctx.sync.addEventListener('pulled', onPulled);
    await ctx.sync.running;
    ctx.sync.removeEventListener('pulled', onPulled);
    renderNav();
    router.go('home');
  },
};

// Scans are handled one after another, in the order they were read: a bin scanned just before
// an item must be the item's bin even when a look-up takes longer.
let scanQueue = Promise.resolve();

function handleScan(text, source) {
  scanQueue = scanQueue.then(() => dispatchScan(text, source)).catch((error) => console.error('tally: scan failed', error));
  return scanQueue;
}

async function dispatchScan(text, source) {
  const scan = parseScan(text);
  const { screen } = router.currentScreen();
  if (screen?.onScan) return screen.onScan(scan, ctx, source);
  if (isWarehouse(ctx.device)) {
    // Anywhere else a warehouse device looks the code up.
    router.go('lookup');
    return lookupScreen.onScan(scan, ctx);
  }
  feedback.refused();
  return verdict({ ok: false, title: t('scan.unknown'), code: showCode(scan.raw), dismissLabel: t('scan.dismiss') });
}

function renderNav() {
  const nav = document.getElementById('nav');
  const d = ctx.device;
  const items = !d ? [] : [
    ['home', '⌂', t('nav.home')],
    isWarehouse(d) ? ['scan', '▥', t('nav.scan')] : null,
    isWarehouse(d) ? ['lookup', '⌕', t('nav.lookup')] : null,
    isCourier(d) ? ['routes', '➜', t('nav.routes')] : null,
    ['sync', '⇅', t('nav.sync')],
  ].filter(Boolean);
  fill(nav, items.map(([name, icon, label]) => h('a', { href: `#/${name}`, dataset: { nav: name }, id: `nav-${name}` },
    h('span', { 'aria-hidden': 'true' }, icon), h('span', {}, label))));
  nav.hidden = !items.length;
  const current = router.currentScreen().name;
  for (const link of nav.querySelectorAll('[data-nav]')) link.classList.toggle('active', link.dataset.nav === current);
  document.getElementById('lang').textContent = t('lang.other');
  document.getElementById('lang').title = t('lang.otherName');
}

async function renderStatus() {
  const pending = document.getElementById('pending');
  const net = document.getElementById('net');
  const online = navigator.onLine;
  net.textContent = online ? t('net.online') : t('net.offline');
  net.className = online ? 'net online' : 'net offline';
  if (!ctx.sync) {
    pending.hidden = true;
    return;
  }
  const status = await ctx.sync.status();
  pending.hidden = false;
  pending.dataset.count = status.pending;
  pending.textContent = status.pending ? t('pending.count', { n: status.pending }) : t('pending.none');
  pending.classList.toggle('has-pending', status.pending > 0);
  pending.classList.toggle('has-error', Boolean(status.lastError && !status.lastError.transient) || status.rejected > 0);
  pending.classList.toggle('syncing', status.syncing);
}

function startSync() {
  if (ctx.sync) return;
  ctx.sync = new SyncEngine(ctx.device);
  ctx.sync.addEventListener('change', renderStatus);
  ctx.sync.addEventListener('pulled', () => pruneBlobs().catch((error) => console.warn('tally: blob clean-up failed', error)));
  ctx.sync.start();
  renderStatus();
}

function takeEnrollFragment() {
  // The QR carries `<server>/#enroll=CODE`.
  const match = location.hash.match(/^#enroll=([^&]+)/);
  if (!match) return;
  ctx.enrollCode = decodeURIComponent(match[1]);
  history.replaceState(null, '', '#/enroll');
}

function exposeForDebugging() {
  // A console handle for support staff and the browser tests; the token is in IndexedDB anyway.
  window.tally = {
    version: APP_VERSION,
    ctx,
    feedback: feedback.history,
    outbox: () => db.getAll('outbox'),
    rejected: () => db.getAll('rejected'),
    meta: (key) => db.getMeta(key),
    count: (store) => db.count(store),
    record: (type, payload) => ctx.sync.record(type, payload),
    syncNow: () => ctx.sync?.kick('debug'),
    status: () => ctx.sync?.status(),
    checkForUpdate,
  };
}

async function boot() {
  takeEnrollFragment();
  exposeForDebugging();
  window.tally.serviceWorker = registerServiceWorker(async () => ctx.sync?.settle()).catch((error) => {
    console.warn('tally: no service worker', error);
    return null;
  });
  ctx.device = await loadDevice();
  document.getElementById('lang').addEventListener('click', () => setLang(otherLang()));
  window.addEventListener('langchange', () => { renderNav(); renderStatus(); });
  window.addEventListener('online', renderStatus);
  window.addEventListener('offline', renderStatus);
  window.tally.scanner = new WedgeScanner((text, source) => handleScan(text, source));
  window.tally.scanner.start();
  renderNav();
  if (ctx.device) {
    startSync();
    requestPersistence();
  }
  renderStatus();
  for (const [name, spec] of Object.entries(SCREENS)) router.register(name, spec.module);
  await router.start(document.getElementById('screen'), ctx);
  offerInstall();
  document.body.dataset.ready = 'true';
}

boot();
