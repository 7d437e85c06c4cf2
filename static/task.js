// One task: its head (counts, tags, downloads, 撤销此任务), a dry run's preview and its
// confirm, an import's failed rows (failed_rows.js), an undo's assets left alone, an export's
// records and the ids it could not take, and a label task's layout, PDF and failed ids.

import { api, busy, button, clear, columns, h, headRow, money, msgLine, path, readable, CLASS_NAMES } from './core.js';
import {
  can, cancelButton, downloads, labelsText, poll, progressBar, show, statusBadge, stopPolling, typeTag, unconfirmed, PREVIEW_MAX,
} from './task_parts.js';
import { failedEditor, rerunSucceeded } from './failed_rows.js';

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
      h('span', {}, `需处理 ${t.number_need} 行`), ...counts(t)),
    t.kind === 'import' && t.finish !== 0 ? h('div', { className: 'task-meta', id: 'task-outcomes' },
      h('span', {}, `${unconfirmed(t) ? '将新建' : '新建'} ${t.number_created}`),
      h('span', {}, `${unconfirmed(t) ? '将更新' : '更新'} ${t.number_updated}`),
      h('span', {}, `无变化 ${t.number_unchanged}`)) : null,
    unreadColumnsNote(t),
    t.request ? h('p', { className: 'hint', id: 'task-request' }, t.kind === 'approval' ? '执行已通过的' : '撤销', h('a', { href: `#requests/${t.request}` }, `申请 #${t.request}`),
      t.kind === 'approval' ? '的各项：每批在一个事务中执行；取消后未执行的项记为「已取消」，已执行的可在申请中撤销。' : '已执行的各项：此后又被改动的资产保持不变并列为未撤销。') : null,
    t.stocktake ? h('p', { className: 'hint', id: 'task-stocktake' }, ...stocktakeHint(t)) : null,
    t.undo_of ? h('p', { className: 'hint' }, '撤销导入任务 ', h('a', { href: `#task/${t.undo_of}` }, `#${t.undo_of}`), '：删除它新建的资产，恢复它更新过的资产；此后又被改动的资产保持不变并列为失败。') : null,
    t.labels ? h('p', { className: 'hint', id: 'task-labels' }, labelsText(t)) : null,
    t.as_of ? h('p', { className: 'hint', id: 'as-of-note' }, `截至 ${t.as_of}：导出该日结束时的登记表，其后新建的资产不在其中，其后的修改与清退已还原。`) : null,
    t.undone_by ? h('p', { className: 'hint', id: 'undone-note' }, '此任务已被撤销：', h('a', { href: `#task/${t.undone_by}` }, `撤销任务 #${t.undone_by}`)) : null,
    cancelledNote(t),
    t.removed === 'discarded' ? h('p', { className: 'hint', id: 'discarded-note' }, '此校验任务已放弃：未写入任何数据，它的行已删除。如需导入，请重新上传文件。') : null,
    progressBar(t),
    h('div', { className: 'actions' }, undoButton(t), downloads(t), deleteDataButton(t)));

  /** The head's counts in the words of the task's phase: what a dry run would do, what a real
   * run did. The failed count links to the rows. */
  function counts(t) {
    if (t.finish === 0) return [h('span', {}, `已完成 ${t.number_succeed} 行`)];
    const dry = unconfirmed(t);
    const failedText = dry ? `将失败 ${t.number_failed} 行` : t.cancelled ? `未导入 ${t.number_failed} 行` : `失败 ${t.number_failed} 行`;
    const failed = t.number_failed > 0 && !t.pruned
      ? h('a', { href: `#task/${t.id}`, id: 'failed-link', onclick: (e) => {
        e.preventDefault();
        document.getElementById('failed-editor')?.scrollIntoView({ block: 'start' });
        document.getElementById('failed-too-many')?.scrollIntoView({ block: 'start' });
        document.getElementById('failed-list')?.scrollIntoView({ block: 'start' });
      } }, failedText)
      : h('span', {}, failedText);
    return [h('span', { id: 'succeed-count' }, dry ? `将成功 ${t.number_succeed} 行（尚未写入）` : `成功 ${t.number_succeed} 行`), failed];
  }

  /** A cancelled import: what it did before it stopped, and how to take that back. */
  function cancelledNote(t) {
    if (!t.cancelled || t.finish === 0 || t.kind !== 'import' || unconfirmed(t)) return null;
    const done = `此任务已取消：取消前已新建 ${t.number_created} 项资产、更新 ${t.number_updated} 项；其余 ${t.number_failed} 行未导入（包括因取消而未执行的行）。`;
    const next = can(t, 'undo') ? '如需取回已写入的资产，请点「撤销此任务」。'
      : t.undone_by ? '' : '已写入的资产不能再撤销。';
    return h('p', { className: 'hint', id: 'cancelled-note' }, done + next);
  }

  /** 撤销此任务, when the server lists it: a finished import that wrote something. */
  function undoButton(t) {
    if (!can(t, 'undo')) return null;
    const undo = button('撤销此任务', () => busy(undo, msg, async () => {
      const ask = `撤销任务 #${t.id}：删除它新建的 ${t.number_created} 项资产，并把它更新过的 ${t.number_updated} 项资产恢复为导入前的值。`
        + '此后又被修改、清退或新增了子资产的资产不会改动。确定撤销吗？';
      if (!confirm(ask)) return;
      const answer = await api('POST', path('async_task', t.id, 'undo'), {});
      location.hash = `#task/${answer.data.id}`;
    }), t.cancelled ? 'btn-primary' : 'btn-danger', { id: 'undo-task' });
    return undo;
  }

  /** 删除任务数据, when the server lists it: the task's rows, records and failed rows are
   * deleted now, as retention would; its counts stay. Warns when an undo becomes impossible. */
  function deleteDataButton(t) {
    if (!can(t, 'delete_data')) return null;
    const remove = button('删除任务数据', () => busy(remove, msg, async () => {
      const what = { export: '导出记录', label: '标签记录' }[t.kind] || '行与失败行';
      const undoLost = can(t, 'undo')
        ? `注意：删除后此导入将无法撤销，它新建的 ${t.number_created} 项资产与更新将永久保留。` : '';
      const ask = `删除任务 #${t.id} 的${what}？计数保留，此后不能再下载或处理这些行。${undoLost}确定删除吗？`;
      if (!confirm(ask)) return;
      await api('DELETE', path('async_task', t.id));
      await load();
    }), 'btn-danger', { id: 'delete-task-data' });
    return remove;
  }

  /** A finished dry run: what it would do, the first changes, and 确认导入 when it may be
   * confirmed. */
  function renderDryRun(t) {
    const confirmMsg = msgLine();
    const go = !can(t, 'confirm') ? null : button(`确认导入（写入 ${t.number_created + t.number_updated} 行）`, () => busy(go, confirmMsg, async () => {
      await api('POST', path('async_task', t.id, 'confirm'), {});
      await load();
    }), 'btn-primary', { id: 'confirm-import' });
    const discard = !can(t, 'discard') ? null : button('放弃', () => busy(discard, confirmMsg, async () => {
      if (!confirm(`放弃校验任务 #${t.id}？不会写入任何数据，它的行将被删除，之后不能再确认。`)) return;
      await api('POST', path('async_task', t.id, 'discard'), {});
      await load();
    }), '', { id: 'discard-dry-run' });
    const preview = t.preview || [];
    const change = (p) => (p.action === 'create' ? p.name
      : Object.entries(p.changes || {}).map(([field, c]) => `${field}：${show(c.old)} → ${show(c.new)}`).join('；'));
    return h('section', { className: 'card', id: 'dry-run' },
      h('div', { className: 'toolbar' },
        h('h2', { className: 'card-title' }, '校验结果（尚未写入）'),
        h('div', { className: 'toolbar-actions' }, go, discard)),
      h('p', { id: 'dry-summary' },
        `将新建 ${t.number_created} 行，将更新 ${t.number_updated} 行，无变化 ${t.number_unchanged} 行，将失败 ${t.number_failed} 行。`,
        t.number_failed ? ' 失败的行不会导入：修正文件后重新上传校验，或确认只导入其余的行。' : '',
        t.number_failed ? h('a', { href: `#task/${t.id}`, id: 'dry-failed-link', onclick: (e) => {
          e.preventDefault();
          document.getElementById('failed-editor')?.scrollIntoView({ block: 'start' });
        } }, ` 查看将失败的 ${t.number_failed} 行`) : null),
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
        cancelButton(t, msg, load) ?? (t.cancelled ? ' （已请求取消）' : '')));
      poll(load);
      return;
    }
    if (t.pruned) {
      const why = { discarded: '此校验任务已放弃，它的行已删除', deleted: '该任务的数据已被删除', retention: '该任务的数据已按保留期限清除' }[t.removed] || '该任务的数据已清除';
      clear(content, h('section', { className: 'card muted', id: 'pruned-note' }, `${why}，计数保留。`));
      return;
    }
    if (unconfirmed(t)) clear(content, renderDryRun(t), await renderFailed(t));
    else if (t.kind === 'export') await renderExport(t);
    else if (t.kind === 'label') await renderLabels(t);
    else clear(content, await renderFailed(t));
  });

  /** The failed rows: editable and re-runnable when the server lists it (an import's),
   * read-only for a dry run (fixed in the file), an undone import, and an undo (the assets it
   * left as they were). */
  async function renderFailed(t) {
    // An import's rows, to edit or to fix in the file: the same pages and summary.
    if (t.kind === 'import' && t.number_failed > 0) return failedEditor(t, load);
    // Read-only lists (a dry run's, an undo's) of more than PREVIEW_MAX rows are read from the file.
    if (t.number_failed > PREVIEW_MAX) {
      return h('section', { className: 'card', id: 'failed-too-many' },
        h('h2', { className: 'card-title' }, `失败的行（${t.number_failed}）`),
        h('p', { className: 'hint' }, '失败的行较多，请下载失败行文件查看。'),
        h('div', { className: 'actions' }, downloads(t)));
    }
    const rows = t.number_failed ? (await api('GET', path('failed_task', id))).data : [];
    if (!rows.length) {
      if (unconfirmed(t)) return null;
      const done = { undo: `全部 ${t.number_need} 项已撤销。`, request_undo: `全部 ${t.number_need} 项已撤销。`,
        approval: `全部 ${t.number_need} 项已执行。`, count: `全部 ${t.number_need} 行已盘点。`,
        freeze: `全部 ${t.number_need} 项资产已列入盘点。` }[t.kind] || ` 全部 ${t.number_need} 行已导入。`;
      const succeeded = rerunSucceeded(t);
      const result = succeeded !== null ? ` 重新执行：${succeeded} 行成功，0 行仍失败。` : '';
      return h('section', { className: 'card done-note' }, h('span', { className: 'badge badge-ok' }, '成功'), ` ${done}${result}`);
    }
    const undo = t.kind === 'undo' || t.kind === 'request_undo';
    const title = undo ? `未撤销的资产（${rows.length}）` : t.kind === 'approval' ? `未执行的项（${rows.length}）`
      : t.kind === 'count' ? `未计入的行（${rows.length}）`
      : t.kind === 'freeze' ? `未列入盘点的资产（${rows.length}）`
      : unconfirmed(t) ? `将失败的行（${rows.length}）` : `失败的行（${rows.length}）`;
    return h('section', { className: 'card' },
      h('h2', { className: 'card-title' }, title),
      h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'failed-list' },
        headRow(undo ? ['资产编号', '资产名', '原因'] : ['#', '资产编号', '资产名', '原因']),
        h('tbody', {}, rows.map((r, i) => h('tr', {},
          undo ? null : h('td', { className: 'num muted' }, i + 1),
          h('td', { className: 'num' }, r.id ?? ''), h('td', {}, show(r.name)),
          h('td', { className: 'row-message' }, readable(r.message))))))));
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
      // Headed as the export file heads them (by the asset view's keys).
      const all = await columns();
      const header = (view) => all.find((c) => c.view === view).header;
      sections.push(h('section', { className: 'card' },
        h('div', { className: 'toolbar' }, h('h2', { className: 'card-title' }, `导出记录（${records.length}）`)),
        records.length > shown.length ? h('p', { className: 'hint' }, `仅显示前 ${shown.length} 条，完整内容请下载文件。`) : null,
        h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'export-table' },
          headRow(['id', 'name', 'assetClass', 'count', 'userName', 'price', 'assetTree', 'departmentName', 'expire'].map(header)),
          h('tbody', {}, shown.length ? null : h('tr', {}, h('td', { className: 'empty', colSpan: 9 }, '没有成功导出的资产。')),
            shown.map((a) => h('tr', {},
            h('td', { className: 'num' }, a.id), h('td', {}, a.name), h('td', {}, CLASS_NAMES[a.assetClass] || ''),
            h('td', { className: 'num' }, a.count), h('td', {}, a.userName), h('td', { className: 'num' }, money(a.price)),
            h('td', {}, a.assetTree), h('td', {}, a.departmentName), h('td', {}, a.expire ? '是' : '否'))))))));
    }
    clear(content, ...sections);
  }

  /** A label task: its PDF is the head's 下载标签PDF; here, how to print it, and the ids it
   * could not take, listed as an export's. */
  async function renderLabels(t) {
    const note = !t.number_succeed
      ? h('section', { className: 'card muted', id: 'labels-note' }, '没有可打印的标签：每项资产都未能生成标签，原因见下方列表。')
      : h('section', { className: 'card done-note', id: 'labels-note' },
        t.number_failed ? null : h('span', { className: 'badge badge-ok' }, '成功'),
        ` 已生成 ${t.number_succeed} 枚标签${can(t, 'download') ? '，请点上方的「下载标签PDF」' : ''}。`,
        '打印时请选「实际大小」（100%），不要「适合页面」，标签才与标签纸对齐。');
    clear(content, note, t.number_failed > 0 ? await exportFailures(t) : null);
  }

  /** The ids an export (or a label task) could not take, each as submitted, with the reason. */
  async function exportFailures(t) {
    const what = t.kind === 'label' ? '未能打印标签的编号' : '未能导出的编号';
    const title = h('h2', { className: 'card-title' }, `${what}（${t.number_failed}）`);
    if (t.number_failed > PREVIEW_MAX) {
      return h('section', { className: 'card' }, title, h('p', { className: 'hint' }, `${what}过多，无法在此列出。`));
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

/** The uploaded file's columns the import did not read (e.g. 列「保修期」未导入): never dropped
 * without a word. */
function unreadColumnsNote(t) {
  const cols = t.unread_columns || [];
  if (!cols.length) return null;
  return h('p', { className: 'hint unread-columns', id: 'unread-columns' },
    cols.map((c) => `列「${c}」`).join('、'), '未导入：导入不认识这些列名，其内容未保存。如需导入，请按模板的列名改表头（见“导入”页的列说明）。');
}

/** What a task naming a stocktake does to it: counts a sheet, lists its assets, or adjusts the
 * register from it. */
function stocktakeHint(t) {
  const link = h('a', { href: `#stocktake/${t.stocktake}` }, `盘点 #${t.stocktake}`);
  if (t.kind === 'count') return ['按盘点表盘点 ', link, '：每行计入一项（已盘过的行不重复计数，列为失败并注明由谁何时盘过）；不在应盘清单中的编号记为盘盈。'];
  if (t.kind === 'freeze') return ['生成 ', link, ' 的应盘清单：每批列入一批资产（以其当时的状态），全部列入后盘点即可开始；不能取消，如不需要该盘点请将其作废。'];
  return ['按 ', link, ' 的差异调整登记表：历史中记为「盘点调整」；撤销此任务即恢复调整前的登记表。'];
}
