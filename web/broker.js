// The broker view (技术经纪人): leads worth following with their claim, and ecosystem gaps.

import { $, LOADING, add, el, fmtNum, fmtPct, fmtTime, fmtWan, link, msg, setStatus, store } from './dom.js';
import { ApiError, api, errText } from './api.js';
import { QUALS } from './labels.js';
import { FIELDS, PROVIDER_TYPES, SERVICES, zh, zhList } from './vocab.js';
import { feedbackActions, gapList } from './widgets.js';

export const brk = { built: false, id: null, seq: 0, tab: 'leads', gapsFor: null };

export function buildBroker() {
  const v = $('#view-broker');
  const form = el('form', { id: 'brk-form', class: 'inline-form', novalidate: true },
    el('div', { class: 'field' },
      el('label', { for: 'brk-id' }, '经纪人编号'),
      el('input', { id: 'brk-id', type: 'text', placeholder: '如：P-00181', autocomplete: 'off', value: store.get('bid') || null })),
    el('button', { type: 'submit', class: 'btn btn-primary' }, '查看线索'),
    el('button', { type: 'button', class: 'btn btn-quiet', id: 'brk-find' }, '不知道编号？查找经纪人'));
  const tabs = el('div', { class: 'subtabs', role: 'tablist', 'aria-label': '经纪人工作台' },
    el('button', { type: 'button', role: 'tab', id: 'brk-tab-leads', 'aria-controls': 'brk-leads', 'aria-selected': 'true', class: 'subtab' }, '推荐线索'),
    el('button', { type: 'button', role: 'tab', id: 'brk-tab-gaps', 'aria-controls': 'brk-gaps', 'aria-selected': 'false', tabindex: '-1', class: 'subtab' }, '生态缺口'));
  add(v, [
    el('div', { class: 'view-head' },
      el('h1', { tabindex: '-1' }, '技术经纪人'),
      el('p', { class: 'lead' }, '查看值得跟进的企业需求线索（含可对接的机构和预计价值），认领后开展撮合；“生态缺口”列出暂无合适机构的需求。')),
    el('section', { class: 'card', 'aria-label': '选择经纪人' }, form, el('div', { id: 'brk-find-out' }), el('div', { id: 'brk-info' })),
    tabs,
    el('section', { id: 'brk-leads', role: 'tabpanel', 'aria-labelledby': 'brk-tab-leads', class: 'tabpanel' },
      el('p', { id: 'brk-leads-status', class: 'status-line', role: 'status', 'aria-live': 'polite' }, '输入经纪人编号后显示推荐线索。'),
      el('div', { id: 'brk-leads-list' })),
    el('section', { id: 'brk-gaps', role: 'tabpanel', 'aria-labelledby': 'brk-tab-gaps', class: 'tabpanel', hidden: true },
      el('p', { id: 'brk-gaps-status', class: 'status-line', role: 'status', 'aria-live': 'polite' }, '输入经纪人编号后显示生态缺口。'),
      el('div', { id: 'brk-gaps-list' })),
  ]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = $('#brk-id').value.trim();
    if (!id) { setStatus('#brk-leads-status', 'error', '请输入经纪人编号，例如 P-00181。'); $('#brk-id').focus(); return; }
    if (location.hash !== `#/broker/${encodeURIComponent(id)}`) location.hash = `#/broker/${encodeURIComponent(id)}`;
    else loadBroker(id);
  });
  $('#brk-find').addEventListener('click', findBrokers);
  const tabBtns = [$('#brk-tab-leads'), $('#brk-tab-gaps')];
  tabBtns.forEach((b, i) => {
    b.addEventListener('click', () => selectBrokerTab(i === 0 ? 'leads' : 'gaps'));
    b.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft' || ev.key === 'Home' || ev.key === 'End') {
        ev.preventDefault();
        const next = ev.key === 'Home' ? 0 : ev.key === 'End' ? 1 : (i + 1) % 2;
        selectBrokerTab(next === 0 ? 'leads' : 'gaps');
        tabBtns[next].focus();
      }
    });
  });
  brk.built = true;
}

function selectBrokerTab(tab) {
  brk.tab = tab;
  const leads = tab === 'leads';
  $('#brk-tab-leads').setAttribute('aria-selected', String(leads));
  $('#brk-tab-gaps').setAttribute('aria-selected', String(!leads));
  $('#brk-tab-leads').tabIndex = leads ? 0 : -1;
  $('#brk-tab-gaps').tabIndex = leads ? -1 : 0;
  $('#brk-leads').hidden = !leads;
  $('#brk-gaps').hidden = leads;
  if (!leads && brk.id && brk.gapsFor !== brk.id) loadGaps(brk.id);
}

async function findBrokers() {
  const out = $('#brk-find-out');
  out.replaceChildren(LOADING('正在查找技术经纪人…'));
  try {
    const r = await api('GET', `/v1/search?q=${encodeURIComponent('经纪')}&kind=provider&provider_type=broker&limit=8`);
    const res = (r && r.results) || [];
    if (!res.length) { out.replaceChildren(msg('empty', '没有找到技术经纪人。')); return; }
    out.replaceChildren(el('p', { class: 'hint' }, '点击选择一位经纪人：'),
      el('ul', { class: 'pick-list' }, res.map((h) => el('li', null,
        el('button', {
          type: 'button', class: 'btn btn-small btn-quiet',
          onclick: () => { out.replaceChildren(); $('#brk-id').value = h.id; location.hash = `#/broker/${encodeURIComponent(h.id)}`; },
        }, `${h.name || h.id}（${h.id}）`)))));
  } catch (e) {
    out.replaceChildren(msg('error', errText(e)));
  }
}

function brokerCard(b) {
  if (!b) return null;
  return el('div', { class: 'person' },
    el('p', { class: 'person-name' }, link('provider', b.id, b.name || b.id), el('span', { class: 'meta' }, ` ${b.id} · ${zh(PROVIDER_TYPES, b.provider_type)}`)),
    el('p', { class: 'meta' }, [b.district, zhList(FIELDS, b.fields), zhList(QUALS, b.qualifications)].filter(Boolean).join(' · ')));
}

export async function loadBroker(id) {
  brk.id = id;
  brk.gapsFor = null;
  store.set('bid', id);
  if ($('#brk-id').value.trim() !== id) $('#brk-id').value = id;
  const seq = ++brk.seq;
  $('#brk-leads-list').replaceChildren();
  $('#brk-gaps-list').replaceChildren();
  setStatus('#brk-gaps-status', 'info', '切换到此标签时加载。');
  setStatus('#brk-leads-status', 'loading', '正在查找线索…');
  const recP = api('GET', `/v1/providers/${encodeURIComponent(id)}`).catch(() => null);
  if (brk.tab === 'gaps') loadGaps(id);
  let r;
  try {
    r = await api('GET', `/v1/brokers/${encodeURIComponent(id)}/leads?limit=20`);
  } catch (e) {
    const rec = await recP;
    if (seq !== brk.seq) return;
    $('#brk-info').replaceChildren(rec ? brokerCard(rec) : '');
    setStatus('#brk-leads-status', 'error', errText(e));
    return;
  }
  const rec = r.broker || (await recP);
  if (seq !== brk.seq) return;
  $('#brk-info').replaceChildren(rec ? brokerCard(rec) : '');
  const results = r.results || [];
  if (!results.length) {
    setStatus('#brk-leads-status', 'empty', '暂时没有适合您的线索。');
    return;
  }
  setStatus('#brk-leads-status', 'ok', `找到 ${results.length} 条线索，按预计价值排序`);
  $('#brk-leads-list').replaceChildren(el('ol', { class: 'results', id: 'lead-list' }, results.map((x, i) => leadCard(x, i, id))));
  fillEnterpriseNames($('#brk-leads-list'));
}

// Leads may name the enterprise by id only: look the names up (one request per enterprise).
async function fillEnterpriseNames(root) {
  const spans = [...root.querySelectorAll('.ent-name[data-eid]')];
  const ids = [...new Set(spans.map((sp) => sp.dataset.eid))];
  await Promise.all(ids.map(async (eid) => {
    const e = await api('GET', `/v1/enterprises/${encodeURIComponent(eid)}`).catch(() => null);
    if (!e || !e.name) return;
    for (const sp of spans) if (sp.dataset.eid === eid) sp.replaceChildren(link('enterprise', eid, e.name));
  }));
}

function leadCard(x, i, brokerId) {
  const n = x.need || {};
  const ent = x.enterprise || {};
  const ex = x.explanation || {};
  const providers = x.providers || [];
  const claimAck = el('p', { class: 'ack', role: 'status', 'aria-live': 'polite' });
  const claim = el('button', { type: 'button', class: 'btn btn-primary' }, '认领');
  claim.addEventListener('click', async () => {
    claim.disabled = true;
    claimAck.className = 'ack pending';
    claimAck.textContent = '正在认领…';
    try {
      const c = await api('POST', `/v1/leads/${encodeURIComponent(n.id)}/claim`, { broker_id: brokerId });
      claimAck.className = 'ack ok';
      claimAck.textContent = `已认领${c && c.expires_at ? `，保留至 ${fmtTime(c.expires_at)}` : ''}`;
      claim.textContent = '已认领';
    } catch (e) {
      claim.disabled = false;
      claimAck.className = 'ack err';
      if (e instanceof ApiError && e.code === 'lead_already_claimed') {
        claimAck.textContent = '已被其他经纪人认领';
        claim.disabled = true;
      } else claimAck.textContent = `认领没有成功：${errText(e)}`;
    }
  });
  const held = x.claim;
  if (held && held.broker_id) {
    claim.disabled = true;
    if (held.broker_id === brokerId) {
      claim.textContent = '已认领';
      claimAck.className = 'ack ok';
      claimAck.textContent = `您已认领${held.expires_at ? `，保留至 ${fmtTime(held.expires_at)}` : ''}`;
    } else {
      claimAck.className = 'ack err';
      claimAck.textContent = '已被其他经纪人认领';
    }
  }
  const budget = n.budget_wan != null ? `预算${x.budget_estimated ? '约' : ' '}${fmtWan(n.budget_wan)}${x.budget_estimated ? '（估计）' : ''}` : null;
  return el('li', { class: 'result card' },
    el('div', { class: 'result-head' },
      el('span', { class: 'rank', 'aria-label': `第 ${i + 1} 条` }, String(i + 1)),
      el('div', { class: 'result-title' },
        el('h3', null, link('need', n.id, n.title || n.id)),
        el('p', { class: 'meta' }, '企业：', el('span', { class: 'ent-name', 'data-eid': ent.name ? null : ent.id || n.enterprise_id }, link('enterprise', ent.id || n.enterprise_id, ent.name || ent.id || n.enterprise_id)),
          ` · ${[zh(SERVICES, n.service), n.district, budget, n.deadline ? `截止 ${n.deadline}` : null].filter(Boolean).join(' · ')}`)),
      el('div', { class: 'score' },
        el('span', { class: 'score-num' }, typeof x.expected_value === 'number' ? fmtNum(x.expected_value, 1) : '—'),
        el('span', { class: 'score-label' }, '预计价值（万元）'),
        typeof x.match_probability === 'number' ? el('span', { class: 'score-label' }, `成功概率 ${fmtPct(x.match_probability)}`) : null)),
    ex.summary ? el('p', { class: 'summary' }, ex.summary) : null,
    providers.length ? el('div', { class: 'open-needs' },
      el('p', { class: 'terms-label' }, '可对接的机构'),
      el('ul', null, providers.slice(0, 5).map((pp) => {
        const p = pp.provider || pp;
        return el('li', null, link('provider', p.id, p.name || p.id),
          el('span', { class: 'meta' }, ` · ${zh(PROVIDER_TYPES, p.provider_type)}${typeof pp.score === 'number' ? ` · 得分 ${fmtNum(pp.score)}` : ''}`),
          pp.summary ? el('span', { class: 'meta provider-why' }, pp.summary) : null);
      }))) : null,
    feedbackActions((event, reason) => ({
      broker_id: brokerId, need_id: n.id, event, actor: 'broker', reason: reason || undefined, rank: i + 1,
    }), { extra: claim }),
    claimAck);
}

async function loadGaps(id) {
  brk.gapsFor = id;
  const seq = brk.seq;
  setStatus('#brk-gaps-status', 'loading', '正在查找生态缺口…');
  $('#brk-gaps-list').replaceChildren();
  let r;
  try {
    r = await api('GET', `/v1/brokers/${encodeURIComponent(id)}/gaps?limit=20`);
  } catch (e) {
    if (seq !== brk.seq) return;
    brk.gapsFor = null;
    setStatus('#brk-gaps-status', 'error', errText(e));
    return;
  }
  if (seq !== brk.seq) return;
  const results = r.results || [];
  if (!results.length) { setStatus('#brk-gaps-status', 'empty', '暂无生态缺口：每条需求都有合适的机构。'); return; }
  setStatus('#brk-gaps-status', 'ok', `${results.length} 条需求暂无合适的机构，可作为您拓展资源的方向`);
  $('#brk-gaps-list').replaceChildren(gapList(results, 'gap-list'));
}
