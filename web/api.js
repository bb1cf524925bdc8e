// Calling the server: JSON in and out, problem+json errors turned into Chinese messages.

export class ApiError extends Error {
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

export async function api(method, path, body, opts = {}) {
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
export const errText = (e) => (e instanceof ApiError ? e.message : '页面出错了，请刷新后再试。');
