// Tally's service worker: the app shell in a versioned cache, filled on install and cleaned on
// activate; navigations to the app are answered from it, so the app starts with no network.
// The API is never intercepted: the page's sync client talks to the network itself and keeps
// its own outbox in IndexedDB, which this worker never touches.
//
// BUILD is a hash of the shell files: `python -m tests.browser.shell --write` updates it and
// the SHELL list; a test fails when they are stale. A new BUILD installs as a waiting update.

const VERSION = '0.1.0';
const BUILD = 'a15a9ebb76ea';
const SHELL_CACHE = `tally-shell-${VERSION}-${BUILD}`;
const VENDOR_CACHE = 'tally-vendor'; // npm-installed code loaded on demand (the camera decoder)

const SHELL = [
  '/css/app.css',
  '/icons/apple-touch-icon.png',
  '/icons/favicon-32.png',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/maskable-512.png',
  '/',
  '/js/api.js',
  '/js/app.js',
  '/js/blob-gc.js',
  '/js/camera.js',
  '/js/cash.js',
  '/js/checking.js',
  '/js/courier-ops.js',
  '/js/db.js',
  '/js/device.js',
  '/js/door.js',
  '/js/feedback.js',
  '/js/gs1.js',
  '/js/hints.js',
  '/js/i18n.js',
  '/js/install.js',
  '/js/items.js',
  '/js/labels.js',
  '/js/loading.js',
  '/js/ops-warehouse.js',
  '/js/ops.js',
  '/js/packing.js',
  '/js/picking.js',
  '/js/refusal.js',
  '/js/replica.js',
  '/js/router.js',
  '/js/scanner.js',
  '/js/screens/checker.js',
  '/js/screens/deliver.js',
  '/js/screens/enroll.js',
  '/js/screens/floor.js',
  '/js/screens/handover.js',
  '/js/screens/home.js',
  '/js/screens/loader.js',
  '/js/screens/lookup.js',
  '/js/screens/packer.js',
  '/js/screens/parts.js',
  '/js/screens/picker.js',
  '/js/screens/routes.js',
  '/js/screens/scan.js',
  '/js/screens/stop.js',
  '/js/screens/sync-status.js',
  '/js/signature.js',
  '/js/sync.js',
  '/js/ui.js',
  '/js/update.js',
  '/js/version.js',
  '/manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })))),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith('tally-shell-') && name !== SHELL_CACHE).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  // The page's "reload" button, after its pending writes have landed.
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
  if (event.data?.type === 'VERSION') event.source?.postMessage({ type: 'VERSION', version: VERSION, build: BUILD });
});

async function fromCache(cacheName, request, key = request) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(key, { ignoreSearch: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (cacheName === VENDOR_CACHE && response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path.startsWith('/api/') || path.startsWith('/schema') || path === '/health') return; // network only
  if (request.mode === 'navigate') {
    if (path === '/' || path === '/index.html') event.respondWith(fromCache(SHELL_CACHE, request, '/'));
    return;
  }
  if (path.startsWith('/vendor/')) {
    event.respondWith(fromCache(VENDOR_CACHE, request));
    return;
  }
  if (SHELL.includes(path)) event.respondWith(fromCache(SHELL_CACHE, request));
});
