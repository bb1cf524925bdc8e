// The overview (生态概览): totals, the district × field heat map, the trend of match and
// acceptance rates, and needs without a fitting provider.

import { $, add, el, fmtNum, fmtPct, msg, setStatus, svg } from './dom.js';
import { api, errText } from './api.js';
import { TOTALS } from './labels.js';
import { FIELDS, FIELDS_SHORT } from './vocab.js';
import { gapList, tile } from './widgets.js';

export const ov = { built: false, data: null, loading: false, resizeT: 0, width: 0 };

export function buildOverview() {
  const v = $('#view-overview');
  add(v, [
    el('div', { class: 'view-head' },
      el('h1', { tabindex: '-1' }, '生态概览'),
      el('p', { class: 'lead' }, '全市各区县、各领域的需求与服务供给情况，缺少合适机构的需求，以及对接成效的变化。'),
      el('button', { type: 'button', class: 'btn btn-quiet btn-small', id: 'ov-refresh' }, '刷新数据')),
    el('p', { id: 'ov-status', class: 'status-line', role: 'status', 'aria-live': 'polite' }),
    el('div', { id: 'ov-body' }),
  ]);
  $('#ov-refresh').addEventListener('click', loadOverview);
  window.addEventListener('resize', () => {
    clearTimeout(ov.resizeT);
    ov.resizeT = setTimeout(() => {
      if (ov.data && !$('#view-overview').hidden) {
        const w = $('#ov-body').clientWidth;
        if (w !== ov.width) renderOverviewCharts();
      }
    }, 150);
  });
  ov.built = true;
}

export async function loadOverview() {
  if (ov.loading) return;
  ov.loading = true;
  setStatus('#ov-status', 'loading', '正在加载生态数据…');
  $('#ov-body').replaceChildren();
  try {
    ov.data = await api('GET', '/v1/overview');
  } catch (e) {
    ov.data = null;
    setStatus('#ov-status', 'error', errText(e));
    return;
  } finally {
    ov.loading = false;
  }
  setStatus('#ov-status', 'ok', '数据已更新');
  renderOverview();
}

function renderOverview() {
  const d = ov.data || {};
  const body = $('#ov-body');
  const totals = d.totals && typeof d.totals === 'object'
    ? Object.entries(d.totals).filter(([, v]) => typeof v === 'number')
    : [];
  const gaps = d.gaps || [];
  body.replaceChildren(
    totals.length ? el('div', { class: 'tiles' }, totals.map(([k, v]) => tile(TOTALS[k] || k, /rate$/.test(k) ? fmtPct(v, 1) : Number.isInteger(v) ? v.toLocaleString('zh-CN') : fmtNum(v)))) : null,
    el('section', { class: 'card', 'aria-labelledby': 'ov-h-heat' },
      el('h2', { id: 'ov-h-heat' }, '供需热力图（区县 × 领域）'),
      el('p', { class: 'hint' }, '每格数字为“待对接需求 / 有余力的机构”；颜色越红表示需求相对供给越多。鼠标停在格子上可看说明，完整数字见“以表格查看”。'),
      el('div', { id: 'ov-heat', class: 'chart' }),
      el('div', { id: 'ov-legend' }),
      el('details', { class: 'table-alt' }, el('summary', null, '以表格查看'), el('div', { id: 'ov-heat-table' }))),
    el('section', { class: 'card', 'aria-labelledby': 'ov-h-trend' },
      el('h2', { id: 'ov-h-trend' }, '匹配率与接受率变化'),
      el('div', { id: 'ov-trend', class: 'chart' }),
      el('details', { class: 'table-alt' }, el('summary', null, '以表格查看'), el('div', { id: 'ov-trend-table' }))),
    el('section', { class: 'card', 'aria-labelledby': 'ov-h-gaps' },
      el('h2', { id: 'ov-h-gaps' }, '缺少合适机构的需求'),
      typeof d.gaps_checked === 'number' ? el('p', { class: 'hint' }, `已检查 ${d.gaps_checked} 条待对接需求；以下需求连最合适的机构匹配度也偏低。`) : null,
      gaps.length ? gapList(gaps, 'ov-gap-list') : msg('empty', '暂无：每条待对接需求都有合适的机构。')));
  renderOverviewCharts();
  renderHeatTable();
  renderTrendTable();
}

export function renderOverviewCharts() {
  ov.width = $('#ov-body').clientWidth;
  renderHeatmap();
  renderTrend();
}

function fieldList(d) {
  const fs = Array.isArray(d.fields) && d.fields.length ? d.fields : Object.keys(FIELDS).map((code) => ({ code }));
  return fs.map((f) => (typeof f === 'string' ? { code: f, zh: FIELDS[f] || f } : { code: f.code, zh: f.zh || FIELDS[f.code] || f.code }));
}
function heatCells(d) {
  const m = new Map();
  for (const c of d.supply_demand || []) m.set(`${c.district}\u0001${c.field}`, c);
  return m;
}
const HEAT_BUCKETS = [
  { label: '无需求', fill: '#eef1f5', test: (o) => o === 0 },
  { label: '供大于求', fill: '#cfe8d6', test: (o, f) => f > 0 && o / f <= 0.5 },
  { label: '基本平衡', fill: '#f6efb8', test: (o, f) => f > 0 && o / f <= 1.5 },
  { label: '需求偏多', fill: '#f7c58b', test: (o, f) => f > 0 && o / f <= 3 },
  { label: '明显短缺', fill: '#ec8a64', test: (o, f) => f > 0 },
  { label: '无可用机构', fill: '#b8322a', test: () => true },
];
const heatBucket = (o, f) => HEAT_BUCKETS.find((b) => b.test(o, f));

function renderHeatmap() {
  const d = ov.data || {};
  const box = $('#ov-heat');
  const fields = fieldList(d);
  const cells = heatCells(d);
  let districts = Array.isArray(d.districts) && d.districts.length ? d.districts : [...new Set((d.supply_demand || []).map((c) => c.district))];
  if (!districts.length || !fields.length) { box.replaceChildren(msg('empty', '暂无供需数据。')); $('#ov-legend').replaceChildren(); return; }
  const width = Math.max(300, box.clientWidth || ov.width || 600);
  const narrow = width < 560;
  const labelW = narrow ? 78 : 150;
  const cellW = Math.max(28, Math.floor((width - labelW - 4) / fields.length));
  const cellH = narrow ? 20 : 24;
  const headH = narrow ? 64 : 44;
  const W = labelW + cellW * fields.length + 4;
  const H = headH + cellH * districts.length + 2;
  const s = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': '区县与技术领域的供需热力图；完整数字见下方“以表格查看”', class: 'heat' });
  fields.forEach((f, j) => {
    const x = labelW + j * cellW + cellW / 2;
    const label = narrow ? FIELDS_SHORT[f.code] || f.zh : (cellW < 90 ? FIELDS_SHORT[f.code] || f.zh : f.zh);
    add(s, [narrow
      ? svg('text', { x, y: headH - 6, class: 'heat-head', 'text-anchor': 'start', transform: `rotate(-45 ${x} ${headH - 6})` }, label, svg('title', null, f.zh))
      : svg('text', { x, y: headH - 10, class: 'heat-head', 'text-anchor': 'middle' }, label, svg('title', null, f.zh))]);
  });
  districts.forEach((dist, i) => {
    const y = headH + i * cellH;
    const short = narrow && dist.length > 5 ? dist.replace('西部科学城重庆', '').replace('经开区', '') : dist;
    add(s, [svg('text', { x: labelW - 6, y: y + cellH / 2 + 4, class: 'heat-row', 'text-anchor': 'end' }, short, svg('title', null, dist))]);
    fields.forEach((f, j) => {
      const c = cells.get(`${dist}\u0001${f.code}`) || { open_needs: 0, free_providers: 0 };
      const o = c.open_needs || 0;
      const fr = c.free_providers || 0;
      const b = heatBucket(o, fr);
      const x = labelW + j * cellW;
      const tip = `${dist} · ${f.zh}：待对接需求 ${o} 条，有余力的机构 ${fr} 家（${b.label}）`;
      add(s, [svg('g', { class: 'heat-cell' },
        svg('title', null, tip),
        svg('rect', { x: x + 1, y: y + 1, width: cellW - 2, height: cellH - 2, rx: 3, fill: b.fill }),
        o || fr ? svg('text', { x: x + cellW / 2, y: y + cellH / 2 + 4, 'text-anchor': 'middle', class: `heat-num${b.label === '无可用机构' || b.label === '明显短缺' ? ' on-dark' : ''}` }, `${o}/${fr}`) : null)]);
    });
  });
  box.replaceChildren(s);
  const cw = d.city_wide_supply && typeof d.city_wide_supply === 'object'
    ? Object.entries(d.city_wide_supply).filter(([, n]) => n > 0) : [];
  if (cw.length) {
    box.append(el('p', { class: 'hint' }, '另有服务全市、尚有余力的机构（未计入上表）：',
      cw.map(([code, n]) => `${FIELDS[code] || code} ${n} 家`).join('、')));
  }
  $('#ov-legend').replaceChildren(el('ul', { class: 'legend', 'aria-label': '颜色说明' }, HEAT_BUCKETS.map((b) => {
    const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.background = b.fill;
    return el('li', null, sw, b.label);
  })));
}

function renderHeatTable() {
  const d = ov.data || {};
  const fields = fieldList(d);
  const cells = heatCells(d);
  const districts = Array.isArray(d.districts) && d.districts.length ? d.districts : [...new Set((d.supply_demand || []).map((c) => c.district))];
  if (!districts.length) { $('#ov-heat-table').replaceChildren(msg('empty', '暂无供需数据。')); return; }
  $('#ov-heat-table').replaceChildren(el('div', { class: 'hscroll' }, el('table', { class: 'plain' },
    el('caption', null, '每格：待对接需求 / 有余力的机构'),
    el('thead', null, el('tr', null, el('th', { scope: 'col' }, '区县'), fields.map((f) => el('th', { scope: 'col' }, f.zh)))),
    el('tbody', null, districts.map((dist) => el('tr', null, el('th', { scope: 'row' }, dist), fields.map((f) => {
      const c = cells.get(`${dist}\u0001${f.code}`) || {};
      return el('td', null, `${c.open_needs || 0} / ${c.free_providers || 0}`);
    })))))));
}

function rateScale(tl) {
  const vals = tl.flatMap((t) => [t.match_rate, t.acceptance_rate]).filter((v) => typeof v === 'number');
  return vals.some((v) => v > 1.0001) ? 0.01 : 1; // percentages given as 0–100
}

function renderTrend() {
  const d = ov.data || {};
  const box = $('#ov-trend');
  const tl = Array.isArray(d.timeline) ? d.timeline : [];
  if (!tl.length) { box.replaceChildren(msg('empty', '暂无时间序列数据。')); return; }
  const k = rateScale(tl);
  const width = Math.max(300, box.clientWidth || ov.width || 600);
  const H = width < 560 ? 220 : 260;
  const m = { l: 44, r: 14, t: 16, b: 48 };
  const pw = width - m.l - m.r;
  const ph = H - m.t - m.b;
  const series = [
    { key: 'match_rate', label: '匹配率', cls: 'line-a' },
    { key: 'acceptance_rate', label: '接受率', cls: 'line-b' },
  ];
  const vals = tl.flatMap((t) => series.map((se) => (typeof t[se.key] === 'number' ? t[se.key] * k : null))).filter((v) => v != null);
  const top = Math.min(1, Math.max(0.1, Math.ceil((Math.max(...vals, 0.05) + 0.02) * 10) / 10));
  const x = (i) => m.l + (tl.length === 1 ? pw / 2 : (i * pw) / (tl.length - 1));
  const y = (v) => m.t + ph - (v / top) * ph;
  const s = svg('svg', { width, height: H, viewBox: `0 0 ${width} ${H}`, role: 'img', class: 'trend', 'aria-label': `匹配率与接受率随时间的变化，${tl[0].period} 至 ${tl[tl.length - 1].period}；数字见下方“以表格查看”` });
  for (let g = 0; g <= 4; g++) {
    const v = (top * g) / 4;
    add(s, [svg('line', { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, `${Math.round(v * 100)}%`)]);
  }
  const every = Math.max(1, Math.ceil(tl.length / Math.max(1, Math.floor(pw / 64))));
  const ticks = [];
  for (let i = 0; i < tl.length; i += every) ticks.push(i);
  if (ticks[ticks.length - 1] !== tl.length - 1) {
    if (tl.length - 1 - ticks[ticks.length - 1] < every && ticks.length > 1) ticks.pop();
    ticks.push(tl.length - 1);
  }
  for (const i of ticks) {
    const anchor = tl.length > 1 && i === tl.length - 1 ? 'end' : tl.length > 1 && i === 0 ? 'start' : 'middle';
    add(s, [svg('text', { x: x(i), y: H - m.b + 18, 'text-anchor': anchor, class: 'axis' }, String(tl[i].period || ''))]);
  }
  for (const se of series) {
    const pts = tl.map((t, i) => (typeof t[se.key] === 'number' ? [x(i), y(t[se.key] * k), t] : null)).filter(Boolean);
    if (!pts.length) continue;
    add(s, [svg('polyline', { points: pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' '), class: `line ${se.cls}` })]);
    for (const [a, b, t] of pts) {
      add(s, [svg('circle', { cx: a, cy: b, r: 3.5, class: `dot ${se.cls}` }, svg('title', null, `${t.period} ${se.label} ${fmtPct(t[se.key] * k, 1)}`))]);
    }
  }
  // legend inside the chart, bottom
  let lx = m.l;
  for (const se of series) {
    add(s, [svg('line', { x1: lx, x2: lx + 22, y1: H - 10, y2: H - 10, class: `line ${se.cls}` }),
      svg('text', { x: lx + 28, y: H - 6, class: 'axis legend-text' }, se.label)]);
    lx += 100;
  }
  box.replaceChildren(s);
}

function renderTrendTable() {
  const tl = Array.isArray((ov.data || {}).timeline) ? ov.data.timeline : [];
  if (!tl.length) { $('#ov-trend-table').replaceChildren(msg('empty', '暂无数据。')); return; }
  const k = rateScale(tl);
  const cols = [['period', '时期'], ['impressions', '曝光'], ['contacted', '联系'], ['accepted', '接受'], ['rejected', '不合适'], ['deals', '成交'], ['match_rate', '匹配率'], ['acceptance_rate', '接受率']];
  $('#ov-trend-table').replaceChildren(el('table', { class: 'rtable' },
    el('thead', null, el('tr', null, cols.map(([, l]) => el('th', { scope: 'col' }, l)))),
    el('tbody', null, tl.map((t) => el('tr', null, cols.map(([c, l]) => el('td', { 'data-label': l },
      /rate$/.test(c) ? fmtPct(typeof t[c] === 'number' ? t[c] * k : null, 1) : String(t[c] ?? '—'))))))));
}
