// Signatures and photos leave the phone once the server holds them and no unsent op needs them:
// a shift of photos would otherwise fill the browser's storage quota. sync.js marks a blob
// `uploaded` and puts it back to not uploaded if the server asks again (`blob_missing`), and an
// op leaves the outbox only when acknowledged — so a blob no outbox op references and marked
// uploaded is safe to drop. A blob kept before its op was written is not uploaded yet: it stays.

import * as db from './db.js';

/** Delete uploaded blobs no pending op references; resolves with how many went. */
export function pruneBlobs() {
  return db.tx(['blobs', 'outbox'], 'readwrite', async (s) => {
    const needed = new Set((await s.outbox.getAll()).flatMap((op) => op.blobs || []));
    let dropped = 0;
    for (const blob of await s.blobs.getAll()) {
      if (blob.uploaded && !needed.has(blob.sha256)) {
        await s.blobs.delete(blob.sha256);
        dropped += 1;
      }
    }
    return dropped;
  });
}
