// The sync status screen: what waits to be sent, when the device last synced, what the server
// rejected and why, and the last error.

import * as db from '../db.js';
import { formatAgo, formatTime, t } from '../i18n.js';
import { storageState } from '../install.js';
import { APP_VERSION } from '../version.js';
import { facts, fill, h, showCode } from '../ui.js';

const SHOWN = 50;

/** One line saying what an op carries (`code @ bin` for scans, `key=value` otherwise). */
function opSummary(op) {
  const p = op.payload || {};
  if (p.code) return showCode(p.code) + (p.location ? ` @ ${p.location}` : '');
  return Object.entries(p)
    .filter(([, value]) => value !== null && value !== '')
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : value}`)
    .join(' ').slice(0, 80);
}

export async function render(root, ctx) {
  const body = h('div', { id: 'sync-body' });
  const button = h('button', { class: 'big primary', id: 'sync-now', type: 'button', onclick: () => ctx.sync.kick('manual') }, t('sync.now'));
  root.append(h('h1', {}, t('sync.title')), button, body);

  const refresh = async () => {
    const status = await ctx.sync.status();
    const outbox = await db.getAll('outbox', null, SHOWN);
    const rejected = await db.getAll('rejected');
    const storage = await storageState();
    button.disabled = status.syncing || !status.online;
    button.textContent = status.syncing ? t('sync.running') : t('sync.now');
    const error = status.lastError;
    // Rejected ops need a person: they come first when there are any.
    const rejectedBlock = [
      h('h2', {}, t('sync.rejected')),
      rejected.length
        ? h('ul', { class: 'rejected-list', id: 'rejected-list' }, rejected.map((op) => h('li', { class: 'rejected', dataset: { seq: op.seq } },
          h('strong', {}, `#${op.seq} ${op.type}`),
          h('span', { class: 'reason' }, `${op.code}${op.message ? ` — ${op.message}` : ''}`),
          h('small', {}, `${opSummary(op)} · ${formatTime(op.captured_at)}`))))
        : h('p', { class: 'muted' }, t('sync.rejectedNone')),
    ];
    fill(body,
      status.online ? null : h('p', { class: 'card warn', id: 'offline-note' }, t('sync.offline')),
      status.revoked ? h('p', { class: 'card error-card' }, t('sync.revoked')) : null,
      rejected.length ? rejectedBlock : null,
      facts([
        [t('sync.pending'), h('strong', { id: 'sync-pending' }, String(status.pending))],
        [t('sync.lastSync'), h('span', { id: 'sync-last' }, status.lastSyncAt ? `${formatTime(status.lastSyncAt)} (${formatAgo(status.lastSyncAt)})` : t('sync.never'))],
        error ? [t('sync.lastError'), h('span', { id: 'sync-error', class: error.transient ? 'muted' : 'error-text' }, `${formatTime(error.at)} · ${error.message}`)] : null,
        [t('sync.device'), `${ctx.device.name} · ${t(`role.${ctx.device.role}`)} · ${ctx.device.device_id.slice(0, 8)}`],
        [t('sync.version'), APP_VERSION],
        [t('sync.storage'), storage.persisted ? t('storage.persistent') : t('storage.bestEffort')],
      ]),
      h('h2', {}, t('sync.outbox')),
      outbox.length
        ? h('ul', { class: 'outbox-list', id: 'outbox-list' },
          outbox.map((op) => h('li', { dataset: { seq: op.seq } }, h('strong', {}, `#${op.seq} ${op.type}`), h('small', {}, `${opSummary(op)} · ${formatTime(op.captured_at)}`))),
          status.pending > SHOWN ? h('li', { class: 'muted' }, t('sync.more', { n: status.pending - SHOWN })) : null)
        : h('p', { class: 'muted' }, t('sync.outboxEmpty')),
      rejected.length ? null : rejectedBlock);
  };
  await refresh();
  ctx.sync.addEventListener('change', refresh);
  window.addEventListener('online', refresh);
  window.addEventListener('offline', refresh);
  return () => {
    ctx.sync.removeEventListener('change', refresh);
    window.removeEventListener('online', refresh);
    window.removeEventListener('offline', refresh);
  };
}
