// The enterprise view (企业找服务): describe a need or pick a registered one, match,
// explain, give feedback.

import { $, EMPTY_TEXT, LOADING, add, chips, el, fmtNum, fmtPct, fmtWan, link, msg, store } from './dom.js';
import { ApiError, api, errText } from './api.js';
import { RANKERS } from './labels.js';
import { CITY_WIDE, DISTRICTS, FIELDS, NEIGHBOURS, PROVIDER_TYPES, SERVICES, normaliseDistrict, zh, zhList } from './vocab.js';
import { featureBars, feedbackActions } from './widgets.js';

export const sme = { built: false, need: null, seq: 0, routeNeed: null };

function options(table, anyLabel) {
  return [el('option', { value: '' }, anyLabel), ...Object.entries(table).map(([c, l]) => el('option', { value: c }, l))];
}

export function buildSme() {
  const v = $('#view-sme');
  const dl = el('datalist', { id: 'district-list' }, DISTRICTS.map((d) => el('option', { value: d })));
  const textForm = el('form', { id: 'sme-form', class: 'stack', novalidate: true },
    el('label', { for: 'sme-text', class: 'label-strong' }, '用一句话描述您的技术需求'),
    el('textarea', {
      id: 'sme-text', rows: '3', maxlength: '2000',
      placeholder: '例如：想找做锂电池正极材料中试的平台，最好在璧山附近',
      'aria-describedby': 'sme-text-hint',
    }),
    el('p', { id: 'sme-text-hint', class: 'hint' }, '写清要做什么、哪个领域、希望在哪里，系统会自动识别服务类型、领域和地点。'),
    el('fieldset', { class: 'filters' },
      el('legend', null, '筛选（可选）'),
      el('div', { class: 'filter-grid' },
        el('div', { class: 'field' },
          el('label', { for: 'sme-district' }, '区县'),
          el('input', { id: 'sme-district', type: 'text', list: 'district-list', placeholder: '如：璧山区', autocomplete: 'off' })),
        el('div', { class: 'field field-check' },
          el('input', { id: 'sme-neigh', type: 'checkbox' }),
          el('label', { for: 'sme-neigh' }, '含相邻区县')),
        el('div', { class: 'field' },
          el('label', { for: 'sme-ptype' }, '机构类型'),
          el('select', { id: 'sme-ptype' }, options(PROVIDER_TYPES, '不限'))),
        el('div', { class: 'field' },
          el('label', { for: 'sme-service' }, '服务'),
          el('select', { id: 'sme-service' }, options(SERVICES, '不限'))))),
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'btn btn-primary', id: 'sme-go' }, '开始匹配')));

  const mineForm = el('form', { id: 'sme-mine', class: 'inline-form', novalidate: true },
    el('div', { class: 'field' },
      el('label', { for: 'sme-eid' }, '企业编号'),
      el('input', { id: 'sme-eid', type: 'text', placeholder: '如：E-000001', autocomplete: 'off', value: store.get('eid') || null })),
    el('button', { type: 'submit', class: 'btn' }, '查看我的需求'));

  add(v, [
    dl,
    el('div', { class: 'view-head' },
      el('h1', { tabindex: '-1' }, '企业找服务'),
      el('p', { class: 'lead' }, '描述需求或选择已登记的需求，系统推荐合适的中试熟化平台、技术转移机构和技术经纪人，并逐条说明理由。')),
    el('div', { class: 'grid-2' },
      el('section', { class: 'card', 'aria-labelledby': 'sme-h-text' },
        el('h2', { id: 'sme-h-text' }, '描述需求'), textForm),
      el('section', { class: 'card', 'aria-labelledby': 'sme-h-mine' },
        el('h2', { id: 'sme-h-mine' }, '我的需求'),
        el('p', { class: 'hint' }, '已在平台登记需求的企业，输入企业编号选择一条需求；对推荐结果的反馈会记在这条需求上。'),
        mineForm,
        el('div', { id: 'sme-needs' }))),
    el('section', { class: 'results-section', 'aria-labelledby': 'sme-h-results' },
      el('h2', { id: 'sme-h-results', class: 'sr-only' }, '推荐结果'),
      el('div', { id: 'sme-context' }),
      el('p', { id: 'sme-status', role: 'status', 'aria-live': 'polite', class: 'status-line' }),
      el('div', { id: 'sme-results' })),
  ]);

  textForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('#sme-text').value.trim();
    if (!text) {
      setSmeStatus('error', '请先写一句需求描述，或在右侧选择一条已登记的需求。');
      $('#sme-text').focus();
      return;
    }
    sme.need = null;
    runMatch({ text });
  });
  mineForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = $('#sme-eid').value.trim();
    if (!id) { $('#sme-needs').replaceChildren(msg('error', '请输入企业编号，例如 E-000001。')); $('#sme-eid').focus(); return; }
    loadMyNeeds(id);
  });
  sme.built = true;
}

function setSmeStatus(kind, text) {
  const s = $('#sme-status');
  s.className = `status-line msg-${kind}`;
  s.textContent = text;
}

async function loadMyNeeds(eid) {
  store.set('eid', eid);
  const box = $('#sme-needs');
  box.replaceChildren(LOADING('正在查找需求…'));
  const entP = api('GET', `/v1/enterprises/${encodeURIComponent(eid)}`).catch(() => null);
  let r;
  try {
    r = await api('GET', `/v1/needs?enterprise_id=${encodeURIComponent(eid)}&status=open&limit=50`);
  } catch (e) {
    box.replaceChildren(msg('error', errText(e)));
    return;
  }
  const ent = await entP;
  const needs = (r && r.results) || [];
  const head = el('p', { class: 'needs-head' },
    ent ? link('enterprise', ent.id, ent.name) : eid, `：待对接需求 ${needs.length} 条`);
  if (!needs.length) {
    box.replaceChildren(head, msg('empty', ent ? '这家企业目前没有待对接的需求。' : '没有找到这家企业的待对接需求，请检查企业编号。'));
    return;
  }
  box.replaceChildren(head, el('ul', { class: 'need-list' }, needs.map((n) => el('li', { class: 'need-item' },
    el('div', { class: 'need-main' },
      el('a', { href: `#/need/${encodeURIComponent(n.id)}`, class: 'need-title' }, n.title || n.id),
      el('span', { class: 'meta' }, [n.id, zh(SERVICES, n.service), n.district, n.budget_wan != null ? `预算 ${fmtWan(n.budget_wan)}` : null, n.deadline ? `截止 ${n.deadline}` : null].filter(Boolean).join(' · '))),
    el('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: () => { sme.need = n; runMatch({ need: n }); } }, '为此需求匹配')))));
}

function readFilters() {
  return {
    district: normaliseDistrict($('#sme-district').value),
    neigh: $('#sme-neigh').checked,
    type: $('#sme-ptype').value,
    service: $('#sme-service').value,
  };
}

function providerPasses(p, f) {
  if (f.service && !(p.services || []).includes(f.service)) return false;
  if (f.district) {
    const ok = new Set([f.district]);
    if (f.neigh) for (const n of NEIGHBOURS.get(f.district) || []) ok.add(n);
    const places = [p.district, ...(p.served_districts || [])];
    if (!places.some((d) => ok.has(d) || d === CITY_WIDE)) return false;
  }
  return true;
}

async function runMatch({ text, need }) {
  const seq = ++sme.seq;
  const f = readFilters();
  const body = need ? { need_id: need.id } : { text };
  body.limit = 10;
  if (f.type) body.provider_types = [f.type];
  const filter = {};
  if (f.district) { filter.districts = [f.district]; filter.include_neighbours = f.neigh; }
  if (f.service) filter.services = [f.service];
  const hasFilter = Object.keys(filter).length > 0;
  if (hasFilter) body.filter = filter;

  renderContext(need, null, f);
  $('#sme-results').replaceChildren();
  setSmeStatus('loading', '正在匹配…');
  $('#sme-go').disabled = true;
  let resp;
  let pageFiltered = false;
  try {
    try {
      resp = await api('POST', '/v1/match', body);
    } catch (e) {
      // A server without the `filter` object: ask for more and filter here.
      if (hasFilter && e instanceof ApiError && e.status === 400 && /filter/.test(e.detail || '')) {
        delete body.filter;
        body.limit = 50;
        resp = await api('POST', '/v1/match', body);
        resp.results = (resp.results || []).filter((r) => providerPasses(r.provider || {}, f)).slice(0, 10);
        pageFiltered = true;
      } else throw e;
    }
  } catch (e) {
    if (seq !== sme.seq) return;
    setSmeStatus('error', errText(e));
    return;
  } finally {
    if (seq === sme.seq) $('#sme-go').disabled = false;
  }
  if (seq !== sme.seq) return;
  renderContext(need, resp, f, pageFiltered);
  renderMatchResults(resp, need);
  const ctx = $('#sme-context').firstElementChild || $('#sme-status');
  const top = ctx.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 120) ctx.scrollIntoView({ block: 'start' });
}

function renderContext(need, resp, f, pageFiltered) {
  const box = $('#sme-context');
  const parts = [];
  if (need) {
    parts.push(el('div', { class: 'selected-need' },
      el('span', null, '当前需求：'),
      el('a', { href: `#/need/${encodeURIComponent(need.id)}` }, need.title || need.id),
      el('span', { class: 'meta' }, ` （${need.id}）`),
      el('span', { class: 'selected-actions' },
        el('button', { type: 'button', class: 'btn btn-small', onclick: () => runMatch({ need }) }, '按当前筛选重新匹配'),
        el('button', {
          type: 'button', class: 'btn btn-small btn-quiet',
          onclick: () => { sme.need = null; sme.seq++; box.replaceChildren(); $('#sme-results').replaceChildren(); setSmeStatus('info', '已清除所选需求，可在上方描述新的需求。'); $('#sme-text').focus(); },
        }, '改为文字描述'))));
  }
  if (resp && resp.inferred) {
    const i = resp.inferred;
    const bits = [];
    if (i.service) bits.push(`服务：${zh(SERVICES, i.service)}`);
    if (Array.isArray(i.fields) && i.fields.length) bits.push(`领域：${zhList(FIELDS, i.fields)}`);
    if (i.district) bits.push(`地点：${i.district}`);
    if (i.wants_near) bits.push('希望就近');
    if (bits.length) parts.push(el('p', { class: 'understood' }, el('strong', null, '系统理解：'), bits.join(' · ')));
  }
  const fb = [];
  if (f.district) fb.push(`区县：${f.district}${f.neigh ? '（含相邻区县）' : ''}`);
  if (f.type) fb.push(`机构类型：${zh(PROVIDER_TYPES, f.type)}`);
  if (f.service) fb.push(`服务：${zh(SERVICES, f.service)}`);
  if (fb.length) parts.push(el('p', { class: 'understood' }, el('strong', null, '筛选：'), fb.join(' · '), pageFiltered ? '（服务端暂不支持该筛选，已在前 50 个结果中筛选）' : ''));
  box.replaceChildren(...parts);
}

function providerMeta(p) {
  const bits = [zh(PROVIDER_TYPES, p.provider_type), p.district];
  if (Array.isArray(p.served_districts) && p.served_districts.length) bits.push(`服务范围：${p.served_districts.join('、')}`);
  return bits.filter(Boolean).join(' · ');
}

function renderMatchResults(resp, need) {
  const results = (resp && resp.results) || [];
  const box = $('#sme-results');
  if (!results.length) {
    setSmeStatus('empty', EMPTY_TEXT);
    box.replaceChildren(msg('empty', EMPTY_TEXT));
    return;
  }
  const ranker = resp.ranker ? `${zh(RANKERS, resp.ranker)}${resp.model_version ? `（${resp.model_version}）` : ''}` : '';
  setSmeStatus('ok', `找到 ${results.length} 个推荐机构${typeof resp.candidates === 'number' ? `，从 ${resp.candidates} 个候选中排序` : ''}${ranker ? ` · 排序：${ranker}` : ''}`);
  const scale = Math.max(0.5, ...results.flatMap((r) => ((r.explanation && r.explanation.features) || []).map((x) => Math.abs(x.contribution || 0))));
  const hint = need ? null : '请先选择一条已登记的需求再反馈';
  const list = el('ol', { class: 'results', id: 'match-results' }, results.map((r, i) => {
    const p = r.provider || {};
    const ex = r.explanation || {};
    const side = ex.provider_side;
    const warnings = side && Array.isArray(side.reasons) ? side.reasons.map((w) => w.text || w.code) : [];
    const load = ex.load || r.load;
    const rank = i + 1;
    // The summary repeats the provider-side warnings as “注意：…”; they get their own box.
    const warned = new Set(warnings.map((w) => `注意：${w}`));
    const summary = (ex.summary || '').split('；').filter((part) => !warned.has(part)).join('；');
    return el('li', { class: 'result card', 'data-provider': p.id },
      el('div', { class: 'result-head' },
        el('span', { class: 'rank', 'aria-label': `第 ${rank} 名` }, String(rank)),
        el('div', { class: 'result-title' },
          el('h3', null, link('provider', p.id, p.name || p.id)),
          el('p', { class: 'meta' }, providerMeta(p))),
        el('div', { class: 'score', title: '综合得分（越高越合适）' },
          el('span', { class: 'score-num' }, fmtNum(r.score)),
          el('span', { class: 'score-label' }, '得分'),
          typeof r.relevance === 'number' ? el('span', { class: 'score-label' }, `相关度 ${fmtPct(r.relevance)}`) : null)),
      el('p', { class: 'summary' }, summary || ex.summary || '（没有说明）'),
      chips((p.services || []).map((s) => zh(SERVICES, s)), 'chip chip-service', '提供的服务'),
      Array.isArray(ex.matched_terms) && ex.matched_terms.length
        ? el('div', { class: 'terms' }, el('span', { class: 'terms-label' }, '命中关键词'), chips(ex.matched_terms, 'chip chip-term', '命中关键词'))
        : null,
      warnings.length ? el('div', { class: 'warn', role: 'note' },
        el('strong', null, typeof side.factor === 'number' && side.factor < 1 ? `注意（排序已按 ×${fmtNum(side.factor)} 下调）：` : '注意：'),
        warnings.join('；')) : null,
      load && typeof load.active === 'number' ? el('p', { class: 'meta' }, `当前在办 ${load.active} 项${typeof load.capacity === 'number' ? `，可同时承接 ${load.capacity} 项` : ''}`) : null,
      Array.isArray(ex.features) && ex.features.length ? el('details', { class: 'why', open: i === 0 },
        el('summary', null, '为什么排在这里：各项因素的贡献'),
        el('p', { class: 'hint' }, '绿色向右为加分，红色向左为减分；数字是该因素对得分的贡献。'),
        featureBars(ex.features, scale)) : null,
      feedbackActions((event, reason) => ({
        need_id: need.id, provider_id: p.id, event, actor: 'enterprise', reason: reason || undefined,
        rank, ranker: resp.ranker, model_version: resp.model_version,
      }), { disabledHint: hint }));
  }));
  box.replaceChildren(list);
}

export async function matchNeedById(id) {
  sme.routeNeed = id;
  renderContext(null, null, readFilters());
  $('#sme-results').replaceChildren();
  setSmeStatus('loading', '正在读取需求…');
  let n;
  try {
    n = await api('GET', `/v1/needs/${encodeURIComponent(id)}`);
  } catch (e) {
    setSmeStatus('error', errText(e));
    return;
  }
  sme.need = n;
  if (n.enterprise_id && !$('#sme-eid').value) $('#sme-eid').value = n.enterprise_id;
  runMatch({ need: n });
}
