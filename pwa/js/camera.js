// Camera scanning for phones. Native BarcodeDetector exists only on Chrome for Android; elsewhere
// the ZXing WebAssembly decoder of the npm package `barcode-detector` is loaded on first use
// (not part of the shell), from /vendor/ — the server's route to node_modules.

import { t } from './i18n.js';
import { h } from './ui.js';

const FORMATS = ['data_matrix', 'qr_code', 'ean_13', 'ean_8', 'code_128', 'itf', 'upc_a', 'upc_e'];
const VENDOR = '/vendor';

async function detectorClass() {
  const Native = globalThis.BarcodeDetector;
  if (Native) {
    const supported = await Native.getSupportedFormats().catch(() => []);
    if (supported.includes('data_matrix')) return Native; // DataMatrix is needed for marking codes
  }
  const module = await import(`${VENDOR}/barcode-detector/dist/es/ponyfill.js`);
  module.setZXingModuleOverrides({
    // Keep the decoder on our own server (and in the service worker's cache), not a CDN.
    locateFile: (path, prefix) => (path.endsWith('.wasm') ? `${VENDOR}/zxing-wasm/dist/reader/${path}` : prefix + path),
  });
  return module.BarcodeDetector;
}

/** Open a full-screen camera view; calls `onCode(text)` with the first code read. */
export async function scanWithCamera(onCode) {
  const overlay = h('div', { class: 'camera', role: 'dialog' });
  const message = h('p', { class: 'camera-message' }, t('camera.aim'));
  const video = h('video', { playsinline: true, muted: true, autoplay: true });
  let stream = null;
  let stopped = false;
  const close = () => {
    stopped = true;
    stream?.getTracks().forEach((track) => track.stop());
    overlay.remove();
  };
  overlay.append(video, message, h('button', { class: 'big', type: 'button', onclick: close }, t('camera.close')));
  document.body.append(overlay);
  try {
    const Detector = await detectorClass();
    const detector = new Detector({ formats: FORMATS });
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    video.srcObject = stream;
    await video.play();
    while (!stopped) {
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length) {
        close();
        onCode(codes[0].rawValue);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  } catch (error) {
    message.textContent = t('camera.unavailable', { detail: error.message || String(error) });
  }
}
