// duijie（对接）web page: plain ES2020, no framework, no build step.
// Every piece of data from the server is put into the page as text (textContent /
// createTextNode); the only markup taken from the server is <b> in search snippets,
// and that goes through `snippetNodes`, which keeps <b> and turns everything else into text.
'use strict';

(() => {
  // ---------------------------------------------------------------- vocabulary
  const FIELDS = {
    next_gen_it: '新一代信息技术', intelligent_vehicles: '新能源智能网联汽车', equipment: '装备制造',
    new_materials: '新材料', new_energy: '新能源', biomedicine: '生物医药',
    carbon_neutral: '碳达峰碳中和', other: '其他',
  };
  const FIELDS_SHORT = {
    next_gen_it: '信息技术', intelligent_vehicles: '智能网联汽车', equipment: '装备制造',
    new_materials: '新材料', new_energy: '新能源', biomedicine: '生物医药',
    carbon_neutral: '双碳', other: '其他',
  };
  const SERVICES = {
    pilot_scale: '中试熟化', tech_transfer: '技术转移与成果转化', rd_cooperation: '联合研发',
    testing: '检验检测', ip_service: '知识产权', brokerage: '技术经纪', consulting: '技术咨询',
    financing: '科技金融',
  };
  const PROVIDER_TYPES = {
    pilot_platform: '中试熟化平台', transfer_agency: '技术转移机构', broker: '技术经纪人',
  };
  const NEED_STATUS = { open: '待对接', matched: '对接中', closed: '已完成' };
  const FEATURES = {
    text_bm25: '文本相关度', service_match: '服务对口', field_overlap: '领域重合', geo: '地理距离',
    geo_if_near: '就近要求', type_prior: '机构类型', tfidf_cosine: '关键词相似', lsa_cosine: '语义相似',
    related_service: '相近服务', outside_city: '市外', load: '当前负荷', at_capacity: '满负荷',
    track_record: '过往成功率', qualified: '资质', concept_overlap: '技术概念重合', excluded: '声明不承接',
    expertise_fit: '专长契合', need_fit: '专长与需求契合',
  };
  const REASONS = {
    wrong_service: '服务不对口', too_far: '距离太远', no_capacity: '没有档期',
    too_expensive: '价格太高', other: '其他',
  };
  const EVENTS = { contacted: '联系', accepted: '接受', rejected: '不合适' };
  const CERTS = {
    tech_sme: '科技型中小企业', high_tech: '高新技术企业', high_tech_candidate: '高新技术企业培育库',
    specialized: '专精特新', star_reserve: '科创板上市储备库',
  };
  const QUALS = {
    national_tech_transfer_agency: '国家技术转移示范机构', municipal_tech_transfer_agency: '市级技术转移示范机构',
    municipal_pilot_platform: '市级中试熟化平台', cma: '检验检测机构资质认定（CMA）',
    cnas: '实验室认可（CNAS）', patent_agency: '专利代理机构', broker_junior: '初级技术经纪人',
    broker_intermediate: '中级技术经纪人', broker_senior: '高级技术经纪人',
  };
  const RANKERS = { learned: '学习排序模型', baseline: '基线规则', bm25: '文本检索' };
  const KINDS = { provider: '服务机构', need: '需求', enterprise: '企业', commissioner: '科技专员' };
  const TOTALS = {
    enterprises: '企业', needs: '需求', open_needs: '待对接需求', providers: '服务机构',
    free_providers: '有余力的机构', commissioners: '科技专员', gaps: '缺口需求', feedback: '反馈',
    impressions: '曝光', contacted: '联系', accepted: '接受', deals: '成交', match_rate: '匹配率',
    acceptance_rate: '接受率', matched_needs: '已匹配需求', closed_needs: '已完成需求',
    open_needs_matched: '已有接受的待对接需求', providers_free: '有余力的机构', providers_at_capacity: '满负荷的机构',
  };

  // Chongqing's districts and zones with their neighbours (src/domain/districts.txt),
  // for the district picker and for filtering on the page when the server cannot.
  const DISTRICT_TABLE = [
    ['渝中区', '江北区;南岸区;沙坪坝区;九龙坡区'],
    ['大渡口区', '九龙坡区;巴南区;江津区'],
    ['江北区', '渝中区;南岸区;沙坪坝区;渝北区;巴南区;两江新区'],
    ['沙坪坝区', '渝中区;江北区;渝北区;九龙坡区;北碚区;璧山区;两江新区;西部科学城重庆高新区'],
    ['九龙坡区', '渝中区;沙坪坝区;大渡口区;南岸区;巴南区;江津区;璧山区;西部科学城重庆高新区'],
    ['南岸区', '渝中区;江北区;九龙坡区;巴南区;渝北区;两江新区'],
    ['北碚区', '沙坪坝区;渝北区;合川区;璧山区;两江新区;西部科学城重庆高新区'],
    ['渝北区', '江北区;沙坪坝区;南岸区;巴南区;北碚区;合川区;长寿区;两江新区'],
    ['巴南区', '南岸区;江北区;渝北区;长寿区;涪陵区;南川区;綦江区;江津区;九龙坡区;大渡口区;两江新区'],
    ['两江新区', '江北区;渝北区;北碚区;沙坪坝区;南岸区;巴南区'],
    ['西部科学城重庆高新区', '沙坪坝区;九龙坡区;璧山区;江津区;北碚区'],
    ['涪陵区', '长寿区;巴南区;南川区;武隆区;丰都县;垫江县'],
    ['长寿区', '渝北区;巴南区;涪陵区;垫江县'],
    ['江津区', '九龙坡区;大渡口区;巴南区;綦江区;璧山区;永川区;西部科学城重庆高新区'],
    ['合川区', '北碚区;渝北区;璧山区;铜梁区;潼南区'],
    ['永川区', '江津区;璧山区;铜梁区;大足区;荣昌区'],
    ['南川区', '巴南区;涪陵区;武隆区;綦江区;万盛经开区'],
    ['綦江区', '江津区;巴南区;南川区;万盛经开区'],
    ['大足区', '永川区;荣昌区;铜梁区;潼南区;璧山区'],
    ['璧山区', '沙坪坝区;九龙坡区;北碚区;合川区;铜梁区;大足区;永川区;江津区;西部科学城重庆高新区'],
    ['铜梁区', '合川区;潼南区;大足区;永川区;璧山区'],
    ['潼南区', '合川区;铜梁区;大足区'],
    ['荣昌区', '永川区;大足区'],
    ['万盛经开区', '綦江区;南川区'],
    ['万州区', '开州区;云阳县;石柱县;忠县;梁平区'],
    ['开州区', '万州区;云阳县;巫溪县;城口县'],
    ['梁平区', '万州区;忠县;垫江县'],
    ['城口县', '开州区;巫溪县'],
    ['丰都县', '涪陵区;忠县;石柱县;武隆区;彭水县;垫江县'],
    ['垫江县', '梁平区;忠县;丰都县;涪陵区;长寿区'],
    ['忠县', '万州区;梁平区;垫江县;丰都县;石柱县'],
    ['云阳县', '万州区;开州区;巫溪县;奉节县'],
    ['奉节县', '云阳县;巫溪县;巫山县'],
    ['巫山县', '奉节县;巫溪县'],
    ['巫溪县', '城口县;开州区;云阳县;奉节县;巫山县'],
    ['黔江区', '彭水县;酉阳县'],
    ['武隆区', '涪陵区;南川区;丰都县;彭水县'],
    ['石柱县', '万州区;忠县;丰都县;彭水县'],
    ['秀山县', '酉阳县'],
    ['酉阳县', '秀山县;黔江区;彭水县'],
    ['彭水县', '黔江区;酉阳县;武隆区;丰都县;石柱县'],
  ];
  const DISTRICTS = DISTRICT_TABLE.map(([d]) => d);
  const NEIGHBOURS = new Map(DISTRICT_TABLE.map(([d, n]) => [d, n.split(';')]));
  const DISTRICT_ALIASES = {
    高新区: '西部科学城重庆高新区', 重庆高新区: '西部科学城重庆高新区', 科学城: '西部科学城重庆高新区',
    西部科学城: '西部科学城重庆高新区', 两江: '两江新区', 万盛: '万盛经开区', 壁山: '璧山区',
    石柱土家族自治县: '石柱县', 秀山土家族苗族自治县: '秀山县', 酉阳土家族苗族自治县: '酉阳县',
    彭水苗族土家族自治县: '彭水县',
  };

  const zh = (table, code) => (code == null ? '' : table[code] || String(code));
  const zhList = (table, codes, sep = '、') => (Array.isArray(codes) ? codes.map((c) => zh(table, c)).join(sep) : '');

  function normaliseDistrict(raw) {
    const s = String(raw || '').trim();
    if (!s) return '';
    if (DISTRICTS.includes(s)) return s;
    if (DISTRICT_ALIASES[s]) return DISTRICT_ALIASES[s];
    const hit = DISTRICTS.find((d) => d.startsWith(s));
    return hit || s;
  }

  // ---------------------------------------------------------------- DOM helpers
  const $ = (sel, root = document) => root.querySelector(sel);
  let uidCounter = 0;
  const uid = (p = 'u') => `${p}-${++uidCounter}`;

  function el(tag, props, ...kids) {
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
  function add(e, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k == null || k === false || k === '') continue;
      e.append(k instanceof Node ? k : String(k));
    }
    return e;
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, props, ...kids) {
    const e = document.createElementNS(SVGNS, tag);
    setProps(e, props);
    add(e, kids);
    return e;
  }

  function msg(kind, text, extra) {
    const role = kind === 'error' ? 'alert' : null;
    return el('p', { class: `msg msg-${kind}`, role }, text, extra);
  }
  const LOADING = (text) => msg('loading', text);
  const EMPTY_TEXT = '没有找到合适的结果，试试放宽筛选条件';

  function announce(text) {
    const live = $('#live');
    live.textContent = '';
    // a new text node after a tick makes screen readers read it even when it repeats
    setTimeout(() => { live.textContent = text; }, 30);
  }

  function chips(items, cls = 'chip', label) {
    if (!items || !items.length) return null;
    return el('ul', { class: 'chips', 'aria-label': label || null }, items.map((t) => el('li', { class: cls }, t)));
  }

  function fmtNum(x, digits = 2) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
    return x.toFixed(digits);
  }
  function fmtPct(x, digits = 0) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
    return `${(x * 100).toFixed(digits)}%`;
  }
  function fmtSigned(x) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
    return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
  }
  function fmtWan(x) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
    return `${x >= 100 ? x.toFixed(0) : x.toFixed(1).replace(/\.0$/, '')} 万元`;
  }
  function fmtTime(s) {
    if (!s) return '';
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) return String(s);
    return d.toLocaleString('zh-CN', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  }

  function link(kind, id, text) {
    if (!id) return el('span', null, text || '');
    return el('a', { href: `#/${kind}/${encodeURIComponent(id)}` }, text || id);
  }

  // Search snippets: the server sends text with <b> around matched words. Parse it in an
  // inert document and rebuild it from text nodes, keeping only <b>.
  function snippetNodes(html) {
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

  const store = {
    get(k) { try { return localStorage.getItem(`duijie.${k}`) || ''; } catch { return ''; } },
    set(k, v) { try { localStorage.setItem(`duijie.${k}`, v); } catch { /* private mode */ } },
  };

  // ---------------------------------------------------------------- API
  class ApiError extends Error {
    constructor(message, status, code, detail) {
      super(message);
      this.status = status;
      this.code = code;
      this.detail = detail;
    }
  }

  function problemMessage(status, p) {
    if (p && (p.code === 'no_such_route' || p.code === 'method_not_allowed')) return '这项功能暂未开放（服务端还没有这个接口），请稍后再试。';
    if (p && (p.title || p.detail)) {
      const t = p.title || '';
      const d = p.detail || '';
      if (t && d) return `${t}：${d}`;
      return t || d;
    }
    if (status >= 500) return `服务暂时出错（${status}），请稍后再试。`;
    if (status === 404) return '没有找到这条记录。';
    return `请求没有成功（${status}）。`;
  }

  async function api(method, path, body, opts = {}) {
    const init = { method, headers: { accept: 'application/json' }, signal: opts.signal };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError('无法连接服务，请稍后再试', 0, 'network');
    }
    let data = null;
    try {
      const text = await res.text();
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      data = null;
    }
    if (!res.ok) {
      throw new ApiError(problemMessage(res.status, data), res.status, data && data.code, data && data.detail);
    }
    return data;
  }
  const errText = (e) => (e instanceof ApiError ? e.message : '页面出错了，请刷新后再试。');

  // ---------------------------------------------------------------- feature bars
  function featureBars(features, scale) {
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
  function feedbackActions(makePayload, opts = {}) {
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

  // ---------------------------------------------------------------- header search
  const search = { timer: 0, ctl: null, seq: 0 };
  function initSearch() {
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

  // ---------------------------------------------------------------- SME view
  const sme = { built: false, need: null, seq: 0, routeNeed: null };

  function options(table, anyLabel) {
    return [el('option', { value: '' }, anyLabel), ...Object.entries(table).map(([c, l]) => el('option', { value: c }, l))];
  }

  function buildSme() {
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
      if (!places.some((d) => ok.has(d) || d === '全市')) return false;
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

  async function matchNeedById(id) {
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

  // ---------------------------------------------------------------- commissioner view
  const com = { built: false, id: null, seq: 0 };

  function buildCommissioner() {
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

  function setStatus(sel, kind, text) {
    const s = $(sel);
    s.className = `status-line msg-${kind}`;
    s.textContent = text;
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

  async function loadCommissioner(id) {
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

  function pagedTable({ columns, rows, empty, filterLabel, filterKeys, pageSize = 20, caption }) {
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

  function tile(label, value) {
    return el('div', { class: 'tile' }, el('span', { class: 'tile-val' }, String(value)), el('span', { class: 'tile-label' }, label));
  }
  function loadBar(used, max) {
    const m = typeof max === 'number' && max > 0 ? max : null;
    const ratio = m ? Math.min(1, used / m) : 0;
    const bar = el('span', { class: `load-fill ${m && used > m ? 'over' : ratio >= 0.9 ? 'full' : ''}` });
    bar.style.width = `${ratio * 100}%`;
    return el('span', { class: 'load' }, el('span', { class: 'load-track', 'aria-hidden': 'true' }, bar), ` ${used} / ${m ?? '—'}`);
  }

  // ---------------------------------------------------------------- broker view
  const brk = { built: false, id: null, seq: 0, tab: 'leads', gapsFor: null };

  function buildBroker() {
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

  async function loadBroker(id) {
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

  function gapList(results, listId) {
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

  // ---------------------------------------------------------------- overview
  const ov = { built: false, data: null, loading: false, resizeT: 0, width: 0 };

  function buildOverview() {
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

  async function loadOverview() {
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

  function renderOverviewCharts() {
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

  // ---------------------------------------------------------------- detail pages
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

  async function showDetail(kind, id) {
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

  // ---------------------------------------------------------------- routing
  const VIEW_TITLES = { sme: '企业找服务', commissioner: '科技专员', broker: '技术经纪人', overview: '生态概览' };
  let firstRoute = true;

  function show(name, tab) {
    for (const v of ['sme', 'commissioner', 'broker', 'overview', 'detail']) $(`#view-${v}`).hidden = v !== name;
    document.querySelectorAll('.tabs a').forEach((a) => {
      if (a.dataset.view === tab) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    if (VIEW_TITLES[name]) document.title = `${VIEW_TITLES[name]} · 对接`;
    if (search.close) search.close();
  }

  function focusHeading(name) {
    if (firstRoute) return;
    const h = $(`#view-${name} h1`);
    if (h) h.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }

  function route() {
    const raw = location.hash.replace(/^#\/?/, '');
    const q = raw.indexOf('?');
    const pathPart = q >= 0 ? raw.slice(0, q) : raw;
    const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    const parts = pathPart.split('/').filter(Boolean).map((s) => { try { return decodeURIComponent(s); } catch { return s; } });
    const view = parts[0] || 'sme';
    switch (view) {
      case 'sme': {
        show('sme', 'sme');
        focusHeading('sme');
        const needId = query.get('need');
        if (needId && needId !== sme.routeNeed) matchNeedById(needId);
        break;
      }
      case 'commissioner':
        show('commissioner', 'commissioner');
        focusHeading('commissioner');
        if (parts[1] && parts[1] !== com.id) loadCommissioner(parts[1]);
        break;
      case 'broker':
        show('broker', 'broker');
        focusHeading('broker');
        if (parts[1] && parts[1] !== brk.id) loadBroker(parts[1]);
        break;
      case 'overview':
        show('overview', 'overview');
        focusHeading('overview');
        if (!ov.data) loadOverview();
        else renderOverviewCharts();
        break;
      case 'provider':
      case 'enterprise':
      case 'need':
        show('detail', null);
        if (firstRoute) showDetail(view, parts[1]);
        else showDetail(view, parts[1]).then(() => { const h = $('#view-detail h1'); if (h) h.focus({ preventScroll: true }); window.scrollTo(0, 0); });
        break;
      default:
        location.replace('#/sme');
        return;
    }
    firstRoute = false;
  }

  function init() {
    buildSme();
    buildCommissioner();
    buildBroker();
    buildOverview();
    initSearch();
    window.addEventListener('hashchange', route);
    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
