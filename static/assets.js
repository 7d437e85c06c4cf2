// The asset list: department and category tree, search, paging, create, retire, export, labels.

import {
  api, busy, button, CLASS_NAMES, clear, field, h, input, label, LABEL_LAYOUTS, markFields, me, money, msgLine, openDialog, openable, pager, path,
  select, STATUS_NAMES, toast, withOwnerSuggestions,
} from './core.js';
import { categoryTree, departments, flattenCategories, nest, ownDepartment } from './org.js';
import { assetPanel } from './asset_panel.js';

const PAGE_SIZE = 20;

/** Today in the browser's calendar, as a date input holds it: 'YYYY-MM-DD'. */
function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The search (form, tree node and page) as the URL hash keeps it: `#assets/<query>`, so Back
 * and a reload return to the same list. */
const HASH_KEYS = ['name', 'user', 'price_inf', 'price_sup', 'description', 'expire', 'status', 'department', 'asset_tree_node', 'page'];

export function assetsView(root, arg) {
  const state = { filter: { expire: '0' }, page: 1, selected: new Set(), rows: [] };
  const saved = new URLSearchParams(arg || '');
  const tree = h('div', { className: 'tree', attrs: { role: 'tree' } });
  const scopeLabel = h('span', { className: 'scope-label' });
  const tableBody = h('tbody');
  const pagerBox = h('div');
  const msg = msgLine();
  const checkAll = h('input', { type: 'checkbox', title: '全选本页', attrs: { 'aria-label': '全选本页' } });

  const q = {
    name: input({ id: 'search-name', placeholder: '名称包含…' }),
    user: withOwnerSuggestions(input({ id: 'search-user', placeholder: '挂账人' })),
    price_inf: input({ id: 'search-price-inf', type: 'number', min: '0', step: '0.01', placeholder: '最低', attrs: { 'aria-label': '最低价值' } }),
    price_sup: input({ id: 'search-price-sup', type: 'number', min: '0', step: '0.01', placeholder: '最高', attrs: { 'aria-label': '最高价值' } }),
    description: input({ id: 'search-description', placeholder: '描述包含…' }),
    expire: select([['0', '在用'], ['1', '已清退'], ['', '全部']], { id: 'search-expire' }),
    status: select([['', '全部'], ['1', '闲置'], ['2', '使用中'], ['3', '维保中']], { id: 'search-status' }),
  };
  const searchMsg = msgLine();
  const searchForm = h(
    'form',
    { className: 'card search-bar', id: 'search-form', onsubmit: (e) => { e.preventDefault(); search(); } },
    field(label('name'), q.name),
    field(label('user'), q.user),
    h('div', { className: 'field' }, '价值区间', h('div', { className: 'range' }, q.price_inf, h('span', {}, '—'), q.price_sup)),
    field(label('description'), q.description),
    field(label('expire'), q.expire),
    field(label('status'), q.status),
    h('div', { className: 'search-actions' },
      h('button', { type: 'submit', className: 'btn btn-primary', id: 'search-submit' }, '搜索'),
      button('重置', () => { for (const i of Object.values(q)) i.value = ''; q.expire.value = '0'; search(); })),
    searchMsg,
  );
  // A search kept in the URL comes back as it was.
  if (arg) {
    for (const [k, el] of Object.entries(q)) el.value = saved.get(k) ?? (k === 'expire' ? '0' : '');
    if (saved.get('expire') === 'all') q.expire.value = '';
    for (const k of ['department', 'asset_tree_node']) if (saved.get(k)) state.filter[k] = saved.get(k);
    state.page = Math.max(1, Number(saved.get('page')) || 1);
  }

  const retireBtn = button('清退所选', retire, 'btn-danger', { id: 'retire-selected', disabled: true });
  const exportSelBtn = button('导出所选', () => exportIds([...state.selected], exportSelBtn), '', { id: 'export-selected', disabled: true });
  const exportAllBtn = button('导出搜索结果', exportSearch, '', { id: 'export-search' });
  const labelsBtn = button('打印标签', () => labelsDialog(), '', { id: 'print-labels', title: '为所选资产或搜索结果生成标签PDF（二维码与条形码）' });
  // Empty: the register as it is; a day: as it stood at that day's end (the server says how far
  // back its history reaches).
  const asOf = input({ id: 'export-as-of', type: 'date', max: today(), onfocus: () => { asOf.max = today(); } });
  const asOfField = field('截至日期', asOf, 'field-inline as-of');
  asOfField.title = '留空导出当前的资产；选定日期则导出该日结束时的登记表（其后新建的不在其中，其后的修改已还原）';

  clear(
    root,
    h('div', { className: 'split' },
      h('aside', { className: 'card side' }, h('h3', { className: 'side-title' }, '部门与分类'), tree),
      h('section', { className: 'main' },
        searchForm,
        h('div', { className: 'card' },
          h('div', { className: 'toolbar' },
            scopeLabel,
            h('div', { className: 'toolbar-actions' },
              button('新建资产', () => createAssetDialog(() => load()), 'btn-primary', { id: 'new-asset' }),
              retireBtn, exportSelBtn, asOfField, exportAllBtn, labelsBtn)),
          msg,
          h('div', { className: 'table-wrap' },
            h('table', { className: 'table', id: 'asset-table' },
              h('thead', {}, h('tr', {},
                h('th', { className: 'col-check' }, checkAll),
                [['id', 1], ['name'], ['assetClass'], ['count', 1], ['user'], ['当前价值', 1], ['原值', 1], ['assetTree'], ['department'], ['status'], ['create_time']]
                  .map(([f, num]) => h('th', { className: num ? 'num' : '' }, label(f))))),
              tableBody)),
          pagerBox))),
  );

  checkAll.addEventListener('change', () => {
    for (const a of state.rows) {
      if (checkAll.checked) state.selected.add(a.id);
      else state.selected.delete(a.id);
    }
    renderRows();
  });

  function currentFilter() {
    const f = { ...state.filter };
    for (const [k, el] of Object.entries(q)) {
      const v = el.value.trim();
      if (v !== '') f[k] = v;
      else delete f[k];
    }
    return f;
  }

  function search() {
    state.page = 1;
    state.selected.clear();
    load();
  }

  /** The row of an empty list: a search that found nothing, or an empty register with its next
   * step (a department first for a new company, then categories, then assets). */
  function emptyRow() {
    const td = h('td', { className: 'empty', colSpan: 12, id: 'asset-empty' }, '没有符合条件的资产');
    const f = currentFilter();
    if (Object.keys(f).some((k) => k !== 'expire' || f[k] !== '0')) return h('tr', {}, td);
    const link = (href, text) => h('a', { href, className: 'empty-link' }, text);
    departments().then((list) => {
      if (me.character === 3 && !list.length) clear(td, '登记表还是空的。请先', link('#departments', '创建部门'), '。');
      else clear(td, '登记表还是空的。请先在', link('#categories', '「分类」'), '页建好分类，再点「新建资产」登记一项，或到', link('#import', '「导入」'), '页从 Excel 导入。');
    }, () => {});
    return h('tr', {}, td);
  }

  function updateButtons() {
    const n = state.selected.size;
    retireBtn.disabled = n === 0;
    exportSelBtn.disabled = n === 0;
    retireBtn.textContent = n ? `清退所选（${n}）` : '清退所选';
    exportSelBtn.textContent = n ? `导出所选（${n}）` : '导出所选';
  }

  function renderRows() {
    clear(tableBody);
    if (state.rows.length === 0) tableBody.append(emptyRow());
    for (const a of state.rows) {
      const box = h('input', { type: 'checkbox', checked: state.selected.has(a.id), attrs: { 'aria-label': `选择资产 ${a.id}` } });
      box.addEventListener('change', () => {
        if (box.checked) state.selected.add(a.id);
        else state.selected.delete(a.id);
        updateButtons();
      });
      const status = a.expire
        ? h('span', { className: 'badge badge-muted' }, '已清退')
        : h('span', { className: `badge badge-status-${a.status}` }, STATUS_NAMES[a.status] || String(a.status));
      const tr = h('tr', { className: a.expire ? 'row-retired row-open' : 'row-open', dataset: { id: a.id }, title: '查看资产详情' },
        h('td', { className: 'col-check' }, box),
        h('td', { className: 'num' }, a.id),
        h('td', { className: 'asset-name' }, a.name, a.parentName ? h('div', { className: 'sub' }, `上级：${a.parentName}`) : null),
        h('td', {}, h('span', { className: `tag tag-class-${a.assetClass}` }, CLASS_NAMES[a.assetClass] || '')),
        h('td', { className: 'num' }, a.count),
        h('td', {}, a.userName),
        h('td', { className: 'num' }, money(a.price)),
        h('td', { className: 'num muted' }, money(a.initial_price)),
        h('td', {}, a.assetTree),
        h('td', {}, a.departmentName),
        h('td', {}, status),
        h('td', { className: 'muted' }, a.create_time));
      // A click on the row (not its checkbox), or Enter on it, opens the asset.
      openable(tr, () => assetPanel(a, () => load()));
      tableBody.append(tr);
    }
    checkAll.checked = state.rows.length > 0 && state.rows.every((a) => state.selected.has(a.id));
    updateButtons();
  }

  async function load() {
    const f = currentFilter();
    scopeLabel.textContent = f.asset_tree_node
      ? `${f.department} / ${f.asset_tree_node}`
      : f.department || '全部资产';
    await busy(null, searchMsg, async () => {
      let answer;
      try {
        answer = await api('POST', path('search_assets'), { ...f, page: state.page, size: PAGE_SIZE });
      } catch (e) {
        if (e.code === 4 && state.page > 1) {
          state.page = 1;
          return load();
        }
        throw e;
      }
      state.rows = answer.data;
      state.total = answer.total;
      // The URL holds this search and page (no new history entry, no re-render).
      const keep = new URLSearchParams();
      for (const k of HASH_KEYS) {
        let v = k === 'page' ? (state.page > 1 ? String(state.page) : '') : (f[k] ?? '');
        if (k === 'expire' && v === '') v = 'all';
        if (v !== '' && !(k === 'expire' && v === '0')) keep.set(k, v);
      }
      const hash = keep.size ? `#assets/${encodeURIComponent(keep.toString())}` : '#assets';
      if (location.hash !== hash && root.isConnected) history.replaceState(null, '', hash);
      renderRows();
      clear(pagerBox, pager(state.page, answer.pages, answer.total, (p) => { state.page = p; load(); }));
    });
  }

  async function retire() {
    const ids = [...state.selected];
    if (!ids.length || !confirm(`确定清退所选的 ${ids.length} 项资产？清退后价值归零。`)) return;
    await busy(retireBtn, msg, async () => {
      await api('PUT', path('expire_asset'), ids);
      state.selected.clear();
      msg.ok(`已清退 ${ids.length} 项资产`);
      await load();
    });
  }

  async function exportIds(ids, btn) {
    if (!ids.length) {
      msg.error('没有可导出的资产');
      return;
    }
    await busy(btn, msg, async () => {
      const answer = await api('POST', path('export_task'), ids);
      const id = answer.data.id;
      clear(msg, `已创建导出任务 #${id}（${ids.length} 项），`, h('a', { href: `#task/${id}`, id: 'export-task-link' }, '查看任务并下载'));
      msg.className = 'msg msg-ok';
    });
  }

  /** Exports everything the search finds: the server selects the assets (one request,
   * however many there are); with 截至日期, those it would have found at that day's end. */
  async function exportSearch() {
    await busy(exportAllBtn, msg, async () => {
      const req = { filter: currentFilter() };
      if (asOf.value) req.as_of = asOf.value;
      const answer = await api('POST', path('export_task'), req);
      const id = answer.data.id;
      // The list counts what the search finds now, not on a past day.
      const n = req.as_of ? `（截至 ${req.as_of}）` : state.total === undefined ? '' : `（${state.total} 项）`;
      clear(msg, `已创建导出任务 #${id}${n}，`, h('a', { href: `#task/${id}`, id: 'export-task-link' }, '查看任务并下载'));
      msg.className = 'msg msg-ok';
    });
  }

  /** 打印标签: of the selected assets or of everything the search finds (the server selects
   * those, as for 导出搜索结果), on a sheet from a chosen place (a sheet partly used before) or
   * on a label printer's roll. Then the new task's page, which offers the PDF. */
  function labelsDialog() {
    const msg = msgLine();
    const n = state.selected.size;
    const ofSelected = h('input', { type: 'radio', name: 'labels-of', value: 'ids', id: 'labels-of-selected', disabled: n === 0, checked: n > 0 });
    const ofSearch = h('input', { type: 'radio', name: 'labels-of', value: 'filter', id: 'labels-of-search', checked: n === 0 });
    const found = state.total === undefined ? '' : `（${state.total} 项）`;
    const which = h('fieldset', { className: 'choice span-2', id: 'labels-of' }, h('legend', {}, '打印哪些资产的标签'),
      h('label', {}, ofSelected, n ? `所选的 ${n} 项资产` : '所选的资产（尚未勾选）'),
      h('label', {}, ofSearch, `搜索结果的全部资产${found}`));
    const layout = select(LABEL_LAYOUTS.map((l) => [l.name, l.text]), { id: 'labels-layout' });
    const start = input({ id: 'labels-start', type: 'number', min: '1', step: '1', value: '1' });
    const startField = field('起始位置', start);
    const startHint = h('p', { className: 'hint span-2', id: 'labels-start-hint' });
    const perPage = () => LABEL_LAYOUTS.find((l) => l.name === layout.value).perPage;
    // The start place is a sheet's: a label printer's roll has none.
    const shown = () => {
      const sheet = perPage() > 1;
      startField.hidden = !sheet;
      startHint.hidden = !sheet;
      start.max = String(perPage());
      startHint.textContent = `用掉一部分的标签纸时，填第一张上第一枚空白标签的位置：第 1 枚在左上角，按行从左到右数（1 到 ${perPage()}）。之后各张从第 1 枚开始。`;
    };
    layout.addEventListener('change', shown);
    start.addEventListener('input', () => start.classList.remove('field-error'));
    shown();
    const create = button('生成标签', () => busy(create, msg, async () => {
      start.classList.remove('field-error');
      const body = ofSelected.checked ? { ids: [...state.selected] } : { filter: currentFilter() };
      body.layout = layout.value;
      if (perPage() > 1) {
        const place = Number(start.value);
        if (!Number.isInteger(place) || place < 1 || place > perPage()) {
          start.classList.add('field-error');
          start.focus();
          throw new Error(`起始位置须为 1 到 ${perPage()} 的整数`);
        }
        body.offset = place - 1;
      }
      const answer = await api('POST', path('label_task'), body);
      close();
      location.hash = `#task/${answer.data.id}`;
    }), 'btn-primary', { id: 'labels-create' });
    const close = openDialog(
      '打印标签',
      h('div', { className: 'form-grid form-grid-2' }, which, field('标签规格', layout), startField, startHint),
      [h('div', { className: 'dialog-msg', id: 'labels-msg' }, msg), button('取消', () => close()), create],
    );
  }

  renderTree(tree, (filter) => {
    state.filter = { ...filter };
    search();
  });
  load();
}

/** The left-hand tree: 全部资产, then departments, each opening to its categories. */
async function renderTree(tree, choose) {
  const select = (li, filter) => {
    for (const el of tree.querySelectorAll('.tree-label.active')) el.classList.remove('active');
    li.classList.add('active');
    choose(filter);
  };
  const all = h('button', { type: 'button', className: 'tree-label active', dataset: { node: 'all' } }, '全部资产');
  all.addEventListener('click', () => select(all, {}));
  clear(tree, h('ul', {}, h('li', {}, all)));
  let list;
  try {
    list = await departments();
  } catch (e) {
    tree.append(h('p', { className: 'msg msg-error' }, e.message));
    return;
  }
  const deptList = h('ul', {});
  tree.firstChild.firstChild.append(deptList);
  const addDept = (parentUl, d) => {
    const deptButton = h('button', { type: 'button', className: 'tree-label', dataset: { department: d.name } }, d.name);
    const caret = h('button', { type: 'button', className: 'caret', title: '展开分类', attrs: { 'aria-expanded': 'false' } }, '▸');
    const cats = h('ul', { className: 'tree-cats', hidden: true });
    const kids = h('ul', {});
    let loaded = false;
    caret.addEventListener('click', async () => {
      const open = cats.hidden;
      cats.hidden = !open;
      caret.textContent = open ? '▾' : '▸';
      caret.setAttribute('aria-expanded', String(open));
      if (open && !loaded) {
        loaded = true;
        try {
          const root = await categoryTree(d.name);
          const addCat = (ul, node) => {
            const c = h('button', { type: 'button', className: 'tree-label tree-cat', dataset: { category: node.name } }, node.name);
            c.addEventListener('click', () => select(c, { department: d.name, asset_tree_node: node.name }));
            const sub = h('ul', {});
            for (const child of node.children || []) addCat(sub, child);
            ul.append(h('li', {}, c, node.children && node.children.length ? sub : null));
          };
          addCat(cats, root);
        } catch (e) {
          cats.append(h('li', { className: 'msg msg-error' }, e.message));
        }
      }
    });
    deptButton.addEventListener('click', () => {
      select(deptButton, { department: d.name });
      if (cats.hidden) caret.click();
    });
    parentUl.append(h('li', {}, h('div', { className: 'tree-row' }, caret, deptButton), cats, kids));
    for (const c of d.children) addDept(kids, c);
  };
  for (const d of nest(list)) addDept(deptList, d);
  if (!list.length) {
    // A new company has none yet: say where they are made (the admin's 部门 page).
    deptList.append(h('li', { className: 'muted tree-note', id: 'tree-empty' }, me.character === 3
      ? ['还没有部门。', h('a', { href: '#departments', id: 'tree-empty-link' }, '到「部门」页创建第一个部门'), '，再到「用户」页为它添加资产管理员。']
      : '您的部门不在可见范围内，请联系系统管理员。'));
  }
}

/** The create-one-asset dialog; `done` runs after a successful create. */
export async function createAssetDialog(done) {
  const msg = msgLine();
  const f = {
    name: input({ id: 'asset-name', maxLength: 128, required: true }),
    assetClass: select([['0', '数量型'], ['1', '条目型']], { id: 'asset-class' }),
    department: select([], { id: 'asset-department' }),
    assetTree: select([], { id: 'asset-tree' }),
    user: withOwnerSuggestions(input({ id: 'asset-user', value: me.character === 2 ? me.name : '' })),
    price: input({ id: 'asset-price', type: 'number', min: '0', step: '0.01', value: '0' }),
    count: input({ id: 'asset-count', type: 'number', min: '1', step: '1', value: '1' }),
    deadline: input({ id: 'asset-deadline', type: 'number', min: '0', step: '1', value: '5' }),
    // The asset's date (a migrated asset keeps its own): its depreciation counts from it.
    create_time: input({ id: 'asset-date', type: 'date', value: today(), max: today() }),
    position: input({ id: 'asset-position', maxLength: 256 }),
    description: h('textarea', { id: 'asset-description', rows: 2, maxLength: 4096 }),
    parent: input({ id: 'asset-parent', placeholder: '可选：上级条目型资产的名称或编号' }),
  };
  const loadCategories = async () => {
    clear(f.assetTree);
    if (!f.department.value) return;
    try {
      const cats = flattenCategories(await categoryTree(f.department.value));
      for (const c of cats) {
        f.assetTree.append(h('option', { value: c.name }, `${'　'.repeat(c.depth)}${c.name}`));
      }
      const wanted = f.assetClass.value === '1' ? '条目型资产' : '数量型资产';
      if (cats.some((c) => c.name === wanted)) f.assetTree.value = wanted;
    } catch (e) {
      msg.error(e);
    }
  };
  // The owner must belong to the chosen department: a change of department empties it (the
  // manager pre-filled for their own department would be refused in a sub-department).
  f.department.addEventListener('change', () => {
    f.user.value = '';
    f.user.placeholder = `${f.department.value}的成员`;
    loadCategories();
  });
  f.assetClass.addEventListener('change', () => {
    if (f.assetClass.value === '1') f.count.value = '1';
    const fixed = { 数量型资产: '0', 条目型资产: '1' };
    if (f.assetTree.value in fixed || f.assetTree.value === '默认分类') {
      f.assetTree.value = f.assetClass.value === '1' ? '条目型资产' : '数量型资产';
    }
  });
  const save = button('创建', () => busy(save, msg, async () => {
    const row = {
      name: f.name.value,
      assetClass: Number(f.assetClass.value),
      user: f.user.value.trim(),
      price: f.price.value.trim(),
      count: f.count.value.trim(),
      deadline: f.deadline.value.trim(),
      create_time: f.create_time.value,
      assetTree: f.assetTree.value,
      department: f.department.value,
      position: f.position.value,
      description: f.description.value,
      parent: f.parent.value.trim(),
    };
    let answer;
    try {
      answer = await api('POST', path('post_asset'), row);
    } catch (e) {
      markFields(e, f);
      throw e;
    }
    close();
    toast(`已创建资产 #${answer.data.id}`);
    done(answer.data.id);
  }), 'btn-primary', { id: 'asset-save' });
  const close = openDialog(
    '新建资产',
    h('div', { className: 'form-grid form-grid-2' },
      field('资产名 *', f.name, 'span-2'),
      field('资产类型', f.assetClass),
      field('所属部门', f.department),
      field('所属品类', f.assetTree),
      field('挂账人', f.user),
      field('原值（元）', f.price),
      field('资产数量', f.count),
      field('使用期限（年）', f.deadline),
      field('创建时间', f.create_time),
      field(label('position'), f.position),
      field('父资产', f.parent, 'span-2'),
      field(label('description'), f.description, 'span-2')),
    // The message sits by the buttons, where it is seen whatever the dialog's scroll.
    [h('div', { className: 'dialog-msg', id: 'asset-msg' }, msg), button('取消', () => close()), save],
  );
  try {
    const list = await departments();
    const depth = (d) => {
      let n = 0;
      for (let p = d.parent; p && n < 50; p = list.find((x) => x.name === p)?.parent) n += 1;
      return n;
    };
    for (const d of list) f.department.append(h('option', { value: d.name }, `${'　'.repeat(depth(d))}${d.name}`));
    if (!list.length) msg.error('您没有可管理的部门，无法新建资产');
    const own = ownDepartment();
    if (own && list.some((d) => d.name === own)) f.department.value = own;
    await loadCategories();
  } catch (e) {
    msg.error(e);
  }
}
