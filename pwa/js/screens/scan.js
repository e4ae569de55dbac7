// The warehouse scan screen: every scan is checked offline against the replica. A bin sets the
// current bin; a product is recorded as a RecordScan op with that bin; a code that is neither is
// refused on the spot, loudly, and not recorded.

import * as feedback from '../feedback.js';
import { t } from '../i18n.js';
import { OP_TYPES } from '../ops.js';
import { lookupCode } from '../replica.js';
import { fill, h, showCode, verdict } from '../ui.js';
import { manualEntry } from './parts.js';

const CONTEXTS = { picker: ['pick'], checker: ['check'], packer: ['pack'], loader: ['load'], warehouse: ['pick', 'check', 'pack', 'load'] };

let view = null;

function session(ctx) {
  ctx.scanSession ??= { bin: null, recent: [], refused: 0, context: CONTEXTS[ctx.device.role][0] };
  return ctx.scanSession;
}

function renderState(ctx) {
  if (!view) return;
  const s = session(ctx);
  fill(view.bin, s.bin ? s.bin.code : t('scan.noBin'));
  view.bin.classList.toggle('muted', !s.bin);
  fill(view.refused, s.refused ? t('scan.refusedCount', { n: s.refused }) : '');
  fill(view.list, s.recent.length ? s.recent.map((row) => h('li', {
    class: `scan-row ${row.seq <= view.lastSeq ? 'is-sent' : 'is-pending'}`, dataset: { seq: row.seq, kind: row.kind },
  },
  h('span', { class: 'scan-main' }, row.label, row.multiplier > 1 ? ` ×${row.multiplier}` : ''),
  h('span', { class: 'scan-sub' }, `${showCode(row.code)}${row.bin ? ` · ${row.bin}` : ''}`),
  h('span', { class: 'scan-state', 'aria-hidden': 'true' }, row.seq <= view.lastSeq ? '✓' : '↑'))) : h('li', { class: 'muted' }, t('scan.none')));
}

export async function render(root, ctx) {
  const s = session(ctx);
  const contexts = CONTEXTS[ctx.device.role];
  view = {
    bin: h('strong', { id: 'current-bin' }),
    refused: h('span', { class: 'refused-count', id: 'refused-count' }),
    list: h('ol', { id: 'scan-list', class: 'scan-list' }),
    lastSeq: 0,
  };
  root.append(
    h('h1', {}, t('scan.title')),
    contexts.length > 1 ? h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': t('context.label') },
      contexts.map((c) => h('button', { type: 'button', role: 'radio', 'aria-checked': String(c === s.context), class: c === s.context ? 'on' : '',
        onclick: () => { s.context = c; ctx.go('scan'); } }, t(`context.${c}`)))) : h('p', { class: 'role-line' }, t(`context.${s.context}`)),
    h('div', { class: 'card bin-card' }, h('span', {}, `${t('scan.bin')}: `), view.bin),
    h('p', { class: 'prompt' }, t('scan.prompt')),
    manualEntry(ctx),
    h('h2', {}, t('scan.recent'), ' ', view.refused),
    view.list,
  );
  const onChange = async () => {
    if (!view) return;
    view.lastSeq = (await ctx.sync.status()).lastSeq;
    renderState(ctx);
  };
  await onChange();
  ctx.sync.addEventListener('change', onChange);
  return () => {
    ctx.sync.removeEventListener('change', onChange);
    view = null;
  };
}

export async function onScan(scan, ctx) {
  const s = session(ctx);
  const found = await lookupCode(scan);
  if (!found.kind) {
    s.refused += 1;
    feedback.refused();
    verdict({ ok: false, title: t('scan.unknown'), code: scan.raw, detail: t('scan.unknownHelp'), dismissLabel: t('scan.dismiss') });
    renderState(ctx);
    return;
  }
  if (found.kind === 'location') s.bin = found.entity;
  const payload = OP_TYPES.RecordScan.payload({ code: scan.raw, location: s.bin?.code, context: s.context });
  const op = await ctx.sync.record('RecordScan', payload);
  feedback.accepted();
  const label = found.kind === 'location' ? t('scan.binSet', { code: found.entity.code }) : found.entity.name;
  s.recent.unshift({ seq: op.seq, kind: found.kind, label, code: scan.raw, bin: found.kind === 'product' ? s.bin?.code : null, multiplier: found.multiplier });
  s.recent.length = Math.min(s.recent.length, 50);
  verdict({ ok: true, title: label, code: scan.raw, detail: t('scan.recorded') });
  renderState(ctx);
}
