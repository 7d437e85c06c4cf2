// Shared helpers: the session, the JSON API, and DOM building that only ever creates text
// nodes from data (never HTML), so a user-supplied string can never become markup.

/** Where the session lives: this browser's local storage, so a new tab (Ctrl-click on 详情)
 * is logged in as this one is; a logout in any tab ends it in all (app.js listens). */
export const SESSION_KEY = 'assetport.session';

export const ROLE_NAMES = { 1: '普通用户', 2: '资产管理员', 3: '系统管理员', 4: '超级管理员' };
export const STATUS_NAMES = { 1: '闲置', 2: '使用中', 3: '维保中' };
export const CLASS_NAMES = { 0: '数量型', 1: '条目型' };
/** The label layouts (POST /api/label_task's `layout`): how the page names each, and how many
 * labels a page holds (the start place of a sheet is 1 to that). */
export const LABEL_LAYOUTS = [
  { name: 'a4-3x8', text: 'A4 3×8（每张24枚）', perPage: 24 },
  { name: 'a4-2x7', text: 'A4 2×7（每张14枚）', perPage: 14 },
  { name: 'roll-60x40', text: '标签打印机 60×40 mm（每枚一页）', perPage: 1 },
];

/** The logged-in user: {character, name, entity?, department?} from GET /api/character. */
export const me = { character: 0, name: '' };

export const session = {
  get: () => localStorage.getItem(SESSION_KEY),
  set: (s) => localStorage.setItem(SESSION_KEY, s),
  clear: () => localStorage.removeItem(SESSION_KEY),
};

/** An error answered by the API: `info` is the server's message, shown to the user as is. */
/** An API error: `info` is the API's text (the contract other tools read), `message` what the
 * page shows (`readable`). */
export class ApiError extends Error {
  constructor(status, code, info) {
    super(readable(info));
    this.info = info;
    this.status = status;
    this.code = code;
  }
}

/** The names of the request fields that are not asset columns, as a message shows them. */
const FIELD_WORDS = {
  identity: '用户名', password: '密码', email: '邮箱', character: '角色', lock: '锁定', entity: '业务实体',
  assets: '资产去向', page: '页码', size: '每页条数', kind: '操作类型', since: '开始日期', until: '结束日期',
  task: '任务编号', reason: '失败原因', value: '值', as_of: '截至日期', filter: '筛选条件', ids: '资产编号',
};

/** Each asset field's column name, once GET /api/columns has answered. */
let headers = new Map();

/** A message as the page shows it: a field the API names by its key (`缺少字段或类型错误：[count]`)
 * named as its column is (「资产数量」), and 您 where the API's text says 你. */
export function readable(message) {
  return String(message ?? '')
    .replace(/：\[(\w+)\]/g, (whole, key) => `：「${headers.get(key) ?? FIELD_WORDS[key] ?? key}」`)
    .replace(/你/g, '您');
}

let onSessionLost = () => {};
export function whenSessionLost(f) {
  onSessionLost = f;
}

/** Encodes a path segment (names may hold any character). */
export const seg = (s) => encodeURIComponent(String(s));

/** `/api/<name>/<session>/<rest…>` with each part encoded. */
export function path(name, ...rest) {
  return ['', 'api', name, session.get() || '', ...rest.map(seg)].join('/');
}

/**
 * Calls the API. `body` is JSON-encoded unless it is a Blob/ArrayBuffer (sent as is).
 * Resolves to the whole answer (`data`, `pages`, `total`); rejects with ApiError.
 */
export async function api(method, url, body) {
  const init = { method, headers: {}, cache: 'no-store' };
  if (body !== undefined) {
    if (body instanceof Blob || body instanceof ArrayBuffer) {
      init.body = body;
      init.headers['Content-Type'] = 'application/octet-stream';
    } else {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, -1, '无法连接服务器，请检查网络后重试');
  }
  let answer;
  try {
    answer = await res.json();
  } catch (e) {
    throw new ApiError(res.status, -1, `服务器返回了无法识别的内容（HTTP ${res.status}）`);
  }
  if (answer.code !== 0) {
    const err = new ApiError(res.status, answer.code, answer.info || `请求失败（HTTP ${res.status}）`);
    if (res.status === 401) onSessionLost(err);
    throw err;
  }
  return answer;
}

let columnsAsked = null;

/**
 * The asset columns, as the server defines them (GET /api/columns): [{field, view, header,
 * aliases, import, template, export, optional, numeric, width}] in the order the row rules
 * check a row. Asked once, then kept (a failed ask is asked again next time).
 */
export function columns() {
  if (!columnsAsked) {
    columnsAsked = api('GET', path('columns')).then((answer) => {
      headers = new Map(answer.data.map((c) => [c.field, c.header]));
      return answer.data;
    });
    columnsAsked.catch(() => { columnsAsked = null; });
  }
  return columnsAsked;
}

/** An asset field's name as the column table has it (资产名, 所属品类, 状态…): the one name of
 * its concept on every screen, in the files and in messages. The app asks for the columns
 * before it shows a view. */
export function label(field) {
  return headers.get(field) ?? field;
}

/** The import columns (资产编号, then the template's), in their order. */
export async function importColumns() {
  return (await columns()).filter((c) => c.import !== null).sort((a, b) => a.import - b.import);
}

/**
 * Offers the names of owners containing what is typed into `input` (GET /api/owner_names),
 * through one shared <datalist>. Returns the input.
 */
export function withOwnerSuggestions(input) {
  let list = document.getElementById('owner-names');
  if (!list) {
    list = h('datalist', { id: 'owner-names' });
    document.body.append(list);
  }
  input.setAttribute('list', 'owner-names');
  input.setAttribute('autocomplete', 'off');
  let timer = null;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const part = input.value.trim();
    if (!part) return;
    timer = setTimeout(async () => {
      try {
        const names = (await api('GET', `${path('owner_names')}?q=${encodeURIComponent(part)}`)).data;
        clear(list, names.map((n) => h('option', { value: n })));
      } catch (e) {
        // Suggestions are a help: without them the field still takes any name.
      }
    }, 150);
  });
  return input;
}

/**
 * Uploads `file` as a multipart form (so the server keeps its name), reporting the bytes sent
 * through `progress(sent, total)`; answers like `api`.
 */
export function uploadFile(url, file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) progress(e.loaded, e.total); });
    xhr.addEventListener('error', () => reject(new ApiError(0, -1, '无法连接服务器，请检查网络后重试')));
    xhr.addEventListener('load', () => {
      let answer;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (e) {
        reject(new ApiError(xhr.status, -1, `服务器返回了无法识别的内容（HTTP ${xhr.status}）`));
        return;
      }
      if (answer.code !== 0) {
        const err = new ApiError(xhr.status, answer.code, answer.info || `请求失败（HTTP ${xhr.status}）`);
        if (xhr.status === 401) onSessionLost(err);
        reject(err);
        return;
      }
      resolve(answer);
    });
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/**
 * Builds an element. `attrs`: properties (className, type, value, …), `on*` listeners,
 * `dataset`, `attrs` (plain attributes). Children: nodes, or strings/numbers as text nodes.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) el.setAttribute(a, av);
    else el[k] = v;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A message line next to where the user acted. */
export function msgLine() {
  const el = h('p', { className: 'msg', attrs: { role: 'alert' } });
  el.error = (e) => {
    el.className = 'msg msg-error';
    el.textContent = e instanceof Error ? e.message : String(e);
  };
  el.ok = (text) => {
    el.className = 'msg msg-ok';
    el.textContent = text;
  };
  el.reset = () => {
    el.className = 'msg';
    el.textContent = '';
  };
  return el;
}

/** Runs `f` with the button disabled, reporting a failure on `msg`. */
export async function busy(button, msg, f) {
  if (msg) msg.reset();
  if (button) button.disabled = true;
  try {
    return await f();
  } catch (e) {
    if (msg) msg.error(e);
    else toast(e.message, true);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

let toastTimer;
export function toast(text, isError) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.className = isError ? 'toast toast-error' : 'toast';
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
}

export function field(label, input, extraClass) {
  return h('label', { className: extraClass ? `field ${extraClass}` : 'field' }, label, input);
}

const NUMERIC_HEADERS = new Set(['编号', '资产编号', '数量', '资产数量', '当前价值', '原值', '价值', '资产价值', '需处理', '成功', '失败', '用户数', '资产数', '部门数']);

/** A table head row; numeric columns are right-aligned like their cells. */
export function headRow(labels) {
  return h('thead', {}, h('tr', {}, labels.map((t) => h('th', { className: NUMERIC_HEADERS.has(t) ? 'num' : '' }, t))));
}

/** Makes a table row that opens something on click also open from the keyboard: it takes
 * focus in Tab order (visibly) and Enter or Space opens it. */
export function openable(tr, open) {
  tr.tabIndex = 0;
  tr.addEventListener('click', (e) => {
    if (e.target.closest('input, a, button, select, label')) return;
    open();
  });
  tr.addEventListener('keydown', (e) => {
    if (e.target !== tr || (e.key !== 'Enter' && e.key !== ' ')) return;
    e.preventDefault();
    open();
  });
  return tr;
}

/** The words of the rule messages (SPEC §7) and the field each names. */
const MESSAGE_FIELDS = [
  [/对应部门不存在|无权管理该部门/, 'department'], [/层级分类/, 'assetTree'],
  [/挂账人/, 'user'], [/父资产/, 'parent'], [/资产数量|数量型资产的数量/, 'count'],
  [/原值|资产价值/, 'price'], [/使用期限/, 'deadline'], [/资产编号|修改该资产|清退的资产不能修改/, 'id'],
  [/资产类别|资产类型/, 'assetClass'], [/创建时间/, 'create_time'],
];

/** The fields a rule message concerns: one named in brackets (`缺少字段或类型错误：[count]`)
 * as is, and those its words name. The failed-rows editor marks their cells, the asset dialogs
 * their inputs. */
export function fieldsOfMessage(message) {
  const text = String(message || '');
  const out = new Set([...text.matchAll(/\[(\w+)\]/g)].map((m) => m[1]));
  for (const [re, field] of MESSAGE_FIELDS) if (re.test(text)) out.add(field);
  return out;
}

/** Marks the inputs of `fields` ({field: input}) that the error's message concerns, and
 * focuses the first; a mark goes when its input is changed. */
export function markFields(error, fields) {
  for (const el of Object.values(fields)) el.classList.remove('field-error');
  let first = null;
  const text = error instanceof ApiError ? error.info : error instanceof Error ? error.message : error;
  for (const key of fieldsOfMessage(text)) {
    const el = fields[key];
    if (!el) continue;
    el.classList.add('field-error');
    el.setAttribute('aria-invalid', 'true');
    const unmark = () => { el.classList.remove('field-error'); el.removeAttribute('aria-invalid'); };
    el.addEventListener('input', unmark, { once: true });
    el.addEventListener('change', unmark, { once: true });
    first = first || el;
  }
  if (first) first.focus();
}

export function input(attrs) {
  return h('input', attrs);
}

export function select(options, attrs) {
  return h('select', attrs || {}, options.map(([value, label]) => h('option', { value }, label)));
}

export function button(label, onclick, kind, attrs) {
  return h('button', { type: 'button', className: `btn ${kind || ''}`.trim(), onclick, ...(attrs || {}) }, label);
}

export const money = (n) =>
  typeof n === 'number' ? n.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : '';

/** Opens the shared modal dialog with `title` and `body`; returns a close function. */
export function openDialog(title, body, footer) {
  const dlg = document.getElementById('dialog');
  const close = () => dlg.close();
  clear(
    dlg,
    h('div', { className: 'dialog-head' }, h('h2', {}, title), button('×', close, 'btn-icon', { title: '关闭', attrs: { 'aria-label': '关闭' } })),
    h('div', { className: 'dialog-body' }, body),
    footer ? h('div', { className: 'dialog-foot' }, footer) : null,
  );
  dlg.showModal();
  // Focus lands on the dialog's first field (else its first button), not on the close cross.
  const first = dlg.querySelector('.dialog-body input:not([type=hidden]):not([disabled]), .dialog-body select, .dialog-body textarea, .dialog-body button, .dialog-foot button');
  if (first) first.focus();
  return close;
}

/** A paging bar: 首页, 上一页, a page number to type, 下一页, 末页; calls `go(page)`. */
export function pager(page, pages, total, go) {
  const last = Math.max(pages, 1);
  const to = h('input', {
    type: 'number', min: '1', max: String(last), value: String(page), className: 'pager-input',
    attrs: { 'aria-label': '页码' },
  });
  const jump = () => {
    const p = Math.trunc(Number(to.value));
    if (p >= 1 && p <= last && p !== page) go(p);
    else to.value = String(page);
  };
  to.addEventListener('keydown', (e) => { if (e.key === 'Enter') jump(); });
  to.addEventListener('change', jump);
  return h(
    'div',
    { className: 'pager' },
    h('span', { className: 'pager-total' }, `共 ${total} 条`),
    button('首页', () => go(1), 'btn-small pager-first', { disabled: page <= 1 }),
    button('上一页', () => go(page - 1), 'btn-small', { disabled: page <= 1 }),
    h('span', { className: 'pager-pos' }, '第 ', to, ` / ${last} 页`),
    button('下一页', () => go(page + 1), 'btn-small', { disabled: page >= last }),
    button('末页', () => go(last), 'btn-small pager-last', { disabled: page >= last }),
  );
}

/** A download of an API file: a plain link (the session is in the path). */
export function downloadLink(label, url, filename) {
  return h('a', { className: 'btn btn-small', href: url, download: filename || '', attrs: { rel: 'noopener' } }, label);
}
