// The server's live hint: a server-sent-events stream that only says "pull now".
//
// EventSource cannot send an Authorization header, so the stream is read with fetch() and parsed
// here. It runs while the app is visible and online; the timer covers the rest.

import { openEvents } from './api.js';

const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 60000;

/** Parse SSE text: yields the event name of each complete event (blank-line terminated). */
export function* parseEvents(state, chunk) {
  state.buffer += chunk;
  let end;
  while ((end = state.buffer.search(/\r?\n\r?\n/)) !== -1) {
    const block = state.buffer.slice(0, end);
    state.buffer = state.buffer.slice(end).replace(/^\r?\n\r?\n/, '');
    let name = 'message';
    let hasData = false;
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue; // a comment (keep-alive)
      if (line.startsWith('event:')) name = line.slice(6).trim();
      if (line.startsWith('data:')) hasData = true;
    }
    if (hasData) yield name;
  }
}

/** Keeps one hint stream open while `start()`ed; calls `onHint()` for every hello/pull event. */
export class HintStream {
  constructor(getToken, onHint) {
    this.getToken = getToken;
    this.onHint = onHint;
    this.controller = null;
    this.delay = RETRY_MIN_MS;
    this.connected = false;
  }

  start() {
    if (this.controller) return;
    this.controller = new AbortController();
    this.loop(this.controller.signal);
  }

  stop() {
    this.controller?.abort();
    this.controller = null;
    this.connected = false;
  }

  async loop(signal) {
    while (!signal.aborted) {
      try {
        const token = await this.getToken();
        if (!token) return;
        const body = await openEvents(token, signal);
        this.connected = true;
        this.delay = RETRY_MIN_MS;
        const reader = body.pipeThrough(new TextDecoderStream()).getReader();
        const state = { buffer: '' };
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const name of parseEvents(state, value)) {
            if (name === 'hello' || name === 'pull') this.onHint(name);
          }
        }
      } catch {
        // Offline, aborted, or the server went away: wait and reconnect.
      }
      this.connected = false;
      if (signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, this.delay * (0.5 + Math.random() / 2)));
      this.delay = Math.min(this.delay * 2, RETRY_MAX_MS);
    }
  }
}
