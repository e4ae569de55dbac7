// Installation: the browser's install prompt where there is one (Android), a hint for iOS, where
// only "Add to Home Screen" keeps a web app's storage from being evicted, and persistent storage.

import { t } from './i18n.js';
import { banner } from './ui.js';

const IOS_HINT_KEY = 'tally.iosHintDismissed';

export function isIos() {
  return /iphone|ipad|ipod/i.test(navigator.userAgent) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
}

export function isStandalone() {
  return window.matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;
}

let deferredPrompt = null;

function showHints() {
  if (isIos() && !isStandalone() && !localStorage.getItem(IOS_HINT_KEY)) {
    const remove = banner('install-ios', t('install.ios'), [[t('install.dismiss'), () => {
      localStorage.setItem(IOS_HINT_KEY, '1');
      remove();
    }]]);
  }
  if (deferredPrompt) {
    const remove = banner('install', t('install.button'), [
      [t('install.button'), async () => {
        remove();
        deferredPrompt.prompt();
        await deferredPrompt.userChoice.catch(() => null);
        deferredPrompt = null;
      }, 'primary'],
      [t('install.dismiss'), () => remove()],
    ]);
  }
}

/** Offer installation: the iOS hint now, the Android prompt when the browser fires it. */
export function offerInstall() {
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault();
    deferredPrompt = event;
    showHints();
  });
  window.addEventListener('langchange', showHints);
  showHints();
}

/** Ask that the outbox and replica never be evicted under storage pressure. */
export async function requestPersistence() {
  if (!navigator.storage?.persist) return false;
  try {
    return (await navigator.storage.persisted()) || (await navigator.storage.persist());
  } catch {
    return false;
  }
}

/** Whether storage is persistent, and how much is used. */
export async function storageState() {
  const persisted = navigator.storage?.persisted ? await navigator.storage.persisted().catch(() => false) : false;
  const estimate = navigator.storage?.estimate ? await navigator.storage.estimate().catch(() => ({})) : {};
  return { persisted, usage: estimate.usage ?? null, quota: estimate.quota ?? null };
}
