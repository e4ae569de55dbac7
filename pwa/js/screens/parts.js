// Pieces several screens share: the manual code entry and the camera button.

import { scanWithCamera } from '../camera.js';
import { t } from '../i18n.js';
import { h } from '../ui.js';

/** A field for typing a code by hand (a damaged label); it goes the same way as a scan. */
export function manualEntry(ctx) {
  const input = h('input', { id: 'manual-code', autocomplete: 'off', spellcheck: false, autocapitalize: 'characters', enterkeyhint: 'done', 'aria-label': t('scan.manual'), placeholder: t('scan.manual') });
  return h('form', { class: 'manual', onsubmit: (event) => {
    event.preventDefault();
    const code = input.value.trim();
    input.value = '';
    input.blur();
    if (code) ctx.scan(code, 'manual');
  } },
  input,
  h('button', { class: 'big', type: 'submit' }, t('scan.ok')),
  h('button', { class: 'big', type: 'button', id: 'camera-button', onclick: () => scanWithCamera((text) => ctx.scan(text, 'camera')) }, t('scan.camera')));
}
