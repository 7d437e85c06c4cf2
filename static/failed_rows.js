// An import's failed rows in place: a summary by reason, a page of rows to edit (the cell a
// message points at marked), 全部替换 across every failed row, rows dropped, and a re-run.

import { api, busy, button, clear, columns, h, importColumns, msgLine, pager, path, withOwnerSuggestions } from './core.js';
import { categoryTree, departments, flattenCategories } from './org.js';
import { can } from './task_parts.js';

/** Rows a page of the failed-rows editor holds. */
const FAILED_PAGE = 100;

/** The last re-run started from this page: its task and how many rows had succeeded before,
 * for the result line once it ends. */
let lastRerun = null;

/** How many rows the last re-run started from this page made succeed, if it was `t`'s. */
export function rerunSucceeded(t) {
  return lastRerun && lastRerun.id === t.id ? t.number_succeed - lastRerun.succeeded : null;
}

/**
 * An import's failed rows, however many: a summary by reason (click one to see only those),
 * a page of 100 rows to edit in place (the cell a message points at is marked; class,
 * department and category are chosen from lists), 全部替换 of a value across every failed row
 * on the server, rows dropped, and a re-run of them all as they stand: each as the task's
 * `actions` allow (edit_failed, rerun), else the rows are read-only (a dry run's, to fix in the
 * file; an undone import's). `load` shows the task again (after a drop or a re-run).
 */
export async function failedEditor(t, load) {
  const id = t.id;
  const canEdit = can(t, 'edit_failed');
  const canRerun = can(t, 'rerun');
  const readOnly = !canEdit && !canRerun;
  const state = { page: 1, reason: '' };
  const editMsg = msgLine();
  const summaryBox = h('div', { className: 'chips', id: 'failed-summary' });
  const tableBox = h('div');
  const pagerBox = h('div');
  const succeeded = rerunSucceeded(t);
  const result = succeeded !== null
    ? h('p', { className: 'msg msg-ok', id: 'rerun-result' },
      `重新执行完成：${succeeded} 行成功，${t.number_failed} 行仍失败。`)
    : null;
  // The columns as the server names them; a row's cells in the import columns' order.
  const all = await columns();
  const importCols = await importColumns();
  const labels = Object.fromEntries(all.map((c) => [c.field, c.header]));
  const numeric = new Set(all.filter((c) => c.numeric).map((c) => c.field));
  const departmentNames = (await departments().catch(() => [])).map((d) => d.name);
  let inputs = [];
  let seqs = [];
  let picks = [];

  // 全部替换: one column's value, in every failed row of the task (the server replaces in the
  // import columns only).
  const field = h('select', { id: 'replace-field', attrs: { 'aria-label': '列' } },
    importCols.map((c) => h('option', { value: c.field }, c.header)));
  field.value = 'department';
  const from = h('input', { id: 'replace-from', placeholder: '原值，如 研发部', attrs: { 'aria-label': '原值' } });
  const to = h('input', { id: 'replace-to', placeholder: '新值，如 CST', attrs: { 'aria-label': '新值' } });
  const replaceGo = button('全部替换', () => busy(replaceGo, editMsg, async () => {
    await saveEdits();
    const answer = await api('POST', path('failed_task', id, 'replace'), { field: field.value, from: from.value, to: to.value });
    editMsg.ok(`已在 ${answer.data.replaced} 行中把 ${labels[field.value]}「${from.value}」替换为「${to.value}」`);
    await showPage();
  }), '', { id: 'replace-go' });

  const drop = button('放弃所选', () => busy(drop, editMsg, async () => {
    const chosen = seqs.filter((_, i) => picks[i].checked);
    if (!chosen.length) throw new Error('请先勾选要放弃的行');
    if (!confirm(`放弃所选的 ${chosen.length} 行？它们不会被导入，也不再计入此任务。`)) return;
    const answer = await api('POST', path('failed_task', id, 'drop'), chosen);
    editMsg.ok(`已放弃 ${answer.data.dropped} 行`);
    await load();
  }), 'btn-danger', { id: 'drop-selected' });

  // A cancelled import's rows include those never run: running them is not the first thing
  // to offer (撤销此任务 is, above), so the button is a plain one.
  const rerunText = t.cancelled ? `执行其余 ${t.number_failed} 行` : `重新执行全部 ${t.number_failed} 行`;
  const rerun = button(rerunText, () => busy(rerun, editMsg, async () => {
    await saveEdits();
    lastRerun = { id: t.id, succeeded: t.number_succeed };
    await api('POST', path('failed_task', id, 'rerun'), {});
    editMsg.ok('已提交，正在重新执行…');
    await load();
  }), t.cancelled ? '' : 'btn-primary', { id: 'rerun' });

  /** Writes the edited rows of this page back to the server (before a page turn, a replace
   * or a re-run). */
  async function saveEdits() {
    for (const [i, cells] of inputs.entries()) {
      const els = Object.values(cells);
      if (!els.some((el) => el.classList.contains('edited'))) continue;
      const row = {};
      for (const [k, el] of Object.entries(cells)) {
        const v = cellValue(k, el, numeric);
        if (v !== undefined) row[k] = v;
      }
      await api('PUT', path('failed_task', id, 'rows', seqs[i]), row);
    }
  }

  async function showSummary() {
    const reasons = (await api('GET', path('failed_task', id, 'summary'))).data;
    const chip = (reason, label, count) => {
      const c = button(`${label}（${count}）`, async () => {
        await saveEdits();
        state.reason = reason;
        state.page = 1;
        await showSummary();
        await showPage();
      }, state.reason === reason ? 'chip chip-active' : 'chip');
      c.dataset.reason = reason;
      return c;
    };
    clear(summaryBox, chip('', '全部', reasons.reduce((n, r) => n + r.count, 0)),
      reasons.map((r) => chip(r.reason, r.reason, r.count)));
  }

  async function showPage() {
    const q = new URLSearchParams({ page: String(state.page), size: String(FAILED_PAGE) });
    if (state.reason) q.set('reason', state.reason);
    let answer;
    try {
      answer = await api('GET', `${path('failed_task', id, 'rows')}?${q}`);
    } catch (e) {
      if (e.code === 4 && state.page > 1) { state.page = 1; return showPage(); }
      throw e;
    }
    const rows = answer.data;
    seqs = rows.map((r) => r.seq);
    // Every import column a row needs and the optional ones a row has, then the other columns
    // and any other fields only when a row has them.
    const has = (k) => rows.some((r) => k in r);
    const keys = importCols.filter((c) => !c.optional || has(c.field)).map((c) => c.field);
    for (const c of all) if (c.import === null && has(c.field)) keys.push(c.field);
    for (const r of rows) for (const k of Object.keys(r)) if (!['message', 'seq', 'line'].includes(k) && !keys.includes(k)) keys.push(k);
    const categoryLists = await categoryDatalists(rows);
    inputs = rows.map((r) => Object.fromEntries(keys.map((k) => [k, cellInput(k, r[k], labels, departmentNames, categoryLists, r.department)])));
    if (!canEdit) for (const cells of inputs) for (const el of Object.values(cells)) el.disabled = true;
    picks = rows.map(() => h('input', { type: 'checkbox', className: 'drop-pick', attrs: { 'aria-label': '选择此行' } }));
    rows.forEach((r, i) => { for (const k of badFields(r.message)) inputs[i][k]?.classList.add('cell-bad'); });
    clear(tableBox, Object.values(categoryLists),
      h('div', { className: 'table-wrap' }, h('table', { className: 'table table-edit', id: 'failed-table' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, '行'), h('th', { className: 'col-message' }, '失败原因'), keys.map((k) => h('th', {}, labels[k] || k)))),
        h('tbody', {}, rows.map((r, i) => h('tr', { dataset: { row: i, seq: r.seq } },
          h('td', {}, canEdit ? picks[i] : null),
          h('td', { className: 'num muted' }, r.line ?? r.seq + 1),
          h('td', { className: 'col-message row-message' }, r.message),
          keys.map((k) => h('td', {}, inputs[i][k]))))))));
    clear(pagerBox, pager(state.page, answer.pages, answer.total, async (p) => {
      await saveEdits();
      state.page = p;
      await showPage();
    }));
  }

  // Words by phase: a dry run's rows would fail; a real run's were not imported (a cancel's
  // never ran, which is not a failure); an undone import's stay as they are.
  const dry = t.dry_run && !t.confirmed;
  const title = dry ? `将失败的行（${t.number_failed}）` : t.cancelled ? `未导入的行（${t.number_failed}）` : `失败的行（${t.number_failed}）`;
  const readOnlyHint = dry ? '请在文件中修正这些行后重新上传校验'
    : t.undone_by ? '此导入已撤销，这些行不能再修改或执行' : '这些行不能再修改或执行';
  const section = readOnly
    ? h('section', { className: 'card', id: 'failed-editor' },
      h('div', { className: 'toolbar' },
        h('h2', { className: 'card-title' }, title),
        h('span', { className: 'hint', id: 'failed-readonly' }, readOnlyHint)),
      editMsg, summaryBox, tableBox, pagerBox)
    : h('section', { className: 'card', id: 'failed-editor' },
      h('div', { className: 'toolbar' },
        h('h2', { className: 'card-title' }, title),
        h('div', { className: 'toolbar-actions' }, h('span', { className: 'hint' }, t.cancelled ? '包括因取消而未执行的行；可修改后执行' : '修改单元格后重新执行'), canEdit ? drop : null, canRerun ? rerun : null)),
      result, editMsg, summaryBox,
      canEdit ? h('div', { className: 'replace-bar', id: 'replace-bar' }, h('span', { className: 'muted' }, '全部替换：'), field, from, h('span', {}, '→'), to, replaceGo) : null,
      tableBox, pagerBox);
  await showSummary();
  await showPage();
  return section;
}

/** For the page's rows, a <datalist> of each department's categories (to pick from). */
async function categoryDatalists(rows) {
  const lists = {};
  for (const d of new Set(rows.map((r) => r.department).filter((d) => typeof d === 'string' && d))) {
    try {
      const cats = flattenCategories(await categoryTree(d));
      lists[d] = h('datalist', { id: `cats-${btoa(unescape(encodeURIComponent(d))).replace(/[^A-Za-z0-9]/g, '')}` },
        cats.map((c) => h('option', { value: c.name })));
    } catch (e) {
      // A department that does not exist has no categories to offer.
    }
  }
  return lists;
}

/** The columns a failed row's message points at. */
function badFields(message) {
  const out = new Set();
  for (const m of String(message || '').matchAll(/\[(\w+)\]/g)) out.add(m[1]);
  const rules = [
    [/对应部门不存在|无权管理该部门/, 'department'], [/层级分类/, 'assetTree'],
    [/挂账人/, 'user'], [/父资产/, 'parent'], [/资产数量|数量型资产的数量/, 'count'],
    [/资产价值/, 'price'], [/使用期限/, 'deadline'], [/资产编号|修改该资产|清退的资产不能修改/, 'id'],
    [/资产类别|资产类型/, 'assetClass'],
  ];
  for (const [re, k] of rules) if (re.test(message)) out.add(k);
  return out;
}

/** One editable cell of a failed row: a list for class and department, categories offered for
 * the row's department, text for the rest. */
function cellInput(k, v, labels, departmentNames, categoryLists, department) {
  const text = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  let el;
  if (k === 'assetClass' || k === 'department') {
    const options = k === 'assetClass' ? [['0', '数量型'], ['1', '条目型']] : departmentNames.map((d) => [d, d]);
    const values = options.map(([value]) => value);
    if (!values.includes(text) && !(k === 'assetClass' && ['数量型', '条目型'].includes(text))) options.unshift([text, text || '（空）']);
    el = h('select', { className: 'cell', dataset: { key: k }, attrs: { 'aria-label': labels[k] || k } },
      options.map(([value, label]) => h('option', { value }, label)));
    el.value = k === 'assetClass' && text === '数量型' ? '0' : k === 'assetClass' && text === '条目型' ? '1' : text;
    el.shown = el.value;
    el.addEventListener('change', () => el.classList.toggle('edited', el.value !== el.shown));
  } else {
    const list = k === 'assetTree' && categoryLists[department] ? categoryLists[department].id : undefined;
    el = h('input', { className: 'cell', value: text, dataset: { key: k }, attrs: { 'aria-label': labels[k] || k, ...(list ? { list } : {}) } });
    el.addEventListener('input', () => el.classList.toggle('edited', el.value !== text));
    if (k === 'user') withOwnerSuggestions(el);
  }
  el.original = v;
  return el;
}

/** The value to send for an edited cell: unchanged cells keep what was submitted; a number
 * typed into a numeric column (`numeric`: their fields) goes as a number. */
function cellValue(key, el, numeric) {
  const text = el.value;
  const original = el.original;
  if (el.tagName === 'SELECT') {
    if (text === el.shown) return original;
    return key === 'assetClass' ? Number(text) : text;
  }
  const unchanged = text === (original === undefined || original === null ? '' : typeof original === 'object' ? JSON.stringify(original) : String(original));
  if (unchanged) return original;
  const t = text.trim();
  if (t === '') return original === undefined ? undefined : null;
  if (typeof original === 'object' && original !== null) {
    try { return JSON.parse(t); } catch (e) { return t; }
  }
  if (numeric.has(key) && /^-?\d+(\.\d+)?$/.test(t) && typeof original !== 'string') return Number(t);
  return text;
}
