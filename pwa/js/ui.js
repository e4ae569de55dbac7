// Small DOM helpers shared by the screens: element building, the scan result overlay, banners.

/** Build an element: h('button', {class: 'big', onclick}, 'text', child …). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Visible text for control characters in a code (GS shows as ␝). */
export function showCode(code) {
  return String(code).replace(/\u001d/g, '␝');
}

/** A label/value list. */
export function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(Boolean).map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}

let overlayTimer = 0;

/**
 * The full-screen scan verdict. A refusal is loud: red, large, and it stays until dismissed or the
 * next scan; an acceptance is a short green flash.
 */
export function verdict({ ok, title, detail = '', code = '', dismissLabel = 'OK' }) {
  const root = document.getElementById('verdict');
  clearTimeout(overlayTimer);
  fill(
    root,
    h('div', { class: `verdict-box ${ok ? 'ok' : 'refused'}`, role: ok ? 'status' : 'alert' },
      h('div', { class: 'verdict-title' }, title),
      code ? h('div', { class: 'verdict-code' }, showCode(code)) : null,
      detail ? h('div', { class: 'verdict-detail' }, detail) : null,
      ok ? null : h('button', { class: 'big', type: 'button', onclick: clearVerdict }, dismissLabel)),
  );
  root.hidden = false;
  root.className = ok ? 'verdict ok' : 'verdict refused';
  if (ok) overlayTimer = setTimeout(clearVerdict, 700);
}

export function clearVerdict() {
  const root = document.getElementById('verdict');
  root.hidden = true;
  root.replaceChildren();
}

/** Show a banner (update, install hint) with buttons; returns a function that removes it. */
export function banner(id, text, actions = []) {
  const area = document.getElementById('banners');
  document.getElementById(id)?.remove();
  const el = h('div', { class: 'banner', id, role: 'status' },
    h('span', {}, text),
    h('span', { class: 'banner-actions' }, actions.map(([label, onclick, cls]) => h('button', { type: 'button', class: cls || '', onclick }, label))));
  area.append(el);
  return () => el.remove();
}
