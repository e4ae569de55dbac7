// Keyboard-wedge scanning on every screen, without tapping a field first.
//
// A wedge scanner "types" the code fast and ends it with Enter. Keys are captured at the document
// (capture phase) unless the user is typing into a real field; a burst whose keys come closer
// than MAX_GAP_MS and ends in Enter is a scan. Characters that are not on the keyboard (the GS1
// group separator U+001D, or text an Android wedge service inserts through the input method)
// arrive as text input, not keys: a hidden, keyboard-less input ("the sink") stays focused to
// receive them. Ctrl+] — ASCII's GS — is taken as GS too.

import { GS } from './gs1.js';

const MAX_GAP_MS = 100; // between two characters of one burst (scanners: 5–30 ms; people: 100+)
const ENTER_GAP_MS = 1000; // from the last character to the terminating Enter
const MIN_LENGTH = 3;
// A slower scanner (some Bluetooth ones) can be allowed more time per character on this device.
const GAP_SETTING = 'tally.wedge.maxGap';

function configuredGap() {
  const value = Number(localStorage.getItem(GAP_SETTING));
  return Number.isFinite(value) && value > 0 ? value : MAX_GAP_MS;
}

function isTextField(el) {
  if (!el || el === document.body) return false;
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  return el.tagName === 'INPUT' && !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file'].includes(el.type);
}

export class WedgeScanner {
  /** `onScan(text, source)` receives each complete scan (CR/LF stripped, GS kept). */
  constructor(onScan, { maxGap = configuredGap(), minLength = MIN_LENGTH } = {}) {
    Object.assign(this, { onScan, maxGap, minLength });
    this.buffer = '';
    this.last = 0;
    this.sink = null;
    this.onKeyDown = this.onKeyDown.bind(this);
    this.onSinkInput = this.onSinkInput.bind(this);
    this.refocus = this.refocus.bind(this);
  }

  start() {
    const sink = document.createElement('input');
    Object.assign(sink, { id: 'wedge-sink', tabIndex: -1, autocomplete: 'off', spellcheck: false });
    sink.setAttribute('inputmode', 'none'); // no on-screen keyboard for a field nobody types into
    sink.setAttribute('aria-hidden', 'true');
    sink.setAttribute('autocapitalize', 'off');
    sink.className = 'wedge-sink';
    document.body.append(sink);
    this.sink = sink;
    sink.addEventListener('input', this.onSinkInput);
    document.addEventListener('keydown', this.onKeyDown, true);
    document.addEventListener('focusout', () => setTimeout(this.refocus, 0));
    document.addEventListener('click', () => setTimeout(this.refocus, 0));
    window.addEventListener('focus', this.refocus);
    this.refocus();
  }

  /** Give the sink the focus unless the user is in a real field. */
  refocus() {
    if (this.sink && !isTextField(document.activeElement) && document.activeElement !== this.sink) {
      this.sink.focus({ preventScroll: true });
    }
  }

  /** Whether a key event belongs to a field the user is typing into (not ours to take). */
  userIsTyping() {
    const el = document.activeElement;
    return el !== this.sink && isTextField(el);
  }

  add(ch, now) {
    if (now - this.last > this.maxGap) this.buffer = '';
    this.buffer += ch;
    this.last = now;
  }

  onKeyDown(event) {
    if (this.userIsTyping() || event.isComposing) return;
    const now = performance.now();
    if (event.key === 'Enter') {
      const text = this.buffer;
      const fresh = now - this.last <= Math.max(ENTER_GAP_MS, 2 * this.maxGap);
      this.buffer = '';
      if (text.length >= this.minLength && fresh) {
        event.preventDefault();
        event.stopPropagation();
        this.onScan(text, 'wedge');
      }
      return;
    }
    let ch = null;
    if (event.key === GS || (event.ctrlKey && !event.altKey && (event.key === ']' || event.code === 'BracketRight'))) ch = GS;
    else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) ch = event.key;
    if (ch === null) return; // Shift, Tab, arrows, shortcuts: not part of a code
    event.preventDefault(); // keep the character out of the sink: it is in the buffer already
    this.add(ch, now);
  }

  onSinkInput() {
    const text = this.sink.value;
    this.sink.value = '';
    const now = performance.now();
    for (const ch of text) {
      if (ch === '\n' || ch === '\r') continue;
      this.add(ch, now);
    }
  }
}
