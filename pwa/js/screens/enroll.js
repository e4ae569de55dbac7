// Enrollment: type or scan the code a supervisor shows (a wedge scan of the QR, the camera, or the
// QR's link `#enroll=CODE`), name the device, and trade the code for a token.

import { ProtocolError, TransientError } from '../api.js';
import { codeFromText, defaultName, enroll } from '../device.js';
import { t } from '../i18n.js';
import { scanWithCamera } from '../camera.js';
import { h } from '../ui.js';

const MESSAGES = { enrollment_invalid: 'enroll.invalid', enrollment_expired: 'enroll.expired' };

let form = null;

async function submit(ctx, codeInput, nameInput, button, message) {
  const code = codeFromText(codeInput.value);
  if (code.length < 4) {
    message.textContent = t('enroll.needCode');
    message.className = 'message error';
    return;
  }
  button.disabled = true;
  message.className = 'message';
  message.textContent = t('enroll.working');
  try {
    const device = await enroll(code, nameInput.value.trim() || defaultName());
    await ctx.enrolled(device, (n) => { message.textContent = t('enroll.loading', { n }); });
  } catch (error) {
    message.className = 'message error';
    if (error instanceof ProtocolError && MESSAGES[error.code]) message.textContent = t(MESSAGES[error.code]);
    else if (error instanceof TransientError) message.textContent = t('enroll.offline');
    else message.textContent = t('enroll.failed', { detail: error.detail || error.message });
    button.disabled = false;
  }
}

export function render(root, ctx) {
  const codeInput = h('input', { id: 'enroll-code', name: 'code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: false, value: ctx.enrollCode || '' });
  const nameInput = h('input', { id: 'enroll-name', name: 'name', autocomplete: 'off', value: ctx.enrollName || defaultName() });
  const message = h('p', { id: 'enroll-message', class: 'message', 'aria-live': 'polite' });
  const button = h('button', { id: 'enroll-submit', class: 'big primary', type: 'submit' }, t('enroll.submit'));
  form = h('form', { class: 'card stack', onsubmit: (event) => {
    event.preventDefault();
    ctx.enrollName = nameInput.value;
    submit(ctx, codeInput, nameInput, button, message);
  } },
  h('label', {}, t('enroll.code'), codeInput),
  h('label', {}, t('enroll.name'), nameInput),
  button,
  h('button', { class: 'big', type: 'button', onclick: () => scanWithCamera((text) => { codeInput.value = codeFromText(text); form.requestSubmit(); }) }, t('enroll.camera')),
  message);
  root.append(h('h1', {}, t('enroll.title')), h('p', { class: 'lead' }, t('enroll.intro')), form);
  return () => { form = null; };
}

/** A wedge scan of the QR fills the code and enrolls at once. */
export function onScan(scan) {
  if (!form) return;
  form.querySelector('#enroll-code').value = codeFromText(scan.raw);
  form.requestSubmit();
}
