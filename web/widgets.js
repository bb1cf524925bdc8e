// Pieces several views share: feature-contribution bars, feedback buttons, paged
// tables, tiles, load bars and the list of ecosystem gaps.

import { $, add, el, fmtNum, fmtSigned, fmtWan, link, msg, uid } from './dom.js';
import { api, errText } from './api.js';
import { EVENTS, FEATURES, REASONS } from './labels.js';
import { FIELDS, SERVICES, zh, zhList } from './vocab.js';

// ---------------------------------------------------------------- feature bars
export function featureBars(features, scale) {
  if (!Array.isArray(features) || !features.length) return null;
  const sorted = [...features].sort((a, b) => (b.contribution || 0) - (a.contribution || 0));
  const max = scale || Math.max(0.5, ...sorted.map((f) => Math.abs(f.contribution || 0)));
  return el('ul', { class: 'bars', 'aria-label': '各项因素对得分的贡献（正数加分，负数减分）' },
    sorted.map((f) => {
      const c = typeof f.contribution === 'number' ? f.contribution : 0;
      const w = Math.min(50, (Math.abs(c) / max) * 50);
      const name = FEATURES[f.name] || f.name;
      const bar = el('span', { class: `bar ${c >= 0 ? 'pos' : 'neg'}` });
      bar.style.width = `${w}%`;
      bar.style[c >= 0 ? 'left' : 'right'] = '50%';
      return el('li', { class: 'bar-row', title: `${name}：特征值 ${fmtNum(f.value)}，贡献 ${fmtSigned(c)}` },
        el('span', { class: 'bar-name' }, name),
        el('span', { class: 'bar-track', 'aria-hidden': 'true' }, el('span', { class: 'bar-zero' }), bar),
        el('span', { class: `bar-val ${c >= 0 ? 'pos' : 'neg'}` }, fmtSigned(c)));
    }));
}

// ---------------------------------------------------------------- feedback buttons
// makePayload(event, reason) → the JSON to POST; opts.disabledHint disables the buttons.
export function feedbackActions(makePayload, opts = {}) {
  const disabled = Boolean(opts.disabledHint);
  const hintId = uid('hint');
  const ack = el('p', { class: 'ack', role: 'status', 'aria-live': 'polite' });
  const selId = uid('reason');
  const sel = el('select', { id: selId },
    Object.entries(REASONS).map(([code, label]) => el('option', { value: code }, label)));
  const box = el('div', { class: 'reject-box', hidden: true },
    el('label', { for: selId }, '不合适的原因'), sel);

  const send = async (event, reason, btn) => {
    const label = event === 'rejected' ? `${EVENTS[event]}（${REASONS[reason] || reason}）` : EVENTS[event] || event;
    ack.className = 'ack pending';
    ack.textContent = '正在提交反馈…';
    btn.disabled = true;
    try {
      await api('POST', '/v1/feedback', makePayload(event, reason));
      ack.className = 'ack ok';
      ack.textContent = `已记录：${label}`;
      if (opts.onDone) opts.onDone(event, reason);
    } catch (e) {
      ack.className = 'ack err';
      ack.textContent = `没有记录成功：${errText(e)}`;
    } finally {
      btn.disabled = false;
    }
  };

  const mk = (label, cls, fn) => el('button', {
    type: 'button', class: cls, disabled, 'aria-describedby': disabled ? hintId : null, onclick: fn,
  }, label);
  const contact = mk('联系', 'btn', () => send('contacted', null, contact));
  const accept = mk('接受', 'btn', () => send('accepted', null, accept));
  const reject = mk('不合适', 'btn btn-quiet', () => {
    const open = box.hidden;
    box.hidden = !open;
    reject.setAttribute('aria-expanded', String(open));
    if (open) sel.focus();
  });
  reject.setAttribute('aria-expanded', 'false');
  const confirm = el('button', { type: 'button', class: 'btn btn-danger' }, '确认不合适');
  confirm.addEventListener('click', async () => {
    await send('rejected', sel.value, confirm);
    box.hidden = true;
    reject.setAttribute('aria-expanded', 'false');
  });
  const cancel = el('button', { type: 'button', class: 'btn btn-quiet' }, '取消');
  cancel.addEventListener('click', () => { box.hidden = true; reject.setAttribute('aria-expanded', 'false'); reject.focus(); });
  add(box, [confirm, cancel]);

  return el('div', { class: 'actions-wrap' },
    el('div', { class: 'actions' }, opts.extra || null, contact, accept, reject),
    box,
    disabled ? el('p', { class: 'hint', id: hintId }, opts.disabledHint) : null,
    ack);
}

export function pagedTable({ columns, rows, empty, filterLabel, filterKeys, pageSize = 20, caption }) {
  // columns: [{label, render(row) → node|string}]
  const wrap = el('div', { class: 'paged' });
  let shown = pageSize;
  let q = '';
  const fid = uid('filter');
  const count = el('p', { class: 'meta', role: 'status', 'aria-live': 'polite' });
  const tableBox = el('div');
  const more = el('button', { type: 'button', class: 'btn btn-quiet' }, '显示更多');
  const render = () => {
    const matched = q ? rows.filter((r) => filterKeys(r).some((k) => String(k || '').toLowerCase().includes(q))) : rows;
    const vis = matched.slice(0, shown);
    count.textContent = q ? `筛出 ${matched.length} 条（共 ${rows.length} 条）` : `共 ${rows.length} 条`;
    if (!matched.length) { tableBox.replaceChildren(msg('empty', empty)); more.hidden = true; return; }
    tableBox.replaceChildren(el('table', { class: 'rtable' },
      caption ? el('caption', { class: 'sr-only' }, caption) : null,
      el('thead', null, el('tr', null, columns.map((c) => el('th', { scope: 'col' }, c.label)))),
      el('tbody', null, vis.map((r) => el('tr', null, columns.map((c) => el('td', { 'data-label': c.label }, c.render(r))))))));
    more.hidden = matched.length <= shown;
    more.textContent = `显示更多（还有 ${matched.length - shown} 条）`;
  };
  more.addEventListener('click', () => { shown += pageSize; render(); });
  if (filterKeys && rows.length > 10) {
    const input = el('input', { id: fid, type: 'search', placeholder: '输入名称或编号', autocomplete: 'off' });
    let t = 0;
    input.addEventListener('input', () => { clearTimeout(t); t = setTimeout(() => { q = input.value.trim().toLowerCase(); shown = pageSize; render(); }, 150); });
    add(wrap, [el('div', { class: 'field table-filter' }, el('label', { for: fid }, filterLabel || '筛选'), input)]);
  }
  add(wrap, [count, tableBox, more]);
  render();
  return wrap;
}

export function tile(label, value) {
  return el('div', { class: 'tile' }, el('span', { class: 'tile-val' }, String(value)), el('span', { class: 'tile-label' }, label));
}
export function loadBar(used, max) {
  const m = typeof max === 'number' && max > 0 ? max : null;
  const ratio = m ? Math.min(1, used / m) : 0;
  const bar = el('span', { class: `load-fill ${m && used > m ? 'over' : ratio >= 0.9 ? 'full' : ''}` });
  bar.style.width = `${ratio * 100}%`;
  return el('span', { class: 'load' }, el('span', { class: 'load-track', 'aria-hidden': 'true' }, bar), ` ${used} / ${m ?? '—'}`);
}

export function gapList(results, listId) {
  return el('ol', { class: 'results', id: listId }, results.map((g) => {
    const n = g.need || {};
    return el('li', { class: 'result card gap' },
      el('h3', null, link('need', n.id, n.title || n.id)),
      el('p', { class: 'meta' }, [n.id, zh(SERVICES, n.service), zhList(FIELDS, n.fields), n.district, n.budget_wan != null ? `预算 ${fmtWan(n.budget_wan)}` : null].filter(Boolean).join(' · ')),
      el('p', { class: 'summary' }, g.reason || '暂无合适的机构'),
      el('p', { class: 'meta' }, `最佳匹配得分 ${fmtNum(g.best_score)}`,
        g.best_provider ? [' · 最接近的机构：', link('provider', g.best_provider.id, g.best_provider.name || g.best_provider.id)] : ' · 没有可对接的机构'));
  }));
}
