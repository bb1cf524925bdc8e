// duijie（对接）web page: plain ES2020 modules, no framework, no build step. This entry
// loads the domain's vocabularies (vocab.js, from GET /v1/vocabulary), builds the views —
// one module each: sme.js, commissioner.js, broker.js, overview.js, detail.js — and routes
// on the URL's hash. Shared pieces: dom.js (helpers; data goes into the page as text
// only), api.js, widgets.js, search.js, labels.js. Every module is embedded in the binary
// (src/api/web.rs) and served as text/javascript.

import { $, msg } from './dom.js';
import { loadVocabulary } from './vocab.js';
import { closeSearch, initSearch } from './search.js';
import { buildSme, matchNeedById, sme } from './sme.js';
import { buildCommissioner, com, loadCommissioner } from './commissioner.js';
import { brk, buildBroker, loadBroker } from './broker.js';
import { buildOverview, loadOverview, ov, renderOverviewCharts } from './overview.js';
import { showDetail } from './detail.js';

const VIEW_TITLES = { sme: '企业找服务', commissioner: '科技专员', broker: '技术经纪人', overview: '生态概览' };
let firstRoute = true;

function show(name, tab) {
  for (const v of ['sme', 'commissioner', 'broker', 'overview', 'detail']) $(`#view-${v}`).hidden = v !== name;
  document.querySelectorAll('.tabs a').forEach((a) => {
    if (a.dataset.view === tab) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  if (VIEW_TITLES[name]) document.title = `${VIEW_TITLES[name]} · 对接`;
  closeSearch();
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

async function init() {
  // The vocabularies first: the views' pickers and labels are built from them.
  const vocabulary = await loadVocabulary();
  buildSme();
  buildCommissioner();
  buildBroker();
  buildOverview();
  initSearch();
  if (!vocabulary) $('#main').prepend(msg('error', '暂时无法读取领域、服务和区县的名称，页面先显示代码；请稍后刷新。'));
  window.addEventListener('hashchange', route);
  route();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
