// The operations journal (操作日志): a system admin's company's acts and logins, the super
// admin's own, newest first, a page at a time, filtered; the same list downloads as XLSX.

import { api, busy, clear, downloadLink, h, headRow, me, msgLine, pager, path } from './core.js';

/** Entries a page of the list shows. */
const JOURNAL_PAGE_SIZE = 20;

let kindsAsked = null;

/** The kinds the server records, [{kind, label}] (GET /api/journal/{session}/kinds), asked once. */
function kinds() {
  if (!kindsAsked) {
    kindsAsked = api('GET', path('journal', 'kinds')).then((answer) => answer.data);
    kindsAsked.catch(() => { kindsAsked = null; });
  }
  return kindsAsked;
}

export function journalView(root) {
  const body = h('tbody');
  const msg = msgLine();
  const pagerBox = h('div', { id: 'journal-pager' });
  // `asked` counts the loads: an answer to one that was overtaken is dropped.
  const state = { page: 1, asked: 0 };
  const actor = h('input', { id: 'journal-actor', placeholder: '操作人', attrs: { 'aria-label': '操作人' } });
  const kind = h('select', { id: 'journal-kind', attrs: { 'aria-label': '操作类型' } }, h('option', { value: '' }, '全部类型'));
  const since = h('input', { id: 'journal-since', type: 'date', attrs: { 'aria-label': '开始日期' } });
  const until = h('input', { id: 'journal-until', type: 'date', attrs: { 'aria-label': '结束日期' } });
  const task = h('input', { id: 'journal-task', type: 'number', min: '1', placeholder: '任务编号', attrs: { 'aria-label': '任务编号' } });
  const download = downloadLink('下载XLSX', '#', '');
  download.id = 'journal-download';
  const refilter = () => { state.page = 1; load(); };
  for (const el of [kind, since, until]) el.addEventListener('change', refilter);
  for (const el of [actor, task]) el.addEventListener('keydown', (e) => { if (e.key === 'Enter') refilter(); });
  const filterButton = h('button', { type: 'button', className: 'btn btn-small', id: 'journal-filter', onclick: refilter }, '筛选');
  clear(root, h('section', { className: 'card' },
    h('div', { className: 'toolbar' },
      h('h2', { className: 'card-title' }, me.character === 4 ? '操作日志（超级管理员）' : '操作日志'),
      h('div', { className: 'toolbar-actions' }, download)),
    h('div', { className: 'filters', id: 'journal-filters' },
      actor, kind, since, h('span', { className: 'muted small' }, '至'), until, task, filterButton),
    msg,
    h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'journal-table' },
      headRow(['时间', '操作人', '操作类型', '说明', '任务', '地址']),
      body)),
    pagerBox));

  kinds().then((list) => {
    for (const k of list) kind.append(h('option', { value: k.kind }, k.label));
  }, (e) => msg.error(e));

  /** The filters as a query (the list's and its download's). */
  function filters() {
    const q = new URLSearchParams();
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    if (kind.value) q.set('kind', kind.value);
    if (since.value) q.set('since', since.value);
    if (until.value) q.set('until', until.value);
    if (task.value.trim()) q.set('task', task.value.trim());
    return q;
  }

  const load = () => busy(null, msg, async () => {
    const asked = ++state.asked;
    const q = filters();
    download.href = `${path('journal', 'file')}?${q}`;
    q.set('page', String(state.page));
    q.set('size', String(JOURNAL_PAGE_SIZE));
    let answer;
    try {
      answer = await api('GET', `${path('journal')}?${q}`);
    } catch (e) {
      // The list shrank under us (a filter changed): back to the first page.
      if (e.code === 4 && state.page > 1) { state.page = 1; return load(); }
      clear(body);
      clear(pagerBox);
      throw e;
    }
    if (!root.isConnected || asked !== state.asked) return;
    clear(body);
    if (!answer.data.length) body.append(h('tr', {}, h('td', { className: 'empty', colSpan: 6 }, '没有符合条件的记录')));
    for (const e of answer.data) {
      // The task page is an asset manager's and system admin's; the super admin sees the number.
      const taskCell = e.task === null ? '—'
        : me.character === 3 ? h('a', { href: `#task/${e.task}` }, `#${e.task}`) : `#${e.task}`;
      body.append(h('tr', { dataset: { id: e.id, kind: e.kind } },
        h('td', { className: 'muted journal-time' }, e.time),
        h('td', {}, e.actor || '—'),
        h('td', {}, h('span', { className: 'tag' }, e.kind_label)),
        h('td', { className: 'journal-text' }, e.text),
        h('td', { className: 'num' }, taskCell),
        h('td', { className: 'muted' }, e.address || '')));
    }
    // A total counted only up to a bound: more pages may follow the last one counted.
    const pages = answer.total_capped ? answer.pages + 1 : answer.pages;
    const total = answer.total_capped ? `${answer.total}+` : answer.total;
    clear(pagerBox, pager(state.page, pages, total, (p) => { state.page = p; load(); }));
  });
  load();
}
