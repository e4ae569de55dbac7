// Sound and vibration for scans: a short high beep for an accepted scan, a loud low triple buzz
// for a refused one — a picker hears the difference without looking.

let audio = null;

function context() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  audio ??= new Ctx();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  return audio;
}

function tone(ctx, { freq, start, ms, type = 'sine', volume = 0.3 }) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = type;
  osc.frequency.value = freq;
  const t0 = ctx.currentTime + start;
  gain.gain.setValueAtTime(volume, t0);
  gain.gain.exponentialRampToValueAtTime(0.001, t0 + ms / 1000);
  osc.connect(gain).connect(ctx.destination);
  osc.start(t0);
  osc.stop(t0 + ms / 1000 + 0.02);
}

function vibrate(pattern) {
  try {
    navigator.vibrate?.(pattern);
  } catch { /* not allowed without a user gesture */ }
}

/** The last feedback given (the tests read it; nothing else should). */
export const history = [];

/** An accepted scan: one short high beep, one short buzz. */
export function accepted() {
  history.push('accepted');
  const ctx = context();
  if (ctx) tone(ctx, { freq: 1760, start: 0, ms: 90 });
  vibrate(60);
}

/** A refused scan: three loud low square-wave buzzes and a long vibration. */
export function refused() {
  history.push('refused');
  const ctx = context();
  if (ctx) for (let i = 0; i < 3; i += 1) tone(ctx, { freq: 220, start: i * 0.22, ms: 170, type: 'square', volume: 0.6 });
  vibrate([250, 100, 250, 100, 250]);
}
