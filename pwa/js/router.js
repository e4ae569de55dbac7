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
  const mine = { name, params, screen, cleanup: null };
  current = mine;
  document.body.dataset.screen = name;
  for (const link of document.querySelectorAll('[data-nav]')) link.classList.toggle('active', link.dataset.nav === name);
  // Each render draws into a box of its own: a render still awaiting its data when the next one
  // starts (a hash change and a language switch at once) then fills a box nobody sees, instead of
  // drawing its content a second time into the screen.
  const box = document.createElement('div');
  box.className = 'screen-box';
  root.replaceChildren(box);
  const cleanup = await screen.render(box, context, params);
  if (current === mine) mine.cleanup = typeof cleanup === 'function' ? cleanup : null;
  else if (typeof cleanup === 'function') cleanup(); // superseded: stop its listeners now
}

export function start(rootElement, ctx) {
  root = rootElement;
  context = ctx;
  window.addEventListener('hashchange', render);
  window.addEventListener('langchange', render);
  return render();
}
