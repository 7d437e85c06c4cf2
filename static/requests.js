// Requests with approval (申请): 领用, 退库, 维保, 转移 and 调拨. Staff ask from 我的资产 (退库,
// 维保, 转移) and from the idle assets of their department (领用) and follow 我的申请; asset
// managers and system admins review 待审批 (many at once), each request showing its lines with
// what will change, and each line leading to the asset's 履历.

import { api, busy, button, clear, downloadLink, field, h, headRow, input, me, msgLine, openable, openDialog, pager, path, seg, select, session, toast, uploadFile } from './core.js';
import { assetPanel } from './asset_panel.js';

const PAGE_SIZE = 20;
const REASON_MAX = 500;

/** Each kind: its API name, label, and what approving a line does to the asset. */
export const KINDS = {
  take: ['领用', '挂账人改为申请人，状态改为使用中'],
  return: ['退库', '交回部门资产管理员，状态改为闲置'],
  repair: ['维保', '状态改为维保中，完成维保后回到持有人'],
  transfer: ['转移', '挂账人改为接收人，状态改为使用中'],
  allocate: ['调拨', '移到调入部门，由其资产管理员挂账，状态改为闲置'],
};

const STATE_BADGES = { 0: 'badge-pending', 1: 'badge-ok', 2: 'badge-fail', 3: 'badge-muted', 4: 'badge-muted', 5: 'badge-muted', 6: 'badge-running', 7: 'badge-running' };
const LINE_BADGES = { 0: 'badge-pending', 1: 'badge-ok', 2: 'badge-fail', 3: 'badge-muted' };

const reviews = () => me.character === 2 || me.character === 3;

/** The nav badge: the requests waiting for the caller's review. */
export async function refreshBadge() {
  const item = document.querySelector('#nav [data-view="requests"]');
  if (!item || !session.get()) return;
  let count = 0;
  try {
    count = reviews() ? (await api('GET', `${path('requests')}/to_do`)).data.to_review : 0;
  } catch (e) {
    return;
  }
  let badge = item.querySelector('.nav-count');
  if (!count) {
    if (badge) badge.remove();
    return;
  }
  if (!badge) {
    badge = h('span', { className: 'nav-count', id: 'requests-badge', attrs: { 'aria-label': '待审批' } });
    item.append(badge);
  }
  badge.textContent = String(count);
}

/** 申请: the lists (待审批 for reviewers, 我的申请, 全部), a request's page as a dialog. */
export function requestsView(root, id) {
  const tabs = reviews()
    ? [['review', '待审批'], ['mine', '我的申请'], ['all', '全部']]
    : [['mine', '我的申请']];
  let tab = tabs[0][0];
  const body = h('tbody');
  const pagerBox = h('div');
  const msg = msgLine();
  const summary = h('span', { className: 'scope-label', id: 'requests-summary' });
  const all = h('input', { type: 'checkbox', id: 'requests-select-all' });
  const approveSelected = button('批准所选', () => review('approve'), 'btn-primary', { id: 'requests-approve', disabled: true });
  const rejectSelected = button('驳回所选', () => review('reject'), 'btn-danger', { id: 'requests-reject', disabled: true });
  const take = button('申请领用', () => takeDialog(() => load(1)), me.character === 1 ? 'btn-primary' : '', { id: 'request-take' });
  const upload = reviews() ? button('上传申请单', () => fileDialog(() => { tab = 'mine'; load(1); }), '', { id: 'request-file-open' }) : null;
  const bar = h('div', { className: 'tabs', attrs: { role: 'tablist' } }, tabs.map(([name, text]) => h('button', {
    type: 'button', className: 'tab', id: `requests-tab-${name}`, dataset: { tab: name }, attrs: { role: 'tab' },
    onclick: () => { tab = name; load(1); },
  }, text)));
  // Select-all sits in the toolbar, not the table's head, so a phone (whose rows are cards
  // without a head) has it too.
  const bulk = h('div', { className: 'toolbar-actions', id: 'requests-bulk' },
    h('label', { className: 'check-row' }, all, '全选本页'), approveSelected, rejectSelected);
  clear(root, h('div', { className: 'main' }, h('div', { className: 'card' },
    bar,
    h('div', { className: 'toolbar' }, summary, h('div', { className: 'toolbar-actions' }, bulk, upload, take)),
    msg,
    h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'request-table' },
      headRow(['', '编号', '类型', '申请人', '资产', '理由', '状态', '申请时间']), body)),
    pagerBox)));
  all.addEventListener('change', () => {
    for (const box of body.querySelectorAll('input[type=checkbox]')) box.checked = all.checked;
    selectionChanged();
  });

  const selected = () => [...body.querySelectorAll('input[type=checkbox]:checked')].map((b) => Number(b.dataset.id));
  function selectionChanged() {
    const n = selected().length;
    approveSelected.disabled = rejectSelected.disabled = n === 0;
    approveSelected.textContent = n ? `批准所选（${n}）` : '批准所选';
    rejectSelected.textContent = n ? `驳回所选（${n}）` : '驳回所选';
  }

  let page = 1;
  async function load(p) {
    page = p;
    for (const t of bar.children) {
      t.classList.toggle('active', t.dataset.tab === tab);
      t.setAttribute('aria-selected', String(t.dataset.tab === tab));
    }
    bulk.hidden = tab !== 'review';
    all.checked = false;
    await busy(null, msg, async () => {
      const q = tab === 'review' ? 'state=0' : tab === 'mine' ? 'mine=true' : '';
      const answer = await api('GET', `${path('requests')}?${q}&page=${p}&size=${PAGE_SIZE}`);
      summary.textContent = { review: '待您审批', mine: '我的申请', all: '全部申请' }[tab] + `：${answer.total} 项`;
      clear(body);
      if (!answer.data.length) {
        const empty = tab === 'review' ? '没有待审批的申请' : tab === 'mine'
          ? (me.character === 1 ? '您还没有申请；在「我的资产」中选中资产可申请退库、维保或转移，点「申请领用」可领用本部门的闲置资产' : '您还没有申请')
          : '暂无申请';
        body.append(h('tr', {}, h('td', { className: 'empty', colSpan: 8 }, empty)));
      }
      for (const r of answer.data) body.append(requestRow(r));
      clear(pagerBox, pager(p, answer.pages, answer.total, load));
      selectionChanged();
    });
    refreshBadge();
  }

  function requestRow(r) {
    const box = tab === 'review'
      ? h('input', { type: 'checkbox', dataset: { id: r.id }, attrs: { 'aria-label': `选择申请 #${r.id}` }, onchange: selectionChanged })
      : null;
    const tr = h('tr', { className: 'row-open', dataset: { id: r.id, state: r.state }, title: '查看申请' },
      h('td', {}, box), h('td', { className: 'num' }, r.id), h('td', {}, r.kind_label),
      h('td', {}, r.initiator), h('td', { className: 'num' }, r.lines), h('td', { className: 'muted' }, r.reason || '—'),
      h('td', {}, h('span', { className: `badge ${STATE_BADGES[r.state] || ''}` }, r.state_label)),
      h('td', { className: 'muted' }, r.created_at));
    return openable(tr, () => requestDialog(r.id, () => load(page)));
  }

  async function review(action) {
    const ids = selected();
    if (!ids.length) return;
    let reason = '';
    if (action === 'reject') {
      reason = prompt(`驳回所选的 ${ids.length} 项申请，理由（申请人会看到）：`, '') ?? '';
      if (!reason.trim()) return;
    } else if (!confirm(`批准所选的 ${ids.length} 项申请？每项中仍然有效的资产会立即按申请变更（挂账人、状态或部门），并记入资产履历。`)) {
      return;
    }
    const button = action === 'approve' ? approveSelected : rejectSelected;
    await busy(button, msg, async () => {
      const failed = [];
      const tasks = [];
      for (const id of ids) {
        try {
          const answer = await api('POST', `${path('requests', id)}/${action}`, action === 'reject' ? { reason } : {});
          if (answer.data.state === 6) tasks.push(`#${answer.data.task}`);
        } catch (e) {
          failed.push(`#${id}：${e.message}`);
        }
      }
      await load(page);
      const done = ids.length - failed.length;
      const verb = action === 'approve' ? '批准' : '驳回';
      // A request of many lines runs as a task: say where its progress is.
      const running = tasks.length ? `；${tasks.length} 项较大的申请由任务 ${tasks.join('、')} 分批执行，进度见「任务」` : '';
      if (failed.length) msg.error(`已${verb} ${done} 项${running}；${failed.length} 项未能${verb}：${failed.join('；')}`);
      else msg.ok(`已${verb} ${done} 项申请${running}`);
    });
  }

  load(1);
  if (id) requestDialog(Number(id), () => load(page));
}

/** One request: its fields, its lines (each asset with what will change or what happened, and
 * a link to its 履历), and the actions the caller may take. */
export async function requestDialog(id, changed) {
  let r;
  try {
    r = (await api('GET', path('requests', id))).data;
  } catch (e) {
    toast(e.message, true);
    return;
  }
  const msg = msgLine();
  const [, effect] = KINDS[r.kind] || ['', ''];
  const target = r.target_user ? `接收人：${r.target_user}` : r.target_department ? `调入部门：${r.target_department}` : null;
  const facts = h('dl', { className: 'asset-fields', id: 'request-fields' }, [
    ['类型', r.kind_label], ['状态', r.state_label], ['申请人', r.initiator], ['申请时间', r.created_at],
    ['理由', r.reason || '—'], target ? target.split('：') : null,
    r.state === 0 ? ['批准后', effect] : null,
    r.reviewer ? ['审批人', `${r.reviewer}（${r.reviewed_at}）`] : null,
    r.review_reason ? ['驳回理由', r.review_reason] : null,
    r.finished_at ? ['维保完成', r.finished_at] : null,
    r.undone_at ? ['撤销', `${r.undoer}（${r.undone_at}）`] : null,
    // A request of many lines is executed (and taken back) by a task: its progress is there.
    r.task ? ['执行任务', taskLink(r.task, r.state === 6, () => close())] : null,
    r.undo_task ? ['撤销任务', taskLink(r.undo_task, r.state === 7, () => close())] : null,
  ].filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node ? v : String(v))]));
  const lines = h('tbody');
  let close = () => {};
  for (const l of r.lines) {
    const history = h('a', {
      href: '#', className: 'request-line-history', dataset: { asset: l.split_asset || l.asset },
      onclick: (e) => { e.preventDefault(); openAsset(l.split_asset || l.asset, msg, close); },
    }, '履历');
    const note = l.invalid || (l.split_asset ? `拆分出资产 #${l.split_asset}` : '');
    lines.append(h('tr', { dataset: { seq: l.seq, asset: l.asset } },
      h('td', { className: 'num' }, l.asset), h('td', { className: 'asset-name' }, l.asset_name ?? '（已删除）'),
      h('td', { className: 'num' }, l.count), h('td', {}, l.owner ?? '—'), h('td', {}, l.department ?? '—'),
      h('td', {}, h('span', { className: `badge ${LINE_BADGES[l.state] || ''}` }, l.state_label)),
      h('td', { className: 'muted' }, note), h('td', {}, history)));
  }
  const c = r.line_counts || {};
  const shownNote = r.line_total > r.lines.length ? `，下面列出前 ${r.lines.length} 项` : '';
  const tally = r.state === 0 ? '' : `：已执行 ${c.executed || 0}，未执行 ${c.not_executed || 0}`;
  const body = [facts, h('h3', { className: 'sub-title', id: 'request-line-total' }, `资产（${r.line_total} 项${tally}${shownNote}）`),
    h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'request-lines' },
      headRow(['资产编号', '资产名称', '数量', '挂账人', '所属部门', '处理', '说明', '']), lines))];
  const act = (action, text, kind, payload) => button(text, async (ev) => {
    const data = payload ? payload() : {};
    if (data === null) return;
    await busy(ev.currentTarget, msg, async () => {
      const answer = await api('POST', `${path('requests', id)}/${action}`, data);
      close();
      const a = answer.data;
      const left = action === 'undo' && a.state === 5 ? a.line_counts.executed : 0;
      const task = a.state === 6 ? a.task : a.state === 7 ? a.undo_task : null;
      toast(`申请 #${id}：${a.state_label}${action === 'finish' ? '，维保已完成' : ''}${left ? `，${left} 项资产已被修改，未撤销` : ''}${task ? `，共 ${a.line_total} 项由任务 #${task} 分批执行，进度见「任务」` : ''}`);
      changed();
      refreshBadge();
    });
  }, kind, { id: `request-${action}` });
  const actions = [];
  const mayReview = reviews();
  if (r.state === 0 && mayReview) {
    actions.push(act('reject', '驳回', 'btn-danger', () => {
      const reason = prompt('驳回理由（申请人会看到）：', '');
      return reason && reason.trim() ? { reason: reason.trim() } : null;
    }));
    actions.push(act('approve', '批准', 'btn-primary'));
  }
  if (r.state === 0 && r.initiator === me.name) actions.push(act('withdraw', '撤回', ''));
  if (r.kind === 'repair' && r.state === 1 && !r.finished_at && mayReview) actions.push(act('finish', '完成维保', 'btn-primary'));
  if (r.state === 1 && mayReview) {
    actions.unshift(act('undo', '撤销此申请', 'btn-danger', () => (confirm(
      `撤销申请 #${r.id}？已执行的资产会恢复到批准前（拆分出的部分并回原资产）；批准后又被修改过的资产保持不变，并注明原因。`,
    ) ? {} : null)));
  }
  actions.push(button('关闭', () => close()));
  close = openDialog(`申请 #${r.id} ${r.kind_label}`, body, [h('div', { className: 'dialog-msg' }, msg), h('div', { className: 'dialog-actions' }, actions)]);
}

/** A link to a request's task, saying whether it still runs (only its reviewers see tasks). */
function taskLink(task, running, leave) {
  const text = `任务 #${task}${running ? '（执行中）' : ''}`;
  return me.character === 2 || me.character === 3 ? h('a', { href: `#task/${task}`, className: 'request-task', onclick: leave }, text) : h('span', {}, text);
}

/** Opens an asset on its 履历 (found by a search within what the caller sees). */
async function openAsset(id, msg, close) {
  await busy(null, msg, async () => {
    const found = (await api('POST', path('search_assets'), { id, page: 1, size: 1 })).data[0];
    if (!found) throw new Error(`资产 #${id} 不在您可查看的范围内`);
    close();
    assetPanel(found, () => {}, 'history');
  });
}

/** Asks `kind` for `assets` (asset views): each with its count (all of it unless changed, for
 * a quantity asset), a reason, and for 转移 the receiver. */
export function askDialog(kind, assets, done) {
  const [label, effect] = KINDS[kind];
  const msg = msgLine();
  const counts = new Map();
  const rows = assets.map((a) => {
    const count = h('input', { type: 'number', min: '1', max: String(a.count), step: '1', value: String(a.count), className: 'count-input', attrs: { 'aria-label': `${a.name}的申请数量` }, disabled: a.count <= 1 });
    counts.set(a.id, count);
    return h('tr', {}, h('td', { className: 'num' }, a.id), h('td', { className: 'asset-name' }, a.name), h('td', {}, count));
  });
  const reason = h('textarea', { id: 'request-reason', rows: 2, maxLength: REASON_MAX, placeholder: '申请理由（选填）' });
  const receiver = kind === 'transfer' ? input({ id: 'request-target-user', placeholder: '同部门同事的用户名', required: true }) : null;
  const body = [
    h('p', { className: 'hint' }, `批准后：${effect}。数量型资产可只申请其中一部分，批准时拆分。`),
    h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'request-ask-lines' }, headRow(['资产编号', '资产名称', '数量']), h('tbody', {}, rows))),
    receiver ? field('接收人', receiver) : null,
    field('理由', reason),
  ];
  const submit = button(`提交${label}申请`, () => busy(submit, msg, async () => {
    const req = {
      kind,
      reason: reason.value.trim(),
      lines: assets.map((a) => {
        const n = Number(counts.get(a.id).value);
        return n === a.count ? { asset: a.id } : { asset: a.id, count: n };
      }),
    };
    if (receiver) req.target_user = receiver.value.trim();
    const answer = await api('POST', path('requests'), req);
    close();
    toast(`已提交${label}申请 #${answer.data.id}，等待资产管理员审批`);
    done();
  }), 'btn-primary', { id: 'request-submit' });
  const close = openDialog(`申请${label}（${assets.length} 项资产）`, body, [h('div', { className: 'dialog-msg' }, msg), h('div', { className: 'dialog-actions' }, button('取消', () => close()), submit)]);
}

/** 领用: the idle assets of the caller's department, searched by name, chosen and asked. */
function takeDialog(done) {
  const msg = msgLine();
  const name = input({ id: 'idle-search-name', placeholder: '名称包含…', attrs: { 'aria-label': '名称包含' } });
  const list = h('tbody');
  const pagerBox = h('div');
  const chosen = new Map();
  const next = button('下一步', () => {
    close();
    askDialog('take', [...chosen.values()], done);
  }, 'btn-primary', { id: 'idle-next', disabled: true });
  const load = (p) => busy(null, msg, async () => {
    const answer = await api('GET', `${path('requests')}/idle?name=${seg(name.value.trim())}&page=${p}&size=10`);
    clear(list);
    if (!answer.data.length) list.append(h('tr', {}, h('td', { className: 'empty', colSpan: 5 }, '没有可领用的闲置资产')));
    for (const a of answer.data) {
      const box = h('input', { type: 'checkbox', checked: chosen.has(a.id), dataset: { id: a.id }, attrs: { 'aria-label': `选择${a.name}` } });
      box.addEventListener('change', () => {
        if (box.checked) chosen.set(a.id, a);
        else chosen.delete(a.id);
        next.disabled = chosen.size === 0;
        next.textContent = chosen.size ? `下一步（${chosen.size} 项）` : '下一步';
      });
      list.append(h('tr', { dataset: { id: a.id } }, h('td', {}, box), h('td', { className: 'num' }, a.id), h('td', { className: 'asset-name' }, a.name),
        h('td', { className: 'num' }, a.count), h('td', {}, a.position || '—')));
    }
    clear(pagerBox, pager(p, answer.pages, answer.total, load));
  });
  const form = h('form', { className: 'toolbar', onsubmit: (e) => { e.preventDefault(); load(1); } }, name, h('button', { type: 'submit', className: 'btn', id: 'idle-search' }, '搜索'));
  const body = [h('p', { className: 'hint' }, '本部门的闲置资产；选中后下一步填写数量与理由。'), form,
    h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'idle-table' }, headRow(['', '资产编号', '资产名称', '数量', '位置']), list)), pagerBox];
  const close = openDialog('申请领用', body, [h('div', { className: 'dialog-msg' }, msg), h('div', { className: 'dialog-actions' }, button('取消', () => close()), next)]);
  load(1);
}

/** 上传申请单: a CSV or XLSX of 资产编号 (and 数量) becomes one request, checked first (仅校验):
 * every line that cannot be asked is listed with its file line and reason. */
function fileDialog(done) {
  const msg = msgLine();
  const kinds = Object.entries(KINDS).map(([k, [label]]) => [k, label]);
  const kind = select(kinds, { id: 'request-file-kind' });
  kind.value = 'allocate';
  const department = input({ id: 'request-file-department', placeholder: '调入部门名称' });
  const user = input({ id: 'request-file-user', placeholder: '接收人用户名' });
  const reason = input({ id: 'request-file-reason', placeholder: '申请理由（选填）', maxLength: REASON_MAX });
  const file = h('input', { type: 'file', id: 'request-file-input', accept: '.csv,.xlsx', attrs: { 'aria-label': '申请单文件' } });
  const departmentField = field('调入部门', department);
  const userField = field('接收人', user);
  const shown = () => {
    departmentField.hidden = kind.value !== 'allocate';
    userField.hidden = kind.value !== 'transfer';
  };
  kind.addEventListener('change', shown);
  shown();
  const report = h('div', { id: 'request-file-report' });
  const url = (dry) => {
    const q = new URLSearchParams({ kind: kind.value, dry_run: String(dry), reason: reason.value.trim() });
    if (kind.value === 'allocate') q.set('target_department', department.value.trim());
    if (kind.value === 'transfer') q.set('target_user', user.value.trim());
    return `/api/request_file/${seg(session.get())}?${q}`;
  };
  const chosen = () => {
    if (!file.files.length) throw new Error('请先选择申请单文件（CSV 或 XLSX）');
    return file.files[0];
  };
  const check = button('仅校验', () => busy(check, msg, async () => {
    const answer = (await uploadFile(url(true), chosen(), () => {})).data;
    const rows = answer.problems.map((p) => h('tr', {}, h('td', { className: 'num' }, p.line), h('td', { className: 'num' }, p.asset ?? '—'), h('td', {}, p.reason)));
    const more = answer.problem_count > answer.problems.length ? `（列出前 ${answer.problems.length} 行）` : '';
    clear(report,
      h('p', { className: answer.problem_count ? 'msg msg-error' : 'msg msg-ok', id: 'request-file-summary' },
        `共 ${answer.lines} 行：可申请 ${answer.valid} 行，不能申请 ${answer.problem_count} 行${more}`),
      answer.unread_columns.length ? h('p', { className: 'hint' }, `未读取的列：${answer.unread_columns.join('、')}`) : null,
      rows.length ? h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'request-file-problems' }, headRow(['行', '资产编号', '原因']), h('tbody', {}, rows))) : null);
  }), '', { id: 'request-file-check' });
  const submit = button('提交申请', () => busy(submit, msg, async () => {
    const answer = (await uploadFile(url(false), chosen(), () => {})).data;
    close();
    toast(`已提交申请 #${answer.id}（${answer.lines} 项资产），等待审批`);
    done();
  }), 'btn-primary', { id: 'request-file-submit' });
  const body = [
    h('p', { className: 'hint' }, '每行一项资产：填写资产编号，数量型资产可在「数量」列只申请一部分；其他列不读取。先「仅校验」查看每行能否申请，再提交。',
      ' ', downloadLink('下载模板', `${path('request_template')}?format=xlsx`, 'request-template.xlsx')),
    h('div', { className: 'form-grid form-grid-2' }, field('申请类型', kind), departmentField, userField, field('理由', reason), field('文件', file, 'span-2')),
    report,
  ];
  const close = openDialog('上传申请单', body, [h('div', { className: 'dialog-msg' }, msg), h('div', { className: 'dialog-actions' }, button('取消', () => close()), check, submit)]);
}
