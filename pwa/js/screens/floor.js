// Pieces the warehouse screens (picker, checker, packer, loader) share: loud refusals, short
// acceptances, the back link, the count stepper.

import * as feedback from '../feedback.js';
import { t } from '../i18n.js';
import { h, verdict } from '../ui.js';

/** A refused scan: red, loud, stays until dismissed. `why` is the rule's code (`wrong_bin`, …). */
export function refuse(prefix, why, code = '', detail = '') {
  feedback.refused();
  verdict({ ok: false, title: t(`${prefix}.why.${why}`), code, detail, dismissLabel: t('scan.dismiss') });
}

/** An accepted scan or step: a short green flash. */
export function accept(title, code = '', detail = '') {
  feedback.accepted();
  verdict({ ok: true, title, code, detail });
}

export function backLink(href, label) {
  return h('a', { class: 'back', href }, `← ${label}`);
}

/** A number field with big − and + buttons; Enter leaves the field so the next scan is a scan. */
export function stepper(id, label, value, { min = 1, max = 100000 } = {}) {
  const input = h('input', { id, type: 'number', inputmode: 'numeric', min, max, value, 'aria-label': label });
  const clamp = (n) => Math.min(max, Math.max(min, Number.isFinite(n) ? n : min));
  const step = (d) => { input.value = String(clamp(Number(input.value) + d)); };
  const form = h('form', { class: 'stepper', onsubmit: (event) => { event.preventDefault(); input.blur(); } },
    h('span', { class: 'stepper-label' }, label),
    h('button', { type: 'button', class: 'big', id: `${id}-minus`, 'aria-label': '−', onclick: () => step(-1) }, '−'),
    input,
    h('button', { type: 'button', class: 'big', id: `${id}-plus`, 'aria-label': '+', onclick: () => step(1) }, '+'));
  return { form, read: () => clamp(Math.trunc(Number(input.value))), reset: () => { input.value = String(min); } };
}

/**
 * A screen that redraws after each op. Each drawing goes into its own box and only the newest
 * becomes `view` (what scans act on): two redraws in flight never mix; a scan waits for the last.
 */
export class Drawing {
  constructor() {
    this.view = null;
    this.rendering = Promise.resolve();
    this.generation = 0;
  }

  /** Draw with `fn(box, view)`; resolves with the router's cleanup function. */
  draw(root, fn) {
    const mine = ++this.generation;
    const box = h('div', { class: 'screen-body' });
    root.append(box);
    const view = {};
    this.view = null;
    this.rendering = fn(box, view).then(() => { if (mine === this.generation) this.view = view; });
    return this.rendering.then(() => () => { if (mine === this.generation) this.view = null; });
  }

  /** Resolves once the newest drawing is done. */
  async ready() {
    let waited;
    do {
      waited = this.rendering;
      await waited;
    } while (waited !== this.rendering);
  }
}
