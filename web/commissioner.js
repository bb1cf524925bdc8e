// The commissioner view (科技专员): enterprises worth a visit, and the city-wide assignment plan.

import { $, add, el, fmtNum, link, setStatus, store } from './dom.js';
import { api, errText } from './api.js';
import { CERTS, FIELDS, SERVICES, zh, zhList } from './vocab.js';
import { featureBars, feedbackActions, loadBar, pagedTable, tile } from './widgets.js';

export const com = { built: false, id: null, seq: 0 };

export function buildCommissioner() {
  const v = $('#view-commissioner');
  const form = el('form', { id: 'com-form', class: 'inline-form', novalidate: true },
    el('div', { class: 'field' },
      el('label', { for: 'com-id' }, '专员编号'),
      el('input', { id: 'com-id', type: 'text', placeholder: '如：C-00001', autocomplete: 'off', value: store.get('cid') || null })),
    el('button', { type: 'submit', class: 'btn btn-primary' }, '查看推荐企业'));
  add(v, [
    el('div', { class: 'view-head' },
      el('h1', { tabindex: '-1' }, '科技专员'),
      el('p', { class: 'lead' }, '为科技专员推荐当前最值得上门服务的企业，并可生成全市专员与企业的分配方案。')),
    el('section', { class: 'card', 'aria-labelledby': 'com-h-mine' },
      el('h2', { id: 'com-h-mine' }, '我的推荐企业'),
      form,
      el('div', { id: 'com-info' }),
      el('p', { id: 'com-status', class: 'status-line', role: 'status', 'aria-live': 'polite' }),
      el('div', { id: 'com-results' })),
    el('section', { class: 'card', 'aria-labelledby': 'com-h-assign' },
      el('h2', { id: 'com-h-assign' }, '全市分配方案'),
      el('p', { class: 'hint' }, '按专员的区县、领域和负荷上限，为全市企业统一安排服务专员。'),
      el('button', { type: 'button', class: 'btn btn-primary', id: 'assign-btn' }, '生成全市分配方案'),
      el('p', { id: 'assign-status', class: 'status-line', role: 'status', 'aria-live': 'polite' }),
      el('div', { id: 'assign-out' })),
  ]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = $('#com-id').value.trim();
    if (!id) { setStatus('#com-status', 'error', '请输入专员编号，例如 C-00001。'); $('#com-id').focus(); return; }
    if (location.hash !== `#/commissioner/${encodeURIComponent(id)}`) location.hash = `#/commissioner/${encodeURIComponent(id)}`;
    else loadCommissioner(id);
  });
  $('#assign-btn').addEventListener('click', runAssign);
  com.built = true;
}

function commissionerCard(c, currentLoad) {
  if (!c) return null;
  return el('div', { class: 'person' },
    el('p', { class: 'person-name' }, c.name || c.id, el('span', { class: 'meta' }, ` ${c.id || ''}${c.organization ? ` · ${c.organization}` : ''}`)),
    el('p', { class: 'meta' }, [
      Array.isArray(c.districts) && c.districts.length ? `服务区县：${c.districts.join('、')}` : null,
      Array.isArray(c.fields) && c.fields.length ? `领域：${zhList(FIELDS, c.fields)}` : null,
      typeof currentLoad === 'number' ? `正在服务 ${currentLoad} 家` : null,
      c.max_load != null ? `负荷上限 ${c.max_load} 家` : null,
    ].filter(Boolean).join(' · ')),
    c.expertise ? el('p', { class: 'desc' }, c.expertise) : null);
}

export async function loadCommissioner(id) {
  com.id = id;
  store.set('cid', id);
  const input = $('#com-id');
  if (input.value.trim() !== id) input.value = id;
  const seq = ++com.seq;
  $('#com-results').replaceChildren();
  $('#com-info').replaceChildren();
  setStatus('#com-status', 'loading', '正在生成推荐…');
  const recP = api('GET', `/v1/commissioners/${encodeURIComponent(id)}`).catch(() => null);
  let r;
  try {
    r = await api('GET', `/v1/commissioners/${encodeURIComponent(id)}/enterprises?limit=20`);
  } catch (e) {
    const rec = await recP;
    if (seq !== com.seq) return;
    if (rec) $('#com-info').replaceChildren(commissionerCard(rec));
    setStatus('#com-status', 'error', errText(e));
    return;
  }
  const rec = r.commissioner || (await recP);
  if (seq !== com.seq) return;
  $('#com-info').replaceChildren(commissionerCard(rec, r.current_load));
  const results = r.results || [];
  if (!results.length) {
    setStatus('#com-status', 'empty', '暂时没有推荐的企业。');
    return;
  }
  setStatus('#com-status', 'ok', `推荐 ${results.length} 家企业，按服务价值从高到低排列`);
  const scale = Math.max(0.5, ...results.flatMap((x) => ((x.explanation && x.explanation.features) || []).map((f) => Math.abs(f.contribution || 0))));
  $('#com-results').replaceChildren(el('ol', { class: 'results', id: 'com-list' }, results.map((x, i) => {
    const e = x.enterprise || {};
    const ex = x.explanation || {};
    const needs = x.open_needs || [];
    return el('li', { class: 'result card' },
      el('div', { class: 'result-head' },
        el('span', { class: 'rank', 'aria-label': `第 ${i + 1} 名` }, String(i + 1)),
        el('div', { class: 'result-title' },
          el('h3', null, link('enterprise', e.id, e.name || e.id)),
          el('p', { class: 'meta' }, [e.district, zhList(FIELDS, e.fields), zhList(CERTS, e.certifications)].filter(Boolean).join(' · '))),
        el('div', { class: 'score' }, el('span', { class: 'score-num' }, fmtNum(x.score)), el('span', { class: 'score-label' }, '得分'))),
      ex.summary ? el('p', { class: 'summary' }, ex.summary) : null,
      needs.length ? el('div', { class: 'open-needs' },
        el('p', { class: 'terms-label' }, `待对接需求 ${needs.length} 条`),
        el('ul', null, needs.slice(0, 5).map((n) => el('li', null, link('need', n.id, n.title || n.id), el('span', { class: 'meta' }, ` · ${zh(SERVICES, n.service)}`))))) : null,
      Array.isArray(ex.features) && ex.features.length ? el('details', { class: 'why' },
        el('summary', null, '为什么推荐：各项因素的贡献'), featureBars(ex.features, scale)) : null,
      feedbackActions((event, reason) => ({
        commissioner_id: id, enterprise_id: e.id, event, actor: 'commissioner', reason: reason || undefined, rank: i + 1,
      })));
  })));
}

async function runAssign() {
  const btn = $('#assign-btn');
  btn.disabled = true;
  $('#assign-out').replaceChildren();
  setStatus('#assign-status', 'loading', '正在生成全市分配方案…（可能需要几秒）');
  let r;
  try {
    r = await api('POST', '/v1/commissioners/assign', {});
  } catch (e) {
    setStatus('#assign-status', 'error', errText(e));
    return;
  } finally {
    btn.disabled = false;
  }
  const assignments = r.assignments || [];
  const unassigned = r.unassigned || [];
  const coms = r.commissioners || [];
  setStatus('#assign-status', 'ok', `方案已生成：分配 ${assignments.length} 家企业，未分配 ${unassigned.length} 家`);
  const count = (a) => (Array.isArray(a) ? a.length : typeof a === 'number' ? a : 0);
  const tiles = el('div', { class: 'tiles' },
    tile('已分配企业', assignments.length), tile('未分配企业', unassigned.length),
    tile('参与专员', coms.length), typeof r.total_score === 'number' ? tile('方案总得分', fmtNum(r.total_score, 1)) : null,
    typeof r.greedy_total_score === 'number' ? tile('简单贪心方案总得分（对照）', fmtNum(r.greedy_total_score, 1)) : null);
  const loadRows = coms.map((c) => ({ ...c, _assigned: count(c.assigned) }));
  const loadTable = pagedTable({
    caption: '各专员负荷',
    columns: [
      { label: '专员', render: (c) => el('span', null, c.name || c.id, el('span', { class: 'meta' }, ` ${c.id}`)) },
      { label: '已有负荷', render: (c) => String(c.current_load ?? '—') },
      { label: '本次分配', render: (c) => String(c._assigned) },
      { label: '负荷 / 上限', render: (c) => loadBar((c.current_load || 0) + c._assigned, c.max_load) },
    ],
    rows: loadRows, empty: '没有专员数据。', filterLabel: '按专员筛选', filterKeys: (c) => [c.name, c.id], pageSize: 10,
  });
  const aTable = pagedTable({
    caption: '分配明细',
    columns: [
      { label: '专员', render: (a) => el('span', null, a.commissioner_name || a.commissioner_id, el('span', { class: 'meta' }, ` ${a.commissioner_id || ''}`)) },
      { label: '企业', render: (a) => link('enterprise', a.enterprise_id, a.enterprise_name || a.enterprise_id) },
      { label: '得分', render: (a) => fmtNum(a.score) },
      { label: '理由', render: (a) => a.reason || '' },
    ],
    rows: assignments, empty: '没有分配结果。', filterLabel: '按专员或企业筛选',
    filterKeys: (a) => [a.commissioner_name, a.commissioner_id, a.enterprise_name, a.enterprise_id],
  });
  const uTable = pagedTable({
    caption: '未分配企业',
    columns: [
      { label: '企业', render: (u) => link('enterprise', u.enterprise_id, u.enterprise_name || u.enterprise_id) },
      { label: '原因', render: (u) => u.reason || u.code || '' },
    ],
    rows: unassigned, empty: '所有企业都已分配。', filterLabel: '按企业筛选', filterKeys: (u) => [u.enterprise_name, u.enterprise_id, u.reason],
  });
  $('#assign-out').replaceChildren(tiles,
    el('h3', null, '各专员负荷'), loadTable,
    el('h3', null, '分配明细'), aTable,
    el('h3', null, '未分配的企业'), uTable);
}
