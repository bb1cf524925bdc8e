// The header's instant search over providers, needs, enterprises and commissioners.

import { $, LOADING, announce, el, msg, snippetNodes } from './dom.js';
import { api, errText } from './api.js';
import { KINDS, zh } from './vocab.js';

const search = { timer: 0, ctl: null, seq: 0, close: null };

// Closes the result list (a view change does).
export function closeSearch() {
  if (search.close) search.close();
}

export function initSearch() {
  const input = $('#q');
  const box = $('#q-results');
  const close = () => { box.hidden = true; input.setAttribute('aria-expanded', 'false'); };
  const open = () => { box.hidden = false; input.setAttribute('aria-expanded', 'true'); };
  search.close = close;

  const run = async (q) => {
    const seq = ++search.seq;
    if (search.ctl) search.ctl.abort();
    search.ctl = new AbortController();
    box.replaceChildren(LOADING('正在搜索…'));
    open();
    try {
      const r = await api('GET', `/v1/search?q=${encodeURIComponent(q)}&limit=8`, undefined, { signal: search.ctl.signal });
      if (seq !== search.seq) return;
      const results = (r && r.results) || [];
      if (!results.length) {
        box.replaceChildren(msg('empty', '没有找到相关的机构、需求或企业，换个说法试试'));
        announce('没有找到相关结果');
        return;
      }
      const list = el('ul', { class: 'sr-list', 'aria-label': '搜索结果' }, results.map((h) => {
        const kind = h.kind || 'provider';
        return el('li', null, el('a', { href: `#/${kind}/${encodeURIComponent(h.id)}`, class: 'sr-item' },
          el('span', { class: `kind kind-${kind}` }, zh(KINDS, kind)),
          el('span', { class: 'sr-title' }, h.name || h.title || h.id),
          el('span', { class: 'sr-id' }, h.id),
          h.snippet ? el('span', { class: 'sr-snippet' }, snippetNodes(h.snippet)) : null));
      }));
      const total = typeof r.total === 'number' ? r.total : results.length;
      box.replaceChildren(el('p', { class: 'sr-count' }, `共 ${total} 条，显示前 ${results.length} 条`), list);
      announce(`搜索到 ${total} 条结果，按向下方向键查看`);
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (seq !== search.seq) return;
      box.replaceChildren(msg('error', errText(e)));
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(search.timer);
    const q = input.value.trim();
    if (!q) { search.seq++; if (search.ctl) search.ctl.abort(); close(); return; }
    search.timer = setTimeout(() => run(q), 200);
  });
  input.addEventListener('focus', () => { if (input.value.trim() && box.childElementCount) open(); });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') { close(); }
    else if (ev.key === 'ArrowDown') {
      const first = box.querySelector('a');
      if (first && !box.hidden) { ev.preventDefault(); first.focus(); }
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      clearTimeout(search.timer);
      const q = input.value.trim();
      if (q) run(q);
    }
  });
  box.addEventListener('keydown', (ev) => {
    const links = [...box.querySelectorAll('a')];
    const i = links.indexOf(document.activeElement);
    if (ev.key === 'ArrowDown' && i >= 0) { ev.preventDefault(); (links[i + 1] || links[0]).focus(); }
    else if (ev.key === 'ArrowUp' && i >= 0) { ev.preventDefault(); if (i === 0) input.focus(); else links[i - 1].focus(); }
    else if (ev.key === 'Escape') { close(); input.focus(); }
  });
  box.addEventListener('click', (ev) => { if (ev.target.closest('a')) close(); });
  document.addEventListener('click', (ev) => { if (!ev.target.closest('.search')) close(); });
  document.addEventListener('focusin', (ev) => { if (!ev.target.closest('.search')) close(); });
}
