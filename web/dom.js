// DOM helpers, formatting, links, search-snippet parsing and the page's bits of local
// storage. Every piece of data from the server is put into the page as text
// (textContent / createTextNode); the only markup taken from the server is <b> in search
// snippets, and that goes through `snippetNodes`, which keeps <b> and turns everything
// else into text.

export const $ = (sel, root = document) => root.querySelector(sel);
let uidCounter = 0;
export const uid = (p = 'u') => `${p}-${++uidCounter}`;

export function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  setProps(e, props);
  add(e, kids);
  return e;
}
function setProps(e, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
}
export function add(e, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k == null || k === false || k === '') continue;
    e.append(k instanceof Node ? k : String(k));
  }
  return e;
}
const SVGNS = 'http://www.w3.org/2000/svg';
export function svg(tag, props, ...kids) {
  const e = document.createElementNS(SVGNS, tag);
  setProps(e, props);
  add(e, kids);
  return e;
}

export function msg(kind, text, extra) {
  const role = kind === 'error' ? 'alert' : null;
  return el('p', { class: `msg msg-${kind}`, role }, text, extra);
}
export const LOADING = (text) => msg('loading', text);
export const EMPTY_TEXT = '没有找到合适的结果，试试放宽筛选条件';

export function announce(text) {
  const live = $('#live');
  live.textContent = '';
  // a new text node after a tick makes screen readers read it even when it repeats
  setTimeout(() => { live.textContent = text; }, 30);
}

export function chips(items, cls = 'chip', label) {
  if (!items || !items.length) return null;
  return el('ul', { class: 'chips', 'aria-label': label || null }, items.map((t) => el('li', { class: cls }, t)));
}

export function fmtNum(x, digits = 2) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return x.toFixed(digits);
}
export function fmtPct(x, digits = 0) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(digits)}%`;
}
export function fmtSigned(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
}
export function fmtWan(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  return `${x >= 100 ? x.toFixed(0) : x.toFixed(1).replace(/\.0$/, '')} 万元`;
}
export function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  return d.toLocaleString('zh-CN', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

export function link(kind, id, text) {
  if (!id) return el('span', null, text || '');
  return el('a', { href: `#/${kind}/${encodeURIComponent(id)}` }, text || id);
}

// Search snippets: the server sends text with <b> around matched words. Parse it in an
// inert document and rebuild it from text nodes, keeping only <b>.
export function snippetNodes(html) {
  const out = document.createDocumentFragment();
  if (!html) return out;
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  const walk = (node, into) => {
    for (const c of node.childNodes) {
      if (c.nodeType === Node.TEXT_NODE) into.append(document.createTextNode(c.textContent));
      else if (c.nodeType === Node.ELEMENT_NODE) {
        if (c.tagName === 'B') into.append(el('b', null, c.textContent));
        else walk(c, into);
      }
    }
  };
  walk(doc.body, out);
  return out;
}

export const store = {
  get(k) { try { return localStorage.getItem(`duijie.${k}`) || ''; } catch { return ''; } },
  set(k, v) { try { localStorage.setItem(`duijie.${k}`, v); } catch { /* private mode */ } },
};

export function setStatus(sel, kind, text) {
  const s = $(sel);
  s.className = `status-line msg-${kind}`;
  s.textContent = text;
}
