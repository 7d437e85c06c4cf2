// An import's failed rows in place: a summary by reason, a page of rows to edit (the cell a
// message points at marked), 全部替换 across every failed row, rows dropped, and a re-run.

import { api, busy, button, clear, columns, fieldsOfMessage, h, importColumns, readable, msgLine, pager, path, withOwnerSuggestions } from './core.js';
import { categoryTree, departments, flattenCategories } from './org.js';
import { can } from './task_parts.js';

/** Rows a page of the failed-rows editor holds. */
const FAILED_PAGE = 100;

/** The last re-run started from this page: its task and how many rows had succeeded before,
 * for the result line once it ends. */
let lastRerun = null;

/** Edits of failed rows not yet saved on the server, by task and row seq (the row as it is
 * to be sent): kept across the editor's reloads so none is lost silently, shown again where
 * the row is shown, and asked about before the page is left. */
const unsaved = new Map();
/** Saves under way (a cell left just before a click elsewhere): awaited before rows are read. */
const saving = new Set();

function unsavedOf(id) {
  if (!unsaved.has(id)) unsaved.set(id, new Map());
  return unsaved.get(id);
}

function anyUnsaved() {
  return saving.size > 0 || [...unsaved.values()].some((m) => m.size > 0);
}

window.addEventListener('beforeunload', (e) => {
  if (!anyUnsaved()) return;
  e.preventDefault();
  e.returnValue = '';
});
// A link within the page (任务, another view) asks first while an edit could not be saved.
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[href^="#"]');
  if (!a || !anyUnsaved() || saving.size) return;
  if (!confirm('失败行中有修改未能保存，离开后这些修改会丢失。仍要离开吗？')) {
    e.preventDefault();
    e.stopPropagation();
  }
}, true);

/** The editor's state kept in the history entry (so a reload of the list or of the page keeps
 * the chosen reason, page and last message). */
function keptState(id) {
  const s = history.state && history.state.failed;
  return s && s.id === id ? s : { id, page: 1, reason: '', value: null, msg: null };
}

function keepState(state) {
  history.replaceState({ ...(history.state || {}), failed: state }, '', location.href);
}

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
  const state = keptState(id);
  const editMsg = msgLine();
  editMsg.id = 'failed-msg';
  const okKept = (text) => { editMsg.ok(text); state.msg = text; keepState(state); };
  if (state.msg) editMsg.ok(state.msg);
  await Promise.all([...saving]);
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
    okKept(`已在 ${answer.data.replaced} 行中把 ${labels[field.value]}「${from.value}」替换为「${to.value}」`);
    await showSummary();
    await showPage();
  }), '', { id: 'replace-go' });

  const drop = button('放弃所选', () => busy(drop, editMsg, async () => {
    await saveEdits();
    const chosen = seqs.filter((_, i) => picks[i].checked);
    if (!chosen.length) throw new Error('请先勾选要放弃的行');
    if (!confirm(`放弃所选的 ${chosen.length} 行？它们不会被导入，也不再计入此任务。`)) return;
    const answer = await api('POST', path('failed_task', id, 'drop'), chosen);
    for (const seq of chosen) unsavedOf(id).delete(seq);
    okKept(`已放弃 ${answer.data.dropped} 行`);
    await load();
  }), 'btn-danger', { id: 'drop-selected' });

  // Every row of the chosen reason (of its chosen value), in one request.
  const dropAll = button('放弃此原因的全部行', () => busy(dropAll, editMsg, async () => {
    await saveEdits();
    const what = state.value === null ? `「${readable(state.reason)}」` : `「${readable(state.reason)}」中值为“${state.value}”`;
    if (!confirm(`放弃${what}的全部 ${dropAll.total} 行？它们不会被导入，也不再计入此任务。`)) return;
    const body = state.value === null ? { reason: state.reason } : { reason: state.reason, value: state.value };
    const answer = await api('POST', path('failed_task', id, 'drop'), body);
    unsavedOf(id).clear();
    state.page = 1;
    okKept(`已放弃${what}的全部 ${answer.data.dropped} 行`);
    await load();
  }), 'btn-danger', { id: 'drop-reason' });
  dropAll.hidden = true;

  // The rows of the chosen reason (of its chosen value) run again; the others stay failed.
  const rerunReason = button('重新执行此原因的行', () => busy(rerunReason, editMsg, async () => {
    await saveEdits();
    const what = state.value === null ? `「${readable(state.reason)}」` : `「${readable(state.reason)}」中值为“${state.value}”`;
    const body = state.value === null ? { reason: state.reason } : { reason: state.reason, value: state.value };
    lastRerun = { id: t.id, succeeded: t.number_succeed };
    await api('POST', path('failed_task', id, 'rerun'), body);
    state.reason = '';
    state.value = null;
    state.page = 1;
    state.msg = null;
    keepState(state);
    editMsg.ok(`已提交${what}的 ${rerunReason.total} 行，正在重新执行…`);
    await load();
  }), '', { id: 'rerun-reason' });
  rerunReason.hidden = true;

  // A cancelled import's rows include those never run: running them is not the first thing
  // to offer (撤销此任务 is, above), so the button is a plain one.
  const rerunText = t.cancelled ? `执行其余 ${t.number_failed} 行` : `重新执行全部 ${t.number_failed} 行`;
  const rerun = button(rerunText, () => busy(rerun, editMsg, async () => {
    await saveEdits();
    lastRerun = { id: t.id, succeeded: t.number_succeed };
    state.msg = null;
    keepState(state);
    await api('POST', path('failed_task', id, 'rerun'), {});
    editMsg.ok('已提交，正在重新执行…');
    await load();
  }), t.cancelled ? '' : 'btn-primary', { id: 'rerun' });

  /** Row `i` of the page as it is to be sent. */
  function rowOf(i) {
    const row = {};
    for (const [k, el] of Object.entries(inputs[i])) {
      const v = cellValue(k, el, numeric);
      if (v !== undefined) row[k] = v;
    }
    return row;
  }

  /** Saves row `i` (a cell of it was left changed); a failure keeps the edit, marked, and says
   * so. */
  async function saveRow(i) {
    const seq = seqs[i];
    const cells = Object.values(inputs[i]);
    unsavedOf(id).set(seq, rowOf(i));
    const put = api('PUT', path('failed_task', id, 'rows', seq), unsavedOf(id).get(seq));
    saving.add(put);
    try {
      await put;
      unsavedOf(id).delete(seq);
      for (const el of cells) el.classList.remove('cell-unsaved');
      if (cells.some((el) => el.classList.contains('edited'))) for (const el of cells) if (el.classList.contains('edited')) el.classList.add('cell-saved');
    } catch (e) {
      for (const el of cells) if (el.classList.contains('edited')) el.classList.add('cell-unsaved');
      editMsg.error(`第 ${seq + 1} 行的修改未能保存：${e.message}（修改仍保留，请重试）`);
      throw e;
    } finally {
      saving.delete(put);
    }
  }

  /** Writes every edit not yet saved (before a drop, a replace or a re-run). */
  async function saveEdits() {
    await Promise.all([...saving]);
    for (const [seq, row] of [...unsavedOf(id)]) {
      await api('PUT', path('failed_task', id, 'rows', seq), row);
      unsavedOf(id).delete(seq);
    }
  }

  /** The reasons, each with its bad values inside (click one to see only those rows). */
  async function showSummary() {
    const reasons = (await api('GET', path('failed_task', id, 'summary'))).data;
    const choose = (reason, value) => async () => {
      await saveEdits();
      state.reason = reason;
      state.value = value;
      state.page = 1;
      keepState(state);
      await showSummary();
      await showPage();
    };
    const chip = (reason, value, label, count, cls) => {
      const active = state.reason === reason && state.value === value;
      const c = button(`${label}（${count}）`, choose(reason, value), `${cls}${active ? ' chip-active' : ''}`);
      c.dataset.reason = reason;
      if (value !== null) c.dataset.value = value;
      return c;
    };
    const total = reasons.reduce((n, r) => n + r.count, 0);
    const chosen = reasons.find((r) => r.reason === state.reason);
    if (state.reason && !chosen) { state.reason = ''; state.value = null; keepState(state); }
    if (chosen && state.value !== null && !chosen.values.some((v) => v.value === state.value)) { state.value = null; keepState(state); }
    clear(summaryBox, chip('', null, '全部', total, 'chip'),
      reasons.map((r) => h('div', { className: 'chip-group', dataset: { reason: r.reason } },
        chip(r.reason, null, readable(r.reason), r.count, 'chip'),
        r.values.length ? h('span', { className: 'chip-values' },
          r.values.map((v) => chip(r.reason, v.value, `“${v.value}”`, v.count, 'chip chip-value')),
          r.others ? h('span', { className: 'muted' }, `其他 ${r.others} 行`) : null) : null)));
    const chosenValue = chosen && state.value !== null ? chosen.values.find((v) => v.value === state.value) : null;
    dropAll.total = chosenValue ? chosenValue.count : chosen ? chosen.count : 0;
    dropAll.hidden = !chosen || !canEdit;
    dropAll.textContent = `放弃此原因的全部 ${dropAll.total} 行`;
    rerunReason.total = dropAll.total;
    rerunReason.hidden = !chosen || !canRerun;
    rerunReason.textContent = `重新执行此原因的 ${rerunReason.total} 行`;
  }

  async function showPage() {
    const q = new URLSearchParams({ page: String(state.page), size: String(FAILED_PAGE) });
    if (state.reason) q.set('reason', state.reason);
    if (state.reason && state.value !== null) q.set('value', state.value);
    let answer;
    try {
      answer = await api('GET', `${path('failed_task', id, 'rows')}?${q}`);
    } catch (e) {
      if (e.code === 4 && state.page > 1) { state.page = 1; keepState(state); return showPage(); }
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
    // An edit not saved yet (its save failed) is shown again, marked.
    rows.forEach((r, i) => {
      const kept = unsavedOf(id).get(r.seq);
      if (!kept) return;
      for (const [k, el] of Object.entries(inputs[i])) {
        if (!(k in kept)) continue;
        const text = kept[k] === null ? '' : typeof kept[k] === 'object' ? JSON.stringify(kept[k]) : String(kept[k]);
        if (text === el.value) continue;
        el.value = text;
        el.classList.add('edited', 'cell-unsaved');
      }
    });
    if (!canEdit) for (const cells of inputs) for (const el of Object.values(cells)) el.disabled = true;
    // A cell left changed is saved at once.
    inputs.forEach((cells, i) => {
      for (const el of Object.values(cells)) el.addEventListener('change', () => saveRow(i).catch(() => {}));
    });
    picks = rows.map(() => h('input', { type: 'checkbox', className: 'drop-pick', attrs: { 'aria-label': '选择此行' } }));
    const pickAll = h('input', { type: 'checkbox', id: 'pick-all', attrs: { 'aria-label': '选择本页全部行' } });
    pickAll.addEventListener('change', () => { for (const p of picks) p.checked = pickAll.checked; });
    rows.forEach((r, i) => { for (const k of fieldsOfMessage(r.message)) inputs[i][k]?.classList.add('cell-bad'); });
    clear(tableBox, Object.values(categoryLists),
      h('div', { className: 'table-wrap' }, h('table', { className: 'table table-edit', id: 'failed-table' },
        h('thead', {}, h('tr', {}, h('th', {}, canEdit ? pickAll : ''), h('th', {}, '行'), h('th', { className: 'col-message' }, '失败原因'), keys.map((k) => h('th', {}, labels[k] || k)))),
        h('tbody', {}, rows.map((r, i) => h('tr', { dataset: { row: i, seq: r.seq } },
          h('td', {}, canEdit ? picks[i] : null),
          h('td', { className: 'num muted' }, r.line ?? r.seq + 1),
          h('td', { className: 'col-message row-message' }, readable(r.message)),
          keys.map((k) => h('td', {}, inputs[i][k]))))))));
    clear(pagerBox, pager(state.page, answer.pages, answer.total, async (p) => {
      await saveEdits();
      state.page = p;
      keepState(state);
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
        h('div', { className: 'toolbar-actions' }, h('span', { className: 'hint' }, t.cancelled ? '包括因取消而未执行的行；可修改后执行' : '修改单元格后重新执行'), canEdit ? drop : null, canEdit ? dropAll : null, canRerun ? rerunReason : null, canRerun ? rerun : null)),
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
