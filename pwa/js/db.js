// Every IndexedDB access goes through this module (STYLE habit 11).
//
// Stores:
//   meta      out-of-line keys: device, cursor, next_seq, last_seq, last_sync_at, last_error, …
//   outbox    ops not yet acknowledged, keyed by seq (the push order)
//   sent      acknowledged ops, kept a while: a server restored from a backup may need them again
//   replica   the device's scope, keyed by [kind, id]; `codes` (multiEntry) finds products and
//             bins by barcode offline
//   rejected  ops the server refused, with its code and message, keyed by seq
//   blobs     signatures and photos waiting to go up before the op that references them
//
// The rule that keeps transactions correct: inside `tx(…, fn)`, `fn` awaits only the IndexedDB
// requests of that transaction. Awaiting anything else (the network, a timer) lets the
// transaction commit under it, so network calls always happen between transactions.

const NAME = 'tally';

// One step per database version, applied in order. Steps only ever add: an app update must never
// drop the outbox (unsent ops) or the device's enrollment.
const UPGRADES = [
  (db) => {
    db.createObjectStore('meta');
    db.createObjectStore('outbox', { keyPath: 'seq' });
    const replica = db.createObjectStore('replica', { keyPath: ['kind', 'id'] });
    replica.createIndex('codes', 'codes', { multiEntry: true });
    replica.createIndex('kind', 'kind');
    db.createObjectStore('rejected', { keyPath: 'seq' });
    db.createObjectStore('blobs', { keyPath: 'sha256' });
  },
  (db) => {
    db.createObjectStore('sent', { keyPath: 'seq' }).createIndex('acknowledged_at', 'acknowledged_at');
  },
];
export const DB_VERSION = UPGRADES.length;

let opening = null;

/** Resolve an IDBRequest as a promise. */
export function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** The open database (one connection per page, reopened after another tab upgrades it). */
export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, DB_VERSION);
      req.onupgradeneeded = (event) => {
        for (let v = event.oldVersion; v < DB_VERSION; v += 1) UPGRADES[v](req.result, req.transaction);
      };
      req.onsuccess = () => {
        const db = req.result;
        // A newer app version in another tab wants to upgrade: step aside, reopen on next use.
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        resolve(db);
      };
      req.onerror = () => {
        opening = null;
        reject(req.error);
      };
      req.onblocked = () => console.warn('tally: database upgrade waits for another tab to close');
    });
  }
  return opening;
}

/** Promise-returning access to one object store inside a transaction. */
class Store {
  constructor(store) {
    this.store = store;
  }
  get(key) { return request(this.store.get(key)); }
  getAll(query = null, count) { return request(this.store.getAll(query, count)); }
  getAllKeys(query = null, count) { return request(this.store.getAllKeys(query, count)); }
  count(query) { return request(query === undefined ? this.store.count() : this.store.count(query)); }
  put(value, key) { return request(key === undefined ? this.store.put(value) : this.store.put(value, key)); }
  add(value, key) { return request(key === undefined ? this.store.add(value) : this.store.add(value, key)); }
  delete(query) { return request(this.store.delete(query)); }
  clear() { return request(this.store.clear()); }
  byIndex(name, query, count) { return request(this.store.index(name).getAll(query, count)); }
  countIndex(name, query) { return request(this.store.index(name).count(query)); }
  keysByIndex(name, query, count) { return request(this.store.index(name).getAllKeys(query, count)); }
  /** The highest key in the store, or undefined when it is empty. */
  async lastKey() {
    const cursor = await request(this.store.openKeyCursor(null, 'prev'));
    return cursor ? cursor.key : undefined;
  }
}

/**
 * Run `fn(stores)` in one transaction over `names` and resolve with its result once the
 * transaction has committed. `durability: 'strict'` is for writes that must survive a power cut
 * (the outbox): the promise resolves only after the data is on disk.
 */
export async function tx(names, mode, fn, { durability = 'default' } = {}) {
  const db = await openDb();
  const t = db.transaction(names, mode, { durability });
  const done = new Promise((resolve, reject) => {
    t.oncomplete = () => resolve();
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new DOMException('transaction aborted', 'AbortError'));
  });
  const stores = Object.fromEntries(names.map((name) => [name, new Store(t.objectStore(name))]));
  let result;
  try {
    result = await fn(stores);
  } catch (error) {
    try { t.abort(); } catch { /* already finished */ }
    await done.catch(() => {});
    throw error;
  }
  await done;
  return result;
}

// Single-request shorthands.
export const get = (store, key) => tx([store], 'readonly', (s) => s[store].get(key));
export const getAll = (store, query = null, count) => tx([store], 'readonly', (s) => s[store].getAll(query, count));
export const count = (store, query) => tx([store], 'readonly', (s) => s[store].count(query));
export const byIndex = (store, index, query, n) => tx([store], 'readonly', (s) => s[store].byIndex(index, query, n));
export const countByIndex = (store, index, query) => tx([store], 'readonly', (s) => s[store].countIndex(index, query));
export const put = (store, value, key) => tx([store], 'readwrite', (s) => s[store].put(value, key));
export const del = (store, key) => tx([store], 'readwrite', (s) => s[store].delete(key));

// The meta store holds small values under fixed keys.
export const getMeta = (key) => get('meta', key);
export const setMeta = (key, value) => put('meta', value, key);
