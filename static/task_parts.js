// What the task screens share: polling while a task runs, a task's type tag, status badge and
// progress bar, its result downloads and the 取消 button. What may be done with a task is the
// server's to say: each task lists its `actions`, and a button shows only when they name it.

import { api, busy, button, downloadLink, h, LABEL_LAYOUTS, path } from './core.js';

const POLL_MS = 1000;
/** Exports with more records (or failed ids) than this are not listed on the page: download them. */
export const PREVIEW_MAX = 5000;
let pollTimer = null;

/** Stops any polling (the view changed, or nothing runs any more). */
export function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = null;
}

export function poll(f) {
  stopPolling();
  pollTimer = setTimeout(f, POLL_MS);
}

export const fileUrl = (id, format, layout) => `${path('async_task', id, 'file')}?format=${format}${layout ? `&layout=${layout}` : ''}`;

/** Whether the server lists `action` (confirm, undo, cancel, rerun, edit_failed, delete_data,
 * download) among what may be done with task `t` now. */
export const can = (t, action) => Array.isArray(t.actions) && t.actions.includes(action);

/** A dry run not confirmed (yet): nothing it checked was written. */
export const unconfirmed = (t) => t.dry_run && !t.confirmed;

export function typeTag(t) {
  if (t.kind === 'undo') return h('span', { className: 'tag tag-undo' }, '撤销');
  if (t.kind === 'approval') return h('span', { className: 'tag tag-approval' }, '审批执行');
  if (t.kind === 'request_undo') return h('span', { className: 'tag tag-undo' }, '撤销申请');
  if (t.kind === 'count') return h('span', { className: 'tag tag-approval' }, '盘点表');
  if (t.kind === 'label') return h('span', { className: 'tag tag-label' }, '标签');
  if (t.kind === 'freeze') return h('span', { className: 'tag tag-approval' }, '盘点清单');
  // A kind this page does not know yet shows as the server names it, never as another kind.
  const [className, text] = { import: ['tag-import', '导入'], export: ['tag-export', '导出'] }[t.kind] ?? ['', t.kind];
  return [
    h('span', { className: `tag ${className}`.trim() }, text),
    t.dry_run ? h('span', { className: 'tag tag-dry' }, t.confirmed ? '已确认' : '仅校验') : null,
    t.undone_by ? h('span', { className: 'tag tag-undone' }, '已撤销') : null,
    t.as_of ? h('span', { className: 'tag tag-as-of', title: `${t.as_of} 结束时的登记表` }, `截至 ${t.as_of}`) : null,
  ];
}

export function statusBadge(t) {
  if (t.finish === 0 && t.cancelled) return h('span', { className: 'badge badge-running', dataset: { finish: 0 }, title: '当前批次结束后停止，未执行的行不会导入' }, '正在取消');
  if (t.finish === 0) return h('span', { className: 'badge badge-running', dataset: { finish: 0 } }, '进行中');
  if (t.removed === 'discarded') return h('span', { className: 'badge badge-empty', dataset: { finish: t.finish }, title: '未写入任何数据' }, '已放弃');
  if (can(t, 'confirm')) return h('span', { className: 'badge badge-pending', dataset: { finish: t.finish } }, '待确认');
  const counts = `${t.number_succeed} 行成功，${t.number_failed ?? 0} 行失败`;
  if (t.finish === 1 && !t.number_need) return h('span', { className: 'badge badge-empty', dataset: { finish: 1 }, title: '没有任何行' }, '无数据');
  if (t.finish === 1) return h('span', { className: 'badge badge-ok', dataset: { finish: 1 } }, '成功');
  if (t.cancelled) return h('span', { className: 'badge badge-empty', dataset: { finish: 2 }, title: counts }, '已取消');
  // Most rows in and a few failed is not a failure: amber, with the counts.
  if (t.number_succeed > 0) return h('span', { className: 'badge badge-partial', dataset: { finish: 2 }, title: counts }, '部分成功');
  return h('span', { className: 'badge badge-fail', dataset: { finish: 2 }, title: counts }, '失败');
}

export function progressBar(t) {
  const need = t.number_need || 0;
  const done = t.finish === 0 ? Math.min(t.number_done ?? t.number_succeed, need) : need;
  const pct = need === 0 ? (t.finish === 0 ? 0 : 100) : Math.floor((done / need) * 100);
  const fill = h('div', { className: `progress-fill progress-${t.finish}` });
  fill.style.width = `${pct}%`;
  return h('div', { className: 'progress-cell' },
    h('div', { className: 'progress', attrs: { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(pct) } }, fill),
    h('span', { className: 'progress-text' }, `${pct}%`));
}

/** A label task's layout and start place, in the words of the 打印标签 dialog. */
export function labelsText(t) {
  const layout = LABEL_LAYOUTS.find((l) => l.name === t.labels?.layout);
  if (!layout) return `标签规格：${t.labels?.layout ?? '未知'}`;
  if (layout.perPage === 1) return `标签规格：${layout.text}`;
  const offset = t.labels.offset || 0;
  const from = offset ? `，从第一张的第 ${offset + 1} 枚开始（前 ${offset} 枚已用掉）` : '，从第一张的第 1 枚开始';
  return `标签规格：${layout.text}${from}`;
}

/** The links to a task's results: an import's or an undo's failed rows, an export's records, a
 * label task's PDF (its records are for printing, not for a spreadsheet; none when every asset
 * failed: the server has no label to draw). */
export function downloads(t) {
  if (!can(t, 'download')) return [];
  if (t.kind === 'label') {
    if (!t.number_succeed) return [];
    const pdf = downloadLink('下载标签PDF', path('label_task', t.id, 'file'), `task-${t.id}-labels.pdf`);
    pdf.classList.add('btn-primary', 'labels-pdf');
    pdf.title = '打印时请选「实际大小」（100%），不要「适合页面」，标签才与标签纸对齐';
    return [pdf];
  }
  if (t.kind !== 'export') {
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

/** What a cancel of `t` will do, as its confirmation asks. */
export function cancelQuestion(t) {
  const kept = t.kind === 'import' && !(t.dry_run && !t.confirmed)
    ? '已写入的资产会保留，之后可用「撤销此任务」取回；' : '';
  return `取消任务 #${t.id}？当前批次结束后停止：${kept}尚未执行的行不会执行。确定取消吗？`;
}

/** A 取消 button for a task that runs (none when it may not be cancelled): asks first, then
 * the task stops at its next batch. The status badge then says 正在取消, whatever reloads. */
export function cancelButton(t, msg, after) {
  if (!can(t, 'cancel')) return null;
  const cancel = button('取消', () => busy(cancel, msg, async () => {
    if (!confirm(cancelQuestion(t))) return;
    await api('POST', path('async_task', t.id, 'cancel'), {});
    await after();
    msg.ok(`任务 #${t.id} 将在当前批次结束后停止，尚未执行的行不会执行。`);
  }), 'btn-small btn-danger', { className: 'btn btn-small btn-danger task-cancel', dataset: { id: t.id } });
  return cancel;
}

/** A value as a cell shows it. */
export function show(v) {
  if (v === undefined || v === null || v === '') return '（空）';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
