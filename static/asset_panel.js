// One asset in the shared dialog, in two tabs: 信息 (every field, its children, and within the
// caller's reach an edit form and 清退) and 履历 (what happened to it, newest first, a page at a
// time, and the whole history as an XLSX for the auditor).

import {
  api, busy, button, CLASS_NAMES, clear, downloadLink, field, h, input, label, markFields, me, money, msgLine, openDialog, pager, path,
  select, STATUS_NAMES, toast, withOwnerSuggestions,
} from './core.js';
import { categoryTree, flattenCategories } from './org.js';

/** History entries a page of 履历 shows. */
const HISTORY_PAGE_SIZE = 10;

/** One asset: 信息 (every field, its children, and within the caller's reach, unless retired,
 * an edit form and 清退) and 履历. `changed` runs after an edit or a retire. */
export async function assetPanel(a, changed, tab) {
  const msg = msgLine();
  const view = h('dl', { className: 'asset-fields', id: 'asset-panel-fields' }, [
    [label('id'), a.id], [label('name'), a.name], [label('assetClass'), CLASS_NAMES[a.assetClass] || ''], [label('count'), a.count],
    [label('user'), a.userName], [label('department'), a.departmentName], [label('assetTree'), a.assetTree],
    ['当前价值', money(a.price)], ['原值', money(a.initial_price)],
    [label('deadline'), `${a.deadline} 年（${label('expire_date')} ${a.expire_date} 年）`],
    [label('create_time'), a.create_time], [label('status'), STATUS_NAMES[a.status] || ''], [label('expire'), a.expire ? '已清退' : '在用'],
    [label('parent'), a.parentName || '—'], [label('position'), a.position || '—'], [label('description'), a.description || '—'],
  ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
  // Children are found by a search, within what the caller sees (staff: their own).
  const managesAssets = me.character === 2 || me.character === 3;
  const children = h('div', { id: 'asset-children' }, h('span', { className: 'muted' }, '加载中…'));
  const kidsBox = h('div', {}, h('h3', { className: 'sub-title' }, managesAssets ? '下级资产' : '您名下的下级资产'), children);
  const info = h('div', { id: 'asset-info', attrs: { role: 'tabpanel' } }, view, kidsBox);
  const history = assetHistory(a, () => close());
  // The buttons that act on the asset belong to 信息; 履历 only reads.
  const actions = h('div', { className: 'dialog-actions' });
  const body = [tabs({ info: ['信息', info], history: ['履历', history.pane] }, (name) => {
    actions.hidden = name !== 'info';
    if (name === 'history') history.open();
  }), info, history.pane];
  const footer = [h('div', { className: 'dialog-msg' }, msg), actions];
  const canEdit = managesAssets && !a.expire;
  if (canEdit) {
    const f = {
      name: input({ id: 'edit-name', value: a.name, maxLength: 128 }),
      user: withOwnerSuggestions(input({ id: 'edit-user', value: a.userName })),
      price: input({ id: 'edit-price', type: 'number', min: '0', step: '0.01', value: String(a.initial_price) }),
      count: input({ id: 'edit-count', type: 'number', min: '1', step: '1', value: String(a.count) }),
      deadline: input({ id: 'edit-deadline', type: 'number', min: '0', step: '1', value: String(a.deadline) }),
      create_time: input({ id: 'edit-date', type: 'date', value: a.create_time, max: new Date().toLocaleDateString('sv') }),
      assetTree: select([], { id: 'edit-tree' }),
      status: select([['1', '闲置'], ['2', '使用中'], ['3', '维保中']], { id: 'edit-status' }),
      position: input({ id: 'edit-position', value: a.position, maxLength: 256 }),
      description: h('textarea', { id: 'edit-description', rows: 2, maxLength: 4096 }),
    };
    f.status.value = String(a.status);
    f.description.value = a.description;
    categoryTree(a.departmentName).then((root) => {
      for (const c of flattenCategories(root)) f.assetTree.append(h('option', { value: c.name }, `${'　'.repeat(c.depth)}${c.name}`));
      f.assetTree.value = a.assetTree;
    }, (e) => msg.error(e));
    const form = h('div', { className: 'form-grid form-grid-2', id: 'asset-edit', hidden: true },
      field(label('name'), f.name, 'span-2'),
      field('所属部门', h('input', { id: 'edit-department', value: a.departmentName, readOnly: true, title: '移到其他部门：导出后在「所属部门」列改写并重新导入' })),
      field('挂账人', f.user), field('所属品类', f.assetTree),
      field('原值（元）', f.price), field(label('count'), f.count), field('使用期限（年）', f.deadline),
      field(label('create_time'), f.create_time), field(label('status'), f.status), field(label('position'), f.position),
      field(label('description'), f.description, 'span-2'));
    info.append(form);
    const edit = button('编辑', () => {
      form.hidden = false;
      view.hidden = true;
      kidsBox.hidden = true;
      edit.hidden = true;
      save.hidden = false;
    }, '', { id: 'asset-edit-open' });
    const save = button('保存', () => busy(save, msg, async () => {
      const req = { id: a.id };
      const numbers = { price: a.initial_price, count: a.count, deadline: a.deadline, status: a.status };
      const texts = { name: a.name, user: a.userName, assetTree: a.assetTree, position: a.position, description: a.description, create_time: a.create_time };
      for (const [k, was] of Object.entries(numbers)) if (Number(f[k].value) !== was) req[k] = Number(f[k].value);
      for (const [k, was] of Object.entries(texts)) if (f[k].value !== was) req[k] = f[k].value;
      try {
        await api('PUT', path('asset'), req);
      } catch (e) {
        markFields(e, f);
        throw e;
      }
      close();
      toast(`已保存资产 #${a.id}`);
      changed();
    }), 'btn-primary', { id: 'asset-save-edit', hidden: true });
    const retire = button('清退', () => busy(retire, msg, async () => {
      if (!confirm(`确定清退资产「${a.name}」？清退后价值归零，且不能再修改。`)) return;
      await api('PUT', path('expire_asset'), [a.id]);
      close();
      toast(`已清退资产 #${a.id}`);
      changed();
    }), 'btn-danger', { id: 'asset-retire' });
    actions.append(retire, edit, save);
  }
  footer.push(button('关闭', () => close()));
  const close = openDialog(`资产 #${a.id} ${a.name}`, body, footer);
  if (tab) document.getElementById(`asset-tab-${tab}`)?.click();
  try {
    const kids = (await api('POST', path('search_assets'), { parent: a.id, page: 1, size: 100 })).data;
    clear(children, kids.length
      ? h('ul', { className: 'plain-list' }, kids.map((k) => h('li', {}, `#${k.id} ${k.name}${k.expire ? '（已清退）' : ''}`)))
      : h('span', { className: 'muted' }, '没有下级资产'));
  } catch (e) {
    clear(children, h('span', { className: 'msg msg-error' }, e.message));
  }
}

/** A tab bar over `panes` ({name: [label, element]}): the first is shown; `shown(name)` runs
 * when a tab is chosen. */
function tabs(panes, shown) {
  const bar = h('div', { className: 'tabs', attrs: { role: 'tablist' } });
  const choose = (name) => {
    for (const [n, [, pane]] of Object.entries(panes)) pane.hidden = n !== name;
    for (const tab of bar.children) {
      const on = tab.dataset.tab === name;
      tab.classList.toggle('active', on);
      tab.setAttribute('aria-selected', String(on));
    }
    shown(name);
  };
  for (const [name, [label]] of Object.entries(panes)) {
    bar.append(h('button', {
      type: 'button', className: 'tab', id: `asset-tab-${name}`, dataset: { tab: name },
      attrs: { role: 'tab' }, onclick: () => choose(name),
    }, label));
  }
  choose(Object.keys(panes)[0]);
  return bar;
}

/** The 履历 tab of asset `a`: read when first opened, a page at a time. `leave` closes the
 * dialog before a link to a task is followed. */
function assetHistory(a, leave) {
  const list = h('ol', { className: 'history-list', id: 'asset-history-list' });
  const pagerBox = h('div');
  const msg = msgLine();
  // The whole history, however long: a plain link (the session is in the path).
  const file = downloadLink('下载XLSX', path('asset_history', a.id, 'file'), `asset-${a.id}-history.xlsx`);
  file.id = 'asset-history-file';
  const pane = h('div', { id: 'asset-history', attrs: { role: 'tabpanel' } },
    h('div', { className: 'toolbar' },
      h('span', { className: 'muted small' }, '每次新建、修改、清退、导入与撤销都记录在此，最新的在前。'), file),
    msg, list, pagerBox);
  let opened = false;
  const load = (page) => busy(null, msg, async () => {
    let answer;
    try {
      answer = await api('GET', `${path('asset_history', a.id)}?page=${page}&size=${HISTORY_PAGE_SIZE}`);
    } catch (e) {
      // Fewer entries than when the pager was drawn (retention pruned some): back to the first.
      if (e.code === 4 && page > 1) return load(1);
      throw e;
    }
    clear(list, answer.data.length
      ? answer.data.map((e) => historyEntry(e, leave))
      : h('li', { className: 'muted' }, '暂无履历'));
    clear(pagerBox, pager(page, answer.pages, answer.total, load));
  });
  return {
    pane,
    open: () => {
      if (opened) return;
      opened = true;
      clear(list, h('li', { className: 'muted' }, '加载中…'));
      load(1);
    },
  };
}

/** Kinds whose changes are the values the asset came with (no old side), and the kind whose
 * changes are the values it had when an undo deleted it (no new side). */
const CREATING = new Set(['created', 'imported', 'split_created']);
const DELETING = new Set(['undo_deleted', 'split_merged']);

/** One entry: when, who, what kind, through what (the request linked; else the task, for those
 * who see tasks), and each changed field as 「header」old → new. */
function historyEntry(e, leave) {
  const seesTasks = me.character === 2 || me.character === 3;
  const source = e.request
    ? h('a', { href: `#requests/${e.request}`, className: 'history-request', onclick: leave }, e.source)
    : e.stocktake && seesTasks
      ? h('a', { href: `#stocktake/${e.stocktake}`, className: 'history-stocktake', onclick: leave }, e.source)
    : e.task && seesTasks
      ? h('a', { href: `#task/${e.task}`, className: 'history-task', onclick: leave }, e.source)
      : e.source;
  const side = CREATING.has(e.kind) ? 'new' : DELETING.has(e.kind) ? 'old' : null;
  const changes = side
    // What an asset was created with (or had when deleted): its values, the empty ones left out.
    ? e.changes.filter((c) => !blank(c[side])).map((c) => h('li', {},
      h('span', { className: 'history-field' }, `「${c.header}」`), shownValue(c.field, c[side])))
    : e.changes.map((c) => h('li', {},
      h('span', { className: 'history-field' }, `「${c.header}」`),
      h('span', { className: 'history-old' }, shownValue(c.field, c.old)), ' → ',
      h('span', { className: 'history-new' }, shownValue(c.field, c.new))));
  return h('li', { className: 'history-entry', dataset: { kind: e.kind, id: e.id }, title: e.text },
    h('div', { className: 'history-head' },
      h('span', { className: 'history-time' }, e.time),
      h('span', { className: 'history-actor' }, e.actor || '（已不存在的用户）'),
      h('span', { className: `tag tag-history tag-history-${e.kind}` }, e.kind_label),
      h('span', { className: 'history-source muted' }, source)),
    changes.length ? h('ul', { className: 'history-changes' }, changes) : null);
}

const blank = (v) => v === null || v === undefined || v === '';

/** A field's value as the 信息 tab words it: names for codes, yuan with cents. */
function shownValue(field, v) {
  if (blank(v)) return '（空）';
  switch (field) {
    case 'status': return STATUS_NAMES[v] || String(v);
    case 'assetClass': return CLASS_NAMES[v] || String(v);
    case 'expire': return v ? '已清退' : '在用';
    case 'price': return money(v);
    default: return String(v);
  }
}
