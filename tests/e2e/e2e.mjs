// Browser end-to-end test of the duijie web page.
// Usage: node e2e.mjs BASE_URL   (run.sh starts a server with the demo world and calls this)
// Drives headless Debian Chromium through playwright-core (no browser download).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const BASE = (process.argv[2] || process.env.BASE_URL || '').replace(/\/$/, '');
if (!BASE) {
  console.error('usage: node e2e.mjs BASE_URL');
  process.exit(2);
}
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(HERE, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
const VIEWS = ['sme', 'commissioner', 'broker', 'overview'];

let passed = 0;
let failed = 0;
const notes = [];
const t0 = Date.now();

async function step(name, fn, { fatal = false } = {}) {
  const s = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - s} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.message ? e.message.split('\n')[0] : e}`);
    if (fatal) {
      for (const m of pageErrors) console.log(`  ${m}`);
      console.log(`${passed} passed, ${failed} failed`);
      await browser.close();
      process.exit(1);
    }
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
async function getJson(p) {
  const r = await fetch(`${BASE}${p}`);
  if (!r.ok) throw new Error(`GET ${p} → ${r.status}`);
  return r.json();
}
async function endpointLive(method, p, body) {
  const r = await fetch(`${BASE}${p}`, {
    method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  if (r.status !== 404 && r.status !== 405) return true;
  const j = await r.json().catch(() => ({}));
  return j.code !== 'no_such_route' && j.code !== 'method_not_allowed';
}

const browser = await chromium.launch({ executablePath: CHROMIUM });
const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
const page = await context.newPage();
page.setDefaultTimeout(20000);

// Any uncaught page error or console error fails the run. The one exception: Chromium logs
// "Failed to load resource" for every 4xx answer of fetch(); answers the page handles in words
// (an endpoint not live yet, a lead already claimed) are expected, so those are only noted.
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(`uncaught: ${e.message}`));
page.on('console', (m) => {
  if (m.type() !== 'error') return;
  const text = m.text();
  const url = (m.location() && m.location().url) || '';
  const st = /status of (\d{3})/.exec(text);
  if (/Failed to load resource/.test(text) && url.includes('/v1/') && st && +st[1] >= 400 && +st[1] < 500) {
    notes.push(`API ${st[1]}: ${url.replace(BASE, '')}`);
    return;
  }
  pageErrors.push(`console: ${text} ${url}`);
});

const settled = (sel) => page.waitForFunction((s) => {
  const e = document.querySelector(s);
  return e && e.textContent.trim() && !e.classList.contains('msg-loading');
}, sel, { timeout: 30000 });
const statusKind = (sel) => page.$eval(sel, (e) => (/msg-(\w+)/.exec(e.className) || [])[1] || '');
const noOverflow = () => page.evaluate(() => ({
  sw: document.documentElement.scrollWidth, iw: window.innerWidth,
}));
async function goto(hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

let matchedNeedId = null;
let brokerId = null;
const live = {};

await step('page loads with four tabs', async () => {
  await page.goto(`${BASE}/#/sme`);
  await page.waitForSelector('#view-sme h1', { timeout: 10000 }).catch(() => {
    throw new Error('the page did not start (is the binary built from the current web/? DUIJIE_WEB_DIR=web serves the files from disk)');
  });
  const tabs = await page.$$eval('.tabs a', (as) => as.map((a) => a.textContent.trim()));
  assert(JSON.stringify(tabs) === JSON.stringify(['企业找服务', '科技专员', '技术经纪人', '生态概览']), `tabs: ${tabs}`);
  const cur = await page.$eval('.tabs a[aria-current="page"]', (a) => a.textContent.trim());
  assert(cur === '企业找服务', `current tab ${cur}`);
}, { fatal: true });

await step('free-text need → ranked providers with reasons', async () => {
  await page.fill('#sme-text', '想找做锂电池正极材料中试的平台，最好在璧山附近');
  await page.click('#sme-go');
  await page.waitForFunction(() => document.querySelectorAll('#match-results > li').length >= 3);
  const n = await page.$$eval('#match-results > li', (l) => l.length);
  assert(n >= 3, `only ${n} results`);
  const summary = page.locator('#match-results > li .summary').first();
  assert(await summary.isVisible(), 'summary not visible');
  const text = (await summary.textContent()).trim();
  assert(text.length > 3 && text !== '（没有说明）', `summary "${text}"`);
  const bars = await page.$$eval('#match-results > li:first-child .bar-row', (l) => l.length);
  assert(bars > 0, 'no feature bars on first result');
  const zhNames = await page.$$eval('#match-results > li:first-child .bar-name', (l) => l.map((e) => e.textContent));
  assert(zhNames.includes('服务对口'), `feature names not translated: ${zhNames.join(',')}`);
  const status = await page.textContent('#sme-status');
  assert(/找到 \d+ 个推荐机构/.test(status), `status "${status}"`);
  // free text has no need_id: the feedback buttons are disabled with a hint
  const disabled = await page.$eval('#match-results > li:first-child .actions button', (b) => b.disabled);
  assert(disabled, 'feedback buttons should be disabled for free text');
  assert(await page.locator('#match-results > li:first-child .actions-wrap .hint').first().textContent() === '请先选择一条已登记的需求再反馈', 'missing hint');
});

await step('filter by district narrows results', async () => {
  await page.fill('#sme-district', '璧山');
  await page.check('#sme-neigh');
  await page.click('#sme-go');
  await settled('#sme-status');
  const kind = await statusKind('#sme-status');
  assert(kind === 'ok' || kind === 'empty', `status ${kind}: ${await page.textContent('#sme-status')}`);
  const understood = await page.textContent('#sme-context');
  assert(understood.includes('璧山区'), `filter not shown: ${understood}`);
  await page.fill('#sme-district', '');
  await page.uncheck('#sme-neigh');
});

await step('instant search shows highlighted results and opens a detail page', async () => {
  await page.fill('#q', '碳纤维');
  await page.waitForSelector('#q-results a.sr-item');
  const bold = await page.$$eval('#q-results .sr-snippet b', (l) => l.length);
  assert(bold > 0, 'no <b> highlight in snippets');
  const scripts = await page.$$eval('#q-results script, #q-results img', (l) => l.length);
  assert(scripts === 0, 'snippet produced elements other than <b>');
  const href = await page.getAttribute('#q-results a.sr-item', 'href');
  await page.click('#q-results a.sr-item');
  await page.waitForSelector('#view-detail h1');
  await page.waitForFunction(() => !document.querySelector('#view-detail .msg-loading'));
  assert(!(await page.isHidden('#view-detail')), 'detail view hidden');
  const h1 = (await page.textContent('#view-detail h1')).trim();
  assert(h1.length > 0, 'detail page has no title');
  assert(await page.isHidden('#q-results'), 'search results still open after navigation');
  notes.push(`search opened ${href} “${h1}”`);
});

await step('enterprise id → first open need → match → 联系 is stored', async () => {
  await goto('#/sme');
  await page.fill('#sme-eid', 'E-000001');
  await page.click('#sme-mine button[type=submit]');
  await page.waitForSelector('#sme-needs .need-item');
  const needHref = await page.getAttribute('#sme-needs .need-item a', 'href');
  matchedNeedId = decodeURIComponent(needHref.split('/').pop());
  const api = await getJson('/v1/needs?enterprise_id=E-000001&status=open&limit=50');
  assert(api.results[0].id === matchedNeedId, `first need ${matchedNeedId} ≠ API ${api.results[0].id}`);
  await page.click('#sme-needs .need-item button');
  await page.waitForFunction((id) => {
    const s = document.querySelector('.selected-need');
    return s && s.textContent.includes(id) && document.querySelectorAll('#match-results > li').length > 0;
  }, matchedNeedId);
  const before = (await getJson('/v1/stats')).counts.feedback;
  const first = page.locator('#match-results > li').first();
  const providerId = await first.getAttribute('data-provider');
  const reqP = page.waitForRequest((r) => r.url().endsWith('/v1/feedback') && r.method() === 'POST');
  await first.getByRole('button', { name: '联系' }).click();
  const req = await reqP;
  const body = JSON.parse(req.postData());
  assert(body.need_id === matchedNeedId && body.provider_id === providerId && body.event === 'contacted'
    && body.actor === 'enterprise' && body.rank === 1 && body.ranker, `payload ${req.postData()}`);
  await first.locator('.ack.ok').waitFor();
  const ack = (await first.locator('.ack').textContent()).trim();
  assert(ack === '已记录：联系', `ack "${ack}"`);
  const after = (await getJson('/v1/stats')).counts.feedback;
  assert(after === before + 1, `feedback count ${before} → ${after}`);
});

await step('不合适 asks for a reason and records it', async () => {
  const second = page.locator('#match-results > li').nth(1);
  await second.getByRole('button', { name: '不合适' }).click();
  await second.locator('.reject-box select').selectOption('too_far');
  const reqP = page.waitForRequest((r) => r.url().endsWith('/v1/feedback') && r.method() === 'POST');
  await second.getByRole('button', { name: '确认不合适' }).click();
  const body = JSON.parse((await reqP).postData());
  assert(body.event === 'rejected' && body.reason === 'too_far' && body.rank === 2, `payload ${JSON.stringify(body)}`);
  await second.locator('.ack.ok').waitFor();
  assert((await second.locator('.ack').textContent()).includes('距离太远'), 'ack without reason');
});

await step('need detail page → 为此需求匹配', async () => {
  await goto(`#/need/${matchedNeedId}`);
  await page.waitForSelector('#view-detail h1');
  await page.getByRole('button', { name: '为此需求匹配' }).click();
  await page.waitForFunction(() => location.hash.startsWith('#/sme'));
  await settled('#sme-status');
  assert(await statusKind('#sme-status') === 'ok', await page.textContent('#sme-status'));
});

// ---------------------------------------------------------------- the other views
for (const [name, p] of [
  ['commissioner enterprises', ['GET', '/v1/commissioners/C-00001/enterprises?limit=1']],
  ['assign', ['POST', '/v1/commissioners/assign', {}]],
  ['overview', ['GET', '/v1/overview']],
]) live[name] = await endpointLive(...p).catch(() => false);
try {
  const b = await getJson(`/v1/search?q=${encodeURIComponent('经纪')}&kind=provider&provider_type=broker&limit=1`);
  brokerId = b.results[0] && b.results[0].id;
} catch { brokerId = null; }
if (brokerId) {
  live.leads = await endpointLive('GET', `/v1/brokers/${brokerId}/leads?limit=1`).catch(() => false);
  live.gaps = await endpointLive('GET', `/v1/brokers/${brokerId}/gaps?limit=1`).catch(() => false);
}

await step('commissioner view: recommended enterprises and city-wide plan', async () => {
  await goto('#/commissioner/C-00001');
  await settled('#com-status');
  const kind = await statusKind('#com-status');
  if (live['commissioner enterprises']) {
    assert(kind === 'ok', `status ${kind}: ${await page.textContent('#com-status')}`);
    assert(await page.$$eval('#com-list > li', (l) => l.length) > 0, 'no enterprises');
  } else {
    assert(kind === 'error', 'endpoint missing but no error shown');
    notes.push('commissioner enterprises endpoint not live: error state shown');
  }
  await page.click('#assign-btn');
  await settled('#assign-status');
  const ak = await statusKind('#assign-status');
  if (live.assign) assert(ak === 'ok', `assign ${ak}: ${await page.textContent('#assign-status')}`);
  else { assert(ak === 'error', 'assign missing but no error shown'); notes.push('assign endpoint not live: error state shown'); }
});

await step('broker view: leads, claim, gaps', async () => {
  assert(brokerId, 'no broker found through /v1/search');
  await goto(`#/broker/${brokerId}`);
  await settled('#brk-leads-status');
  const kind = await statusKind('#brk-leads-status');
  if (live.leads) {
    assert(kind === 'ok' || kind === 'empty', `status ${kind}: ${await page.textContent('#brk-leads-status')}`);
    const leads = page.locator('#lead-list > li');
    if (await leads.count() >= 2) {
      // another broker claims lead 2 first → the page must say so in words
      const other = (await getJson(`/v1/search?q=${encodeURIComponent('经纪')}&kind=provider&provider_type=broker&limit=5`))
        .results.map((r) => r.id).find((id) => id !== brokerId);
      const need2 = decodeURIComponent((await leads.nth(1).locator('h3 a').getAttribute('href')).split('/').pop());
      if (other) {
        await fetch(`${BASE}/v1/leads/${encodeURIComponent(need2)}/claim`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ broker_id: other }),
        });
        await leads.nth(1).getByRole('button', { name: '认领' }).click();
        await leads.nth(1).locator('.ack.err').waitFor();
        const t = await leads.nth(1).locator('.ack.err').textContent();
        assert(t.includes('已被其他经纪人认领'), `conflict text "${t}"`);
      }
      const claim0 = leads.nth(0).getByRole('button', { name: '认领' });
      if (await claim0.isEnabled()) {
        await claim0.click();
        await leads.nth(0).locator('.ack.ok, .ack.err').first().waitFor();
        const t0c = await leads.nth(0).locator('.ack').last().textContent();
        assert(t0c.startsWith('已认领'), `claim text "${t0c}"`);
        // the list, loaded again, shows the claim as the broker's own
        await page.click('#brk-form button[type=submit]');
        await settled('#brk-leads-status');
        const again = await page.locator('#lead-list > li').first().locator('.ack').last().textContent();
        assert(again.startsWith('您已认领'), `after reload "${again}"`);
      }
    }
  } else {
    assert(kind === 'error', 'leads endpoint missing but no error shown');
    notes.push('broker leads endpoint not live: error state shown');
  }
  await page.click('#brk-tab-gaps');
  await settled('#brk-gaps-status');
  const gk = await statusKind('#brk-gaps-status');
  if (live.gaps) assert(gk === 'ok' || gk === 'empty', `gaps ${gk}`);
  else { assert(gk === 'error', 'gaps endpoint missing but no error shown'); notes.push('broker gaps endpoint not live: error state shown'); }
  await page.click('#brk-tab-leads');
});

await step('overview: heatmap, gaps and trend', async () => {
  await goto('#/overview');
  await settled('#ov-status');
  const kind = await statusKind('#ov-status');
  if (live.overview) {
    assert(kind === 'ok', `status ${kind}: ${await page.textContent('#ov-status')}`);
    assert(await page.$$eval('#ov-heat svg rect', (l) => l.length) > 0, 'no heatmap cells');
    assert(await page.$$eval('#ov-trend svg polyline', (l) => l.length) > 0, 'no trend lines');
  } else {
    assert(kind === 'error', 'overview missing but no error shown');
    notes.push('overview endpoint not live: error state shown');
  }
});

// ---------------------------------------------------------------- screenshots, phone width
async function shoot(view, size) {
  await goto(view === 'commissioner' ? '#/commissioner/C-00001' : view === 'broker' && brokerId ? `#/broker/${brokerId}` : `#/${view}`);
  await page.waitForSelector(`#view-${view}:not([hidden])`);
  await page.waitForFunction(() => !document.querySelector('main .msg-loading, main .status-line.msg-loading'), null, { timeout: 30000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(SHOTS, `${view}-${size}.png`), fullPage: true });
}

await step('desktop screenshots (1280×800)', async () => {
  await page.setViewportSize(DESKTOP);
  for (const v of VIEWS) await shoot(v, 'desktop');
});

await step('phone width (375×812): screenshots, no horizontal overflow, tabs wrap', async () => {
  await page.setViewportSize(PHONE);
  const bad = [];
  for (const v of VIEWS) {
    await shoot(v, 'phone');
    const { sw, iw } = await noOverflow();
    if (sw > iw) bad.push(`${v}: scrollWidth ${sw} > ${iw}`);
  }
  for (const h of [`#/need/${matchedNeedId}`, '#/enterprise/E-000001', `#/provider/${brokerId || 'P-00001'}`]) {
    await goto(h);
    await page.waitForSelector('#view-detail h1');
    await page.waitForFunction(() => !document.querySelector('main .msg-loading'));
    const { sw, iw } = await noOverflow();
    if (sw > iw) bad.push(`${h}: scrollWidth ${sw} > ${iw}`);
  }
  assert(!bad.length, bad.join('; '));
  const tabsBottom = await page.$eval('.tabs', (t) => t.getBoundingClientRect().right);
  assert(tabsBottom <= PHONE.width, 'tabs wider than the screen');
});

await step('keyboard: tabs are links, focus is visible', async () => {
  await page.setViewportSize(DESKTOP);
  await goto('#/sme');
  await page.fill('#q', '');
  await page.focus('#q');
  for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
  const active = await page.evaluate(() => document.activeElement && document.activeElement.dataset.view);
  assert(active === 'broker', `Tab from the search box reached ${active}, not the 技术经纪人 tab`);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash.startsWith('#/broker'));
  assert(outline !== 'none', 'no visible focus outline');
});

await step('no uncaught page errors or console errors', async () => {
  assert(!pageErrors.length, pageErrors.join(' | '));
});

await browser.close();
for (const n of notes) console.log(`note ${n}`);
console.log(`e2e finished in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
