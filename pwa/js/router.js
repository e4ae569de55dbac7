// Hash routes to screens: `#/scan`, `#/stop/3/2`. Each screen is its own module with
// `render(root, ctx, params)` (which may return a cleanup function) and, if it takes scans,
// `onScan(scan, ctx)`.

const screens = new Map();
let current = { name: null, params: [], screen: null, cleanup: null };
let context = null;
let root = null;

export function register(name, screen) {
  screens.set(name, screen);
}

/** Parse `#/name/a/b` into [name, [a, b]]. */
export function parse(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return [parts[0] || '', parts.slice(1)];
}

export function go(name, ...params) {
  const hash = `#/${[name, ...params].map(encodeURIComponent).join('/')}`;
  if (location.hash === hash) render();
  else location.hash = hash;
}

export const currentScreen = () => current;

/** Render the screen the hash names (or the fallback chosen by `ctx.defaultScreen()`). */
export async function render() {
  let [name, params] = parse(location.hash);
  if (!screens.has(name) || !context.allowed(name)) {
    name = context.defaultScreen();
    params = [];
    history.replaceState(null, '', `#/${name}`);
  }
  if (current.cleanup) current.cleanup();
  const screen = screens.get(name);
  current = { name, params, screen, cleanup: null };
  document.body.dataset.screen = name;
  for (const link of document.querySelectorAll('[data-nav]')) link.classList.toggle('active', link.dataset.nav === name);
  root.replaceChildren();
  const cleanup = await screen.render(root, context, params);
  if (current.screen === screen) current.cleanup = typeof cleanup === 'function' ? cleanup : null;
}

export function start(rootElement, ctx) {
  root = rootElement;
  context = ctx;
  window.addEventListener('hashchange', render);
  window.addEventListener('langchange', render);
  return render();
}
