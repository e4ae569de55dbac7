// The service worker and the update flow: a new shell installs in the background and waits; the
// user is offered "reload"; before the new version takes over, every op being written is allowed
// to land. The outbox lives in IndexedDB, which an update never touches (db.js only adds stores).

import { t } from './i18n.js';
import { banner } from './ui.js';

let waitingWorker = null;
let removeBanner = null;
let reloading = false;

function offer(worker, beforeReload) {
  waitingWorker = worker;
  removeBanner?.();
  removeBanner = banner('update', t('update.ready'), [[t('update.reload'), async () => {
    await beforeReload(); // no op is left half-written
    reloading = true;
    waitingWorker.postMessage({ type: 'SKIP_WAITING' });
  }, 'primary']]);
}

/** Register /sw.js; `beforeReload()` runs before an update takes over. Resolves with the registration. */
export async function registerServiceWorker(beforeReload) {
  if (!('serviceWorker' in navigator)) return null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading) window.location.reload();
  });
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const watch = (worker) => {
    worker?.addEventListener('statechange', () => {
      // "installed" with a controller already in place: an update, waiting for the user.
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker, beforeReload);
    });
  };
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting, beforeReload);
  watch(registration.installing);
  registration.addEventListener('updatefound', () => watch(registration.installing));
  const check = () => registration.update().catch(() => {});
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
  window.addEventListener('online', check);
  window.addEventListener('langchange', () => waitingWorker && offer(waitingWorker, beforeReload));
  return registration;
}

/** Ask the server for a newer shell now. */
export async function checkForUpdate() {
  const registration = await navigator.serviceWorker?.getRegistration();
  await registration?.update();
}
