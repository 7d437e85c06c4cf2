// The task list: a page at a time, filtered, with live progress while a task on it runs.

import { api, busy, button, clear, h, headRow, msgLine, path } from './core.js';
import { can, cancelButton, downloads, poll, progressBar, statusBadge, stopPolling, typeTag } from './task_parts.js';

/** Tasks a page of the list shows. */
const TASK_PAGE_SIZE = 20;

export function tasksView(root) {
  const body = h('tbody');
  const msg = msgLine();
  const updated = h('span', { className: 'muted small' });
  const state = { page: 1 };
  const type = h('select', { id: 'tasks-type', attrs: { 'aria-label': '类型' } },
    h('option', { value: '' }, '全部类型'), h('option', { value: 'import' }, '导入'), h('option', { value: 'export' }, '导出'),
    h('option', { value: 'undo' }, '撤销'), h('option', { value: 'approval' }, '审批执行'),
    h('option', { value: 'request_undo' }, '撤销申请'), h('option', { value: 'count' }, '盘点表'),
    h('option', { value: 'label' }, '标签'), h('option', { value: 'freeze' }, '盘点清单'));
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
      h('h2', { className: 'card-title' }, '任务'),
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
      // A cancelled import's rows were mostly never run: not failures to fix first, but a
      // result to read (what it wrote, and 撤销此任务).
      const stopped = t.cancelled && t.finish !== 0;
      const open = can(t, 'confirm')
        ? h('a', { className: 'btn btn-small btn-primary', href: `#task/${t.id}` }, '查看并确认')
        : can(t, 'edit_failed') && !stopped
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
        h('td', { className: failed && !stopped ? 'num text-fail' : 'num', title: stopped ? '包括因取消而未执行的行' : null }, failed),
        h('td', {}, statusBadge(t)),
        h('td', {}, progressBar(t)),
        h('td', { className: 'row-actions' }, open, cancelButton(t, msg, load), t.pruned ? h('span', { className: 'muted small' }, { discarded: '已放弃', deleted: '数据已删除' }[t.removed] || '数据已按保留期限清除') : null, downloads(t))));
    }
    updated.textContent = `更新于 ${new Date().toLocaleTimeString('zh-CN')}`;
    // Poll the visible page only while something on it runs.
    if (tasks.some((t) => t.finish === 0)) poll(load);
  });
  load();
}
