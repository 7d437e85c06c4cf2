// Import (paste JSON or upload a file, optionally as a dry run), the task list with live
// progress, and one task: an import's failed rows in an editable table (fix and re-run), a dry
// run's preview and its confirm, an import's undo, an export's records.

import { api, headRow, busy, button, clear, downloadLink, h, money, msgLine, pager, path, uploadFile, withOwnerSuggestions, CLASS_NAMES } from './core.js';
import { categoryTree, departments, flattenCategories } from './org.js';

const POLL_MS = 1000;
/** Exports with more records (or failed ids) than this are not listed on the page: download them. */
const PREVIEW_MAX = 5000;
let pollTimer = null;

/** Stops any polling (the view changed, or nothing runs any more). */
export function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = null;
}

function poll(f) {
  stopPolling();
  pollTimer = setTimeout(f, POLL_MS);
}

const FIELDS = [
  ['id', '资产编号'], ['name', '资产名'], ['assetClass', '资产类型'], ['price', '资产价值'], ['count', '资产数量'],
  ['deadline', '使用期限'], ['assetTree', '所属品类'], ['description', '描述信息'], ['position', '位置信息'],
  ['user', '挂账人'], ['department', '所属部门'], ['parent', '父资产'], ['expire', '已清退'],
];
const OPTIONAL = new Set(['id', 'description', 'position', 'parent', 'expire']);
const NUMERIC = new Set(['id', 'assetClass', 'price', 'count', 'deadline', 'expire']);
/** A file of more rows than this is checked first (仅校验) unless the user unticks it. */
const DRY_RUN_ROWS = 1000;

const EXAMPLE = [
  { name: '办公椅', assetClass: '数量型', price: 350, count: 10, deadline: 5, assetTree: '数量型资产', department: 'CST', user: 'liusn', description: '人体工学椅', position: 'A 座 3 楼' },
  { name: '笔记本电脑 T14', assetClass: '条目型', price: 8999, count: 1, deadline: 3, assetTree: '条目型资产', department: 'CST', user: 'liusn', description: '', position: '' },
];

const fileUrl = (id, format, layout) => `${path('async_task', id, 'file')}?format=${format}${layout ? `&layout=${layout}` : ''}`;

/** A dry run that finished and waits for its confirm. */
const awaitsConfirm = (t) => t.port_type === 1 && t.dry_run && !t.confirmed && t.finish !== 0;

function typeTag(t) {
  if (t.port_type === 2) return h('span', { className: 'tag tag-undo' }, '撤销');
  return [
    t.port_type === 1
      ? h('span', { className: 'tag tag-import' }, '导入')
      : h('span', { className: 'tag tag-export' }, '导出'),
    t.dry_run ? h('span', { className: 'tag tag-dry' }, t.confirmed ? '已确认' : '仅校验') : null,
    t.undone_by ? h('span', { className: 'tag tag-undone' }, '已撤销') : null,
  ];
}

function statusBadge(t) {
  if (t.finish === 0) return h('span', { className: 'badge badge-running', dataset: { finish: 0 } }, '进行中');
  if (awaitsConfirm(t)) return h('span', { className: 'badge badge-pending', dataset: { finish: t.finish } }, '待确认');
  const counts = `${t.number_succeed} 行成功，${t.number_failed ?? 0} 行失败`;
  if (t.finish === 1 && !t.number_need) return h('span', { className: 'badge badge-empty', dataset: { finish: 1 }, title: '没有任何行' }, '无数据');
  if (t.finish === 1) return h('span', { className: 'badge badge-ok', dataset: { finish: 1 } }, '成功');
  if (t.cancelled) return h('span', { className: 'badge badge-empty', dataset: { finish: 2 }, title: counts }, '已取消');
  // Most rows in and a few failed is not a failure: amber, with the counts.
  if (t.number_succeed > 0) return h('span', { className: 'badge badge-partial', dataset: { finish: 2 }, title: counts }, '部分成功');
  return h('span', { className: 'badge badge-fail', dataset: { finish: 2 }, title: counts }, '失败');
}

function progressBar(t) {
  const need = t.number_need || 0;
  const done = t.finish === 0 ? Math.min(t.number_done ?? t.number_succeed, need) : need;
  const pct = need === 0 ? (t.finish === 0 ? 0 : 100) : Math.floor((done / need) * 100);
  const fill = h('div', { className: `progress-fill progress-${t.finish}` });
  fill.style.width = `${pct}%`;
  return h('div', { className: 'progress-cell' },
    h('div', { className: 'progress', attrs: { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(pct) } }, fill),
    h('span', { className: 'progress-text' }, `${pct}%`));
}

function downloads(t) {
  if (t.finish === 0) return [];
  if (t.port_type !== 0) {
    if (!t.number_failed && t.number_succeed === t.number_need) return [];
    return [
      downloadLink('失败行 XLSX', fileUrl(t.id, 'xlsx'), `task-${t.id}-failed.xlsx`),
      downloadLink('CSV', fileUrl(t.id, 'csv'), `task-${t.id}-failed.csv`),
    ];
  }
  // First the file to edit and upload again (资产编号 first, the initial value): rows with
  // 资产编号 update their assets. Then the full records.
  const forImport = downloadLink('编辑后重新导入 XLSX', fileUrl(t.id, 'xlsx', 'import'), `task-${t.id}-for-import.xlsx`);
  forImport.classList.add('download-for-import');
  forImport.title = '只含模板的列和资产编号，资产价值为初始价值；修改后在「导入」页上传即更新这些资产';
  return [
    forImport,
    downloadLink('完整记录 XLSX', fileUrl(t.id, 'xlsx'), `export-${t.id}.xlsx`),
    downloadLink('CSV', fileUrl(t.id, 'csv'), `export-${t.id}.csv`),
  ];
}

/** A 仅校验 checkbox (a dry run: every rule checked, nothing written until confirmed). */
function dryRunBox(id) {
  const box = h('input', { type: 'checkbox', id });
  const label = h('label', { className: 'check', title: '检查每一行（包括新建与更新），不写入；查看预览后再确认导入' }, box, ' 仅校验（确认后再写入）');
  return { box, label };
}

/** Roughly how many data rows a chosen file holds: CSV lines are counted; an XLSX is judged
 * by its size (about 60 bytes a row compressed). */
async function estimatedRows(f) {
  if (/\.csv$/i.test(f.name)) {
    if (f.size > 64 * 1024 * 1024) return Infinity;
    const text = await f.text();
    let lines = 0;
    for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) === 10) lines += 1;
    return Math.max(0, lines - 1);
  }
  return Math.round(f.size / 60);
}

// ---------------------------------------------------------------- import

export function importView(root) {
  const text = h('textarea', { id: 'import-json', rows: 12, spellcheck: false, placeholder: JSON.stringify(EXAMPLE, null, 2) });
  const jsonMsg = msgLine();
  const submit = button('提交导入', () => busy(submit, jsonMsg, async () => {
    let rows;
    try {
      rows = JSON.parse(text.value);
    } catch (e) {
      throw new Error(`JSON 格式错误：${e.message}`);
    }
    if (!Array.isArray(rows)) rows = [rows];
    const answer = await api('POST', `${path('asset')}${jsonDry.box.checked ? '?dry_run=true' : ''}`, rows);
    created(jsonMsg, answer.data.id, rows.length, jsonDry.box.checked);
  }), 'btn-primary', { id: 'import-submit' });
  const jsonDry = dryRunBox('import-json-dry-run');

  const file = h('input', { type: 'file', id: 'import-file', className: 'file-input', accept: '.xlsx,.csv,.xls,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv' });
  const chosen = h('span', { className: 'file-name muted' }, '未选择文件');
  const fileDry = dryRunBox('import-dry-run');
  file.addEventListener('change', async () => {
    const f = file.files[0];
    chosen.textContent = f ? `${f.name}（${Math.max(1, Math.round(f.size / 1024))} KB）` : '未选择文件';
    chosen.classList.toggle('muted', !f);
    // A large file is checked first by default: a wrong upload of thousands of rows is
    // cheaper to see in a preview than to undo.
    if (f) fileDry.box.checked = (await estimatedRows(f)) > DRY_RUN_ROWS;
  });
  const fileMsg = msgLine();
  const progress = h('progress', { id: 'upload-progress', hidden: true, value: 0, max: 1 });
  const progressText = h('span', { id: 'upload-progress-text', className: 'muted small' });
  const upload = button('上传并导入', () => busy(upload, fileMsg, async () => {
    const f = file.files[0];
    if (!f) throw new Error('请先选择一个 CSV 或 XLSX 文件');
    // .csv and .xlsx say their format; anything else (an old .xls, say) goes as it is and the
    // server, which reads the file's first bytes, says what to do with it.
    const format = /\.csv$/i.test(f.name) ? 'csv' : /\.xlsx$/i.test(f.name) ? 'xlsx' : null;
    const q = new URLSearchParams();
    if (format) q.set('format', format);
    if (fileDry.box.checked) q.set('dry_run', 'true');
    const dry = fileDry.box.checked;
    // Bytes sent, as they go; then straight to the new task.
    const shown = (sent, total) => {
      progress.hidden = false;
      progress.max = total;
      progress.value = sent;
      progressText.textContent = sent < total
        ? `已上传 ${(sent / 1048576).toFixed(1)} / ${(total / 1048576).toFixed(1)} MB`
        : '上传完成，服务器正在读取文件…';
    };
    const send = (query) => uploadFile(`${path('asset_file')}?${query}`, f, shown);
    let answer;
    try {
      q.set('check_duplicate', 'true');
      answer = await send(q);
    } catch (e) {
      // The same file (name and content) went in today: ask before importing it twice.
      if (e.code !== 16 || !confirm(`${e.message}。仍要再次导入吗？`)) throw e;
      q.delete('check_duplicate');
      answer = await send(q);
    } finally {
      progress.hidden = true;
      progressText.textContent = '';
    }
    created(fileMsg, answer.data.id, undefined, dry);
    location.hash = `#task/${answer.data.id}`;
  }), 'btn-primary', { id: 'import-upload' });

  // The file is how asset managers import; pasting JSON rows is for the few who script, so it
  // waits under 高级.
  clear(root,
    h('section', { className: 'card' },
      h('h2', { className: 'card-title' }, '上传 Excel / CSV 文件'),
      h('p', { className: 'hint' }, '按模板填写后上传，第一行为表头（中文或英文字段名均可）。'),
      h('div', { className: 'actions' },
        h('span', { className: 'muted' }, '导入模板：'),
        downloadLink('下载模板 XLSX', `${path('asset_template')}?format=xlsx`, 'assetport-template.xlsx'),
        downloadLink('下载模板 CSV', `${path('asset_template')}?format=csv`, 'assetport-template.csv')),
      h('p', { className: 'hint' }, '带「资产编号」的行更新该资产（空白单元格保留原值），不带的行新建资产：导出时选「编辑后重新导入」即得此格式。'),
      h('div', { className: 'file-row' }, h('label', { className: 'btn' }, '选择文件…', file), chosen),
      h('div', { className: 'actions' }, upload, fileDry.label, progress, progressText),
      fileMsg,
      h('h3', { className: 'sub-title' }, '字段说明'),
      h('table', { className: 'table table-compact', id: 'import-fields' },
        h('tbody', {}, [
          ['资产编号 id', '可选：填写则更新该资产，空白单元格保留原值'],
          ['资产名 name', '必填，最长 128 字'],
          ['资产类型 assetClass', '数量型（0）或 条目型（1）；条目型数量只能为 1'],
          ['资产价值 price', '元，不可为负，保留两位小数；可写 1,299.50 或 ¥1,299.50'],
          ['资产数量 count', '必填，至少为 1 的整数'],
          ['使用期限 deadline', '年，0 表示不折旧'],
          ['所属品类 assetTree', '部门分类树中的名称'],
          ['描述信息 description', '可选，最长 4096 字'],
          ['位置信息 position', '可选，最长 256 字'],
          ['挂账人 user / 所属部门 department', '挂账人须属于该部门'],
          ['父资产 parent', '可选：同部门条目型资产的名称或编号'],
        ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))))),
    h('details', { className: 'card advanced', id: 'import-advanced' },
      h('summary', {}, '高级：粘贴 JSON 行'),
      h('p', { className: 'hint' }, '一个 JSON 数组，每个元素是一行资产。校验失败的行会保留在任务里，可在任务详情中修改后重新执行。'),
      text,
      h('div', { className: 'actions' }, submit, button('填入示例', () => { text.value = JSON.stringify(EXAMPLE, null, 2); }, '', { id: 'import-example' }), jsonDry.label),
      jsonMsg));
}

function created(msg, id, rows, dry) {
  const what = dry ? '校验任务（仅校验，不写入）' : '导入任务';
  clear(msg, `已创建${what} #${id}${rows !== undefined ? `（${rows} 行）` : ''}，`, h('a', { href: `#task/${id}`, className: 'task-link' }, dry ? '查看校验结果' : '查看进度'));
  msg.className = 'msg msg-ok';
}

// ---------------------------------------------------------------- task list

/** Tasks a page of the list shows. */
const TASK_PAGE_SIZE = 20;

/** A 取消 button for a task that runs: the task stops at its next batch. */
function cancelButton(t, msg, after) {
  const cancel = button('取消', () => busy(cancel, msg, async () => {
    await api('POST', path('async_task', t.id, 'cancel'), {});
    msg.ok(`任务 #${t.id} 将在当前批次结束后停止，未执行的行记为失败（已取消）。`);
    await after();
  }), 'btn-small btn-danger', { className: 'btn btn-small btn-danger task-cancel', dataset: { id: t.id } });
  return cancel;
}

export function tasksView(root) {
  const body = h('tbody');
  const msg = msgLine();
  const updated = h('span', { className: 'muted small' });
  const state = { page: 1 };
  const type = h('select', { id: 'tasks-type', attrs: { 'aria-label': '类型' } },
    h('option', { value: '' }, '全部类型'), h('option', { value: 'import' }, '导入'), h('option', { value: 'export' }, '导出'),
    h('option', { value: 'undo' }, '撤销'));
  const finish = h('select', { id: 'tasks-finish', attrs: { 'aria-label': '状态' } },
    h('option', { value: '' }, '全部状态'), h('option', { value: '0' }, '进行中'),
    h('option', { value: '1' }, '成功'), h('option', { value: '2' }, '有失败行'));
  const creator = h('input', { id: 'tasks-creator', placeholder: '创建人', attrs: { 'aria-label': '创建人' } });
  const since = h('input', { id: 'tasks-since', type: 'date', attrs: { 'aria-label': '创建日期起' } });
  const refilter = () => { state.page = 1; load(); };
  for (const el of [type, finish, since]) el.addEventListener('change', refilter);
  creator.addEventListener('keydown', (e) => { if (e.key === 'Enter') refilter(); });
  const pagerText = h('span', { id: 'tasks-pager', className: 'muted small' });
  const prev = button('上一页', () => { state.page -= 1; load(); }, 'btn-small', { id: 'tasks-prev' });
  const next = button('下一页', () => { state.page += 1; load(); }, 'btn-small', { id: 'tasks-next' });
  clear(root, h('section', { className: 'card' },
    h('div', { className: 'toolbar' },
      h('h2', { className: 'card-title' }, '异步任务'),
      h('div', { className: 'toolbar-actions' }, updated, button('刷新', () => load(), 'btn-small', { id: 'tasks-refresh' }))),
    h('div', { className: 'filters', id: 'tasks-filters' }, type, finish, creator, since, button('筛选', refilter, 'btn-small', { id: 'tasks-filter' })),
    msg,
    h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'task-table' },
      headRow(['编号', '类型', '创建人', '创建时间', '需处理', '成功', '失败', '状态', '进度', '操作']),
      body)),
    h('div', { className: 'actions pager' }, prev, pagerText, next)));

  /** The visible page only: the list is never fetched whole, however many tasks there are. */
  function query() {
    const q = new URLSearchParams({ page: String(state.page), size: String(TASK_PAGE_SIZE) });
    if (type.value) q.set('type', type.value);
    if (finish.value) q.set('finish', finish.value);
    if (creator.value.trim()) q.set('creator', creator.value.trim());
    if (since.value) q.set('since', since.value);
    return `${path('async_task')}?${q}`;
  }

  const load = () => busy(null, msg, async () => {
    stopPolling();
    let answer;
    try {
      answer = await api('GET', query());
    } catch (e) {
      // The page emptied under us (tasks pruned, a filter changed): back to the first.
      if (e.code === 4 && state.page > 1) { state.page = 1; return load(); }
      throw e;
    }
    if (!root.isConnected) return;
    const tasks = answer.data;
    const pages = Math.max(1, answer.pages || 1);
    pagerText.textContent = `第 ${state.page} / ${pages} 页，共 ${answer.total ?? tasks.length} 个任务`;
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= pages;
    clear(body);
    if (!tasks.length) body.append(h('tr', {}, h('td', { className: 'empty', colSpan: 10 }, '没有任务。在「导入」页提交资产，或在「资产」页导出。')));
    for (const t of tasks) {
      const failed = t.number_failed ?? (t.finish === 0 ? 0 : t.number_need - t.number_succeed);
      const open = awaitsConfirm(t)
        ? h('a', { className: 'btn btn-small btn-primary', href: `#task/${t.id}` }, '查看并确认')
        : t.port_type === 1 && failed > 0 && t.finish !== 0
          ? h('a', { className: 'btn btn-small btn-primary', href: `#task/${t.id}` }, '处理失败行')
          : h('a', { className: 'btn btn-small', href: `#task/${t.id}` }, '详情');
      const who = t.file_name ? [t.manager, h('div', { className: 'muted small' }, t.file_name)] : t.manager;
      body.append(h('tr', { dataset: { id: t.id, finish: t.finish } },
        h('td', { className: 'num' }, `#${t.id}`),
        h('td', {}, typeTag(t)),
        h('td', {}, who),
        h('td', { className: 'muted' }, t.create_time),
        h('td', { className: 'num' }, t.number_need),
        h('td', { className: 'num' }, t.number_succeed),
        h('td', { className: failed ? 'num text-fail' : 'num' }, failed),
        h('td', {}, statusBadge(t)),
        h('td', {}, progressBar(t)),
        h('td', { className: 'row-actions' }, open, t.finish === 0 ? cancelButton(t, msg, load) : null, t.pruned ? h('span', { className: 'muted small' }, '数据已清除') : downloads(t))));
    }
    updated.textContent = `更新于 ${new Date().toLocaleTimeString('zh-CN')}`;
    // Poll the visible page only while something on it runs.
    if (tasks.some((t) => t.finish === 0)) poll(load);
  });
  load();
}

// ---------------------------------------------------------------- one task

export function taskView(root, idText) {
  const id = Number(idText);
  const head = h('section', { className: 'card task-head' });
  const content = h('div');
  const msg = msgLine();
  clear(root, h('div', { className: 'crumbs' }, h('a', { href: '#tasks' }, '任务'), ' / ', `任务 #${id}`), head, msg, content);

  const renderHead = (t) => clear(head,
    h('div', { className: 'task-title' },
      h('h2', { className: 'card-title' }, `任务 #${t.id}`), typeTag(t), statusBadge(t)),
    h('div', { className: 'task-meta' },
      h('span', {}, `创建人：${t.manager}`), h('span', {}, `创建时间：${t.create_time}`),
      t.file_name ? h('span', {}, `文件：${t.file_name}`) : null,
      h('span', {}, `需处理 ${t.number_need} 行`), h('span', {}, `成功 ${t.number_succeed} 行`),
      t.finish !== 0 ? h('span', {}, `失败 ${t.number_failed} 行`) : null),
    t.port_type === 1 && t.finish !== 0 ? h('div', { className: 'task-meta', id: 'task-outcomes' },
      h('span', {}, `${awaitsConfirm(t) ? '将新建' : '新建'} ${t.number_created}`),
      h('span', {}, `${awaitsConfirm(t) ? '将更新' : '更新'} ${t.number_updated}`),
      h('span', {}, `无变化 ${t.number_unchanged}`)) : null,
    t.undo_of ? h('p', { className: 'hint' }, '撤销导入任务 ', h('a', { href: `#task/${t.undo_of}` }, `#${t.undo_of}`), '：删除它新建的资产，恢复它更新过的资产；此后又被改动的资产保持不变并列为失败。') : null,
    t.undone_by ? h('p', { className: 'hint', id: 'undone-note' }, '此任务已被撤销：', h('a', { href: `#task/${t.undone_by}` }, `撤销任务 #${t.undone_by}`)) : null,
    progressBar(t),
    h('div', { className: 'actions' }, downloads(t), undoButton(t)));

  /** 撤销此任务: for a finished import that wrote something and was not undone yet. */
  function undoButton(t) {
    const wrote = t.number_created + t.number_updated;
    if (t.port_type !== 1 || t.finish === 0 || t.undone_by || awaitsConfirm(t) || t.pruned || !wrote) return null;
    const undo = button('撤销此任务', () => busy(undo, msg, async () => {
      const ask = `撤销任务 #${t.id}：删除它新建的 ${t.number_created} 项资产，并把它更新过的 ${t.number_updated} 项资产恢复为导入前的值。`
        + '此后又被修改、清退或新增了子资产的资产不会改动。确定撤销吗？';
      if (!confirm(ask)) return;
      const answer = await api('POST', path('async_task', t.id, 'undo'), {});
      location.hash = `#task/${answer.data.id}`;
    }), 'btn-danger', { id: 'undo-task' });
    return undo;
  }

  /** A finished dry run: what it would do, the first changes, and 确认导入. */
  function renderDryRun(t) {
    const confirmMsg = msgLine();
    const go = button(`确认导入（写入 ${t.number_created + t.number_updated} 行）`, () => busy(go, confirmMsg, async () => {
      await api('POST', path('async_task', t.id, 'confirm'), {});
      await load();
    }), 'btn-primary', { id: 'confirm-import' });
    const preview = t.preview || [];
    const change = (p) => (p.action === 'create' ? p.name
      : Object.entries(p.changes || {}).map(([field, c]) => `${field}：${show(c.old)} → ${show(c.new)}`).join('；'));
    return h('section', { className: 'card', id: 'dry-run' },
      h('div', { className: 'toolbar' },
        h('h2', { className: 'card-title' }, '校验结果（尚未写入）'),
        h('div', { className: 'toolbar-actions' }, go)),
      h('p', { id: 'dry-summary' },
        `将新建 ${t.number_created} 行，将更新 ${t.number_updated} 行，无变化 ${t.number_unchanged} 行，将失败 ${t.number_failed} 行。`,
        t.number_failed ? ' 失败的行不会导入：修正文件后重新上传校验，或确认只导入其余的行。' : ''),
      confirmMsg,
      preview.length ? h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'dry-preview' },
        headRow(['行', '操作', '资产', '变更']),
        h('tbody', {}, preview.map((p) => h('tr', { dataset: { action: p.action } },
          h('td', { className: 'num muted' }, p.line),
          h('td', {}, p.action === 'create' ? '新建' : '更新'),
          h('td', {}, p.action === 'create' ? '（新）' : `#${p.id}`),
          h('td', { className: 'preview-change' }, change(p))))))) : null,
      preview.length && preview.length < t.number_created + t.number_updated
        ? h('p', { className: 'hint' }, `仅列出前 ${preview.length} 项变更。`) : null);
  }

  const load = () => busy(null, msg, async () => {
    stopPolling();
    const t = (await api('GET', path('async_task', id))).data;
    if (!root.isConnected) return;
    renderHead(t);
    if (t.finish === 0) {
      clear(content, h('p', { className: 'card muted running-note' }, '任务执行中，完成后自动显示结果…',
        t.cancelled || t.port_type === 2 ? (t.cancelled ? ' （已请求取消）' : '') : cancelButton(t, msg, load)));
      poll(load);
      return;
    }
    if (t.pruned) {
      clear(content, h('section', { className: 'card muted' }, '该任务的行、记录与失败行已按保留期限清除，计数保留。'));
      return;
    }
    if (awaitsConfirm(t)) clear(content, renderDryRun(t), await renderFailed(t, false));
    else if (t.port_type === 0) await renderExport(t);
    else clear(content, await renderFailed(t, t.port_type === 1 && !t.undone_by));
  });

  /** The failed rows: editable and re-runnable for an import, read-only for a dry run (fixed
   * in the file) and for an undo (the assets it left as they were). */
  async function renderFailed(t, editable) {
    if (editable && t.number_failed > 0) return failedEditor(t, false);
    // A dry run's rows to fix in the file: the same pages and summary, nothing to edit here.
    if (t.port_type === 1 && t.number_failed > 0) return failedEditor(t, true);
    // Read-only lists (a dry run's, an undo's) of more than PREVIEW_MAX rows are read from the file.
    if (t.number_failed > PREVIEW_MAX) {
      return h('section', { className: 'card', id: 'failed-too-many' },
        h('h2', { className: 'card-title' }, `失败的行（${t.number_failed}）`),
        h('p', { className: 'hint' }, '失败的行较多，请下载失败行文件查看。'),
        h('div', { className: 'actions' }, downloads(t)));
    }
    const rows = t.number_failed ? (await api('GET', path('failed_task', id))).data : [];
    if (!rows.length) {
      if (awaitsConfirm(t)) return null;
      const done = t.port_type === 2 ? `全部 ${t.number_need} 项已撤销。` : ` 全部 ${t.number_need} 行已导入。`;
      const result = lastRerun && lastRerun.id === t.id ? ` 重新执行：${t.number_succeed - lastRerun.succeeded} 行成功，0 行仍失败。` : '';
      return h('section', { className: 'card done-note' }, h('span', { className: 'badge badge-ok' }, '成功'), ` ${done}${result}`);
    }
    const undo = t.port_type === 2;
    return h('section', { className: 'card' },
      h('h2', { className: 'card-title' }, undo ? `未撤销的资产（${rows.length}）` : `将失败的行（${rows.length}）`),
      h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'failed-list' },
        headRow(undo ? ['资产编号', '资产名', '原因'] : ['#', '资产编号', '资产名', '原因']),
        h('tbody', {}, rows.map((r, i) => h('tr', {},
          undo ? null : h('td', { className: 'num muted' }, i + 1),
          h('td', { className: 'num' }, r.id ?? ''), h('td', {}, show(r.name)),
          h('td', { className: 'row-message' }, r.message)))))));
  }

  /**
   * An import's failed rows, however many: a summary by reason (click one to see only those),
   * a page of 100 rows to edit in place (the cell a message points at is marked; class,
   * department and category are chosen from lists), 全部替换 of a value across every failed row
   * on the server, rows dropped, and a re-run of them all as they stand.
   */
  async function failedEditor(t, readOnly) {
    const state = { page: 1, reason: '' };
    const editMsg = msgLine();
    const summaryBox = h('div', { className: 'chips', id: 'failed-summary' });
    const tableBox = h('div');
    const pagerBox = h('div');
    const result = lastRerun && lastRerun.id === t.id
      ? h('p', { className: 'msg msg-ok', id: 'rerun-result' },
        `重新执行完成：${t.number_succeed - lastRerun.succeeded} 行成功，${t.number_failed} 行仍失败。`)
      : null;
    const labels = Object.fromEntries(FIELDS);
    const departmentNames = (await departments().catch(() => [])).map((d) => d.name);
    let inputs = [];
    let seqs = [];
    let picks = [];

    // 全部替换: one column's value, in every failed row of the task.
    const field = h('select', { id: 'replace-field', attrs: { 'aria-label': '列' } },
      FIELDS.filter(([k]) => k !== 'expire').map(([k, label]) => h('option', { value: k }, label)));
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

    const rerun = button(`重新执行全部 ${t.number_failed} 行`, () => busy(rerun, editMsg, async () => {
      await saveEdits();
      lastRerun = { id: t.id, succeeded: t.number_succeed };
      await api('POST', path('failed_task', id, 'rerun'), {});
      editMsg.ok('已提交，正在重新执行…');
      await load();
    }), 'btn-primary', { id: 'rerun' });

    /** Writes the edited rows of this page back to the server (before a page turn, a replace
     * or a re-run). */
    async function saveEdits() {
      for (const [i, cells] of inputs.entries()) {
        const els = Object.values(cells);
        if (!els.some((el) => el.classList.contains('edited'))) continue;
        const row = {};
        for (const [k, el] of Object.entries(cells)) {
          const v = cellValue(k, el);
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
      // Every field a row needs, then the optional ones and any others only when a row has them.
      const keys = FIELDS.map(([k]) => k).filter((k) => !OPTIONAL.has(k) || rows.some((r) => k in r));
      for (const r of rows) for (const k of Object.keys(r)) if (!['message', 'seq', 'line'].includes(k) && !keys.includes(k)) keys.push(k);
      const categoryLists = await categoryDatalists(rows);
      inputs = rows.map((r) => Object.fromEntries(keys.map((k) => [k, cellInput(k, r[k], labels, departmentNames, categoryLists, r.department)])));
      if (readOnly) for (const cells of inputs) for (const el of Object.values(cells)) el.disabled = true;
      picks = rows.map(() => h('input', { type: 'checkbox', className: 'drop-pick', attrs: { 'aria-label': '选择此行' } }));
      rows.forEach((r, i) => { for (const k of badFields(r.message)) inputs[i][k]?.classList.add('cell-bad'); });
      clear(tableBox, Object.values(categoryLists),
        h('div', { className: 'table-wrap' }, h('table', { className: 'table table-edit', id: 'failed-table' },
          h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, '行'), h('th', { className: 'col-message' }, '失败原因'), keys.map((k) => h('th', {}, labels[k] || k)))),
          h('tbody', {}, rows.map((r, i) => h('tr', { dataset: { row: i, seq: r.seq } },
            h('td', {}, readOnly ? null : picks[i]),
            h('td', { className: 'num muted' }, r.line ?? r.seq + 1),
            h('td', { className: 'col-message row-message' }, r.message),
            keys.map((k) => h('td', {}, inputs[i][k]))))))));
      clear(pagerBox, pager(state.page, answer.pages, answer.total, async (p) => {
        await saveEdits();
        state.page = p;
        await showPage();
      }));
    }

    const section = readOnly
      ? h('section', { className: 'card', id: 'failed-editor' },
        h('div', { className: 'toolbar' },
          h('h2', { className: 'card-title' }, `将失败的行（${t.number_failed}）`),
          h('span', { className: 'hint' }, '请在文件中修正这些行后重新上传校验')),
        editMsg, summaryBox, tableBox, pagerBox)
      : h('section', { className: 'card', id: 'failed-editor' },
        h('div', { className: 'toolbar' },
          h('h2', { className: 'card-title' }, `失败的行（${t.number_failed}）`),
          h('div', { className: 'toolbar-actions' }, h('span', { className: 'hint' }, '修改单元格后重新执行'), drop, rerun)),
        result, editMsg, summaryBox,
        h('div', { className: 'replace-bar', id: 'replace-bar' }, h('span', { className: 'muted' }, '全部替换：'), field, from, h('span', {}, '→'), to, replaceGo),
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

  async function renderExport(t) {
    const sections = [];
    if (t.number_failed > 0) sections.push(await exportFailures(t));
    // A small export is previewed here; a large one is read from the downloaded file (fetching a
    // million records would stall the browser).
    if (t.number_succeed > PREVIEW_MAX) {
      sections.push(h('section', { className: 'card' },
        h('h2', { className: 'card-title' }, `导出记录（${t.number_succeed}）`),
        h('p', { className: 'hint' }, `记录较多，请用上方的链接下载 XLSX 或 CSV 文件查看。`)));
    } else {
      const records = (await api('GET', path('export_task', id))).data;
      const shown = records.slice(0, 200);
      sections.push(h('section', { className: 'card' },
        h('div', { className: 'toolbar' }, h('h2', { className: 'card-title' }, `导出记录（${records.length}）`)),
        records.length > shown.length ? h('p', { className: 'hint' }, `仅显示前 ${shown.length} 条，完整内容请下载文件。`) : null,
        h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'export-table' },
          headRow(['编号', '名称', '类型', '数量', '挂账人', '价值', '分类', '部门', '已清退']),
          h('tbody', {}, shown.length ? null : h('tr', {}, h('td', { className: 'empty', colSpan: 9 }, '没有成功导出的资产。')),
            shown.map((a) => h('tr', {},
            h('td', { className: 'num' }, a.id), h('td', {}, a.name), h('td', {}, CLASS_NAMES[a.assetClass] || ''),
            h('td', { className: 'num' }, a.count), h('td', {}, a.userName), h('td', { className: 'num' }, money(a.price)),
            h('td', {}, a.assetTree), h('td', {}, a.departmentName), h('td', {}, a.expire ? '是' : '否'))))))));
    }
    clear(content, ...sections);
  }

  /** The ids an export could not take, each as submitted, with the reason. */
  async function exportFailures(t) {
    const title = h('h2', { className: 'card-title' }, `未能导出的编号（${t.number_failed}）`);
    if (t.number_failed > PREVIEW_MAX) {
      return h('section', { className: 'card' }, title, h('p', { className: 'hint' }, '未能导出的编号过多，无法在此列出。'));
    }
    const failed = (await api('GET', path('export_task', id, 'failed'))).data;
    return h('section', { className: 'card' },
      h('div', { className: 'toolbar' }, title),
      h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'export-failed-table' },
        headRow(['#', '提交的编号', '原因']),
        h('tbody', {}, failed.map((f, i) => h('tr', {},
          h('td', { className: 'num muted' }, i + 1),
          h('td', {}, typeof f.value === 'string' ? f.value : JSON.stringify(f.value)),
          h('td', { className: 'row-message' }, f.message)))))));
  }

  load();
}

/** Rows a page of the failed-rows editor holds. */
const FAILED_PAGE = 100;

/** The last re-run started from this page: its task and how many rows had succeeded before,
 * for the result line once it ends. */
let lastRerun = null;

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

/** A value as a cell shows it. */
function show(v) {
  if (v === undefined || v === null || v === '') return '（空）';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The value to send for an edited cell: unchanged cells keep what was submitted. */
function cellValue(key, el) {
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
  if (NUMERIC.has(key) && /^-?\d+(\.\d+)?$/.test(t) && typeof original !== 'string') return Number(t);
  return text;
}
