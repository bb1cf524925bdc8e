// Detail pages of a provider, an enterprise and a need.

import { $, LOADING, chips, el, fmtWan, link, msg } from './dom.js';
import { api, errText } from './api.js';
import { QUALS } from './labels.js';
import { CERTS, FIELDS, NEED_STATUS, PROVIDER_TYPES, SERVICES, zh, zhList } from './vocab.js';

const detail = { seq: 0 };

function dl(rows) {
  return el('dl', { class: 'facts' }, rows.filter(([, v]) => v != null && v !== '' && !(Array.isArray(v) && !v.length)).map(([k, v]) =>
    el('div', { class: 'fact' }, el('dt', null, k), el('dd', null, v))));
}
function backButton() {
  return el('button', {
    type: 'button', class: 'btn btn-quiet btn-small back',
    onclick: () => { if (history.length > 1) history.back(); else location.hash = '#/sme'; },
  }, '← 返回');
}

export async function showDetail(kind, id) {
  const v = $('#view-detail');
  const seq = ++detail.seq;
  const path = { provider: 'providers', enterprise: 'enterprises', need: 'needs' }[kind];
  v.replaceChildren(backButton(), LOADING('正在加载…'));
  if (!id) { v.replaceChildren(backButton(), msg('error', '缺少记录编号。')); return; }
  let rec;
  try {
    rec = await api('GET', `/v1/${path}/${encodeURIComponent(id)}`);
  } catch (e) {
    if (seq !== detail.seq) return;
    v.replaceChildren(backButton(), el('h1', { tabindex: '-1' }, id), msg('error', errText(e)));
    return;
  }
  if (seq !== detail.seq) return;
  document.title = `${rec.name || rec.title || id} · 对接`;
  if (kind === 'provider') renderProvider(v, rec);
  else if (kind === 'enterprise') renderEnterprise(v, rec, seq);
  else renderNeed(v, rec, seq);
}

function renderProvider(v, p) {
  v.replaceChildren(backButton(), el('article', { class: 'card detail' },
    el('p', { class: 'kind-line' }, el('span', { class: 'kind kind-provider' }, zh(PROVIDER_TYPES, p.provider_type) || '服务机构'), ` ${p.id}`),
    el('h1', { tabindex: '-1' }, p.name || p.id),
    p.description ? el('p', { class: 'desc' }, p.description) : null,
    dl([
      ['机构类型', zh(PROVIDER_TYPES, p.provider_type)],
      ['所在区县', p.district],
      ['服务区域', Array.isArray(p.served_districts) ? p.served_districts.join('、') : null],
      ['技术领域', zhList(FIELDS, p.fields)],
      ['提供服务', chips((p.services || []).map((s) => zh(SERVICES, s)), 'chip chip-service')],
      ['关键词', chips(p.keywords || [], 'chip chip-term')],
      ['可同时承接', p.capacity != null ? `${p.capacity} 项` : null],
      ['资质', chips((p.qualifications || []).map((q) => zh(QUALS, q)))],
      ['依托单位', p.organization],
    ])));
}

async function renderEnterprise(v, e, seq) {
  const needsBox = el('div', null, LOADING('正在加载需求…'));
  v.replaceChildren(backButton(), el('article', { class: 'card detail' },
    el('p', { class: 'kind-line' }, el('span', { class: 'kind kind-enterprise' }, '企业'), ` ${e.id}`),
    el('h1', { tabindex: '-1' }, e.name || e.id),
    e.description ? el('p', { class: 'desc' }, e.description) : null,
    dl([
      ['所在区县', e.district],
      ['技术领域', zhList(FIELDS, e.fields)],
      ['关键词', chips(e.keywords || [], 'chip chip-term')],
      ['资质认定', chips((e.certifications || []).map((c) => zh(CERTS, c)))],
      ['成立年份', e.founded != null ? `${e.founded} 年` : null],
      ['员工人数', e.employees != null ? `${e.employees} 人` : null],
      ['统一社会信用代码', e.credit_code],
    ]),
    el('h2', null, '企业的需求'), needsBox));
  try {
    const r = await api('GET', `/v1/needs?enterprise_id=${encodeURIComponent(e.id)}&limit=50`);
    if (seq !== detail.seq) return;
    const needs = (r && r.results) || [];
    needsBox.replaceChildren(needs.length ? el('ul', { class: 'need-list' }, needs.map((n) => el('li', { class: 'need-item' },
      el('div', { class: 'need-main' },
        link('need', n.id, n.title || n.id),
        el('span', { class: 'meta' }, [n.id, zh(SERVICES, n.service), zh(NEED_STATUS, n.status)].filter(Boolean).join(' · ')))))) : msg('empty', '这家企业还没有登记需求。'));
  } catch (err) {
    if (seq !== detail.seq) return;
    needsBox.replaceChildren(msg('error', errText(err)));
  }
}

async function renderNeed(v, n, seq) {
  const entName = el('span', null, n.enterprise_id || '');
  const go = el('button', { type: 'button', class: 'btn btn-primary', onclick: () => { location.hash = `#/sme?need=${encodeURIComponent(n.id)}`; } }, '为此需求匹配');
  v.replaceChildren(backButton(), el('article', { class: 'card detail' },
    el('p', { class: 'kind-line' }, el('span', { class: 'kind kind-need' }, '需求'), ` ${n.id} · `, el('span', { class: `status status-${n.status}` }, zh(NEED_STATUS, n.status))),
    el('h1', { tabindex: '-1' }, n.title || n.id),
    el('div', { class: 'row' }, go),
    n.description ? el('p', { class: 'desc' }, n.description) : null,
    dl([
      ['提出企业', n.enterprise_id ? el('a', { href: `#/enterprise/${encodeURIComponent(n.enterprise_id)}` }, entName) : null],
      ['需要的服务', zh(SERVICES, n.service)],
      ['技术领域', zhList(FIELDS, n.fields)],
      ['所在区县', n.district],
      ['预算', n.budget_wan != null ? fmtWan(n.budget_wan) : null],
      ['截止日期', n.deadline],
      ['状态', zh(NEED_STATUS, n.status)],
      ['关键词', chips(n.keywords || [], 'chip chip-term')],
    ])));
  if (n.enterprise_id) {
    const ent = await api('GET', `/v1/enterprises/${encodeURIComponent(n.enterprise_id)}`).catch(() => null);
    if (seq === detail.seq && ent && ent.name) entName.textContent = `${ent.name}（${ent.id}）`;
  }
}
