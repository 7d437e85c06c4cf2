// The system admin's screens (departments, categories) and the super admin's (entities); the
// users' screen is users.js.

import { api, headRow, busy, button, clear, field, h, input, msgLine, path, select } from './core.js';
import { categoryTree, departments, entityName, flattenCategories, nest } from './org.js';

/** Runs `render` with the caller's company (GET /api/character names it). */
export function withEntity(root, render) {
  if (entityName()) return render(entityName());
  clear(root, h('section', { className: 'card narrow' },
    h('p', { className: 'msg msg-error' }, '您的账号没有所属的业务实体，请联系超级管理员。')));
  return undefined;
}

export const indentName = (depth, name) => `${'　'.repeat(depth)}${depth ? '└ ' : ''}${name}`;

export function flatDepartments(list) {
  const out = [];
  const walk = (nodes, depth) => {
    for (const d of nodes) {
      out.push({ ...d, depth });
      walk(d.children, depth + 1);
    }
  };
  walk(nest(list), 0);
  return out;
}

// ---------------------------------------------------------------- departments

export function departmentsView(root) {
  withEntity(root, () => {
    const body = h('tbody');
    const listMsg = msgLine();
    const name = input({ id: 'department-name', maxLength: 128 });
    const parent = select([['', '（顶级部门）']], { id: 'department-parent' });
    const msg = msgLine();
    const create = button('创建部门', () => busy(create, msg, async () => {
      await api('POST', path('department'), { name: name.value.trim(), parent: parent.value });
      msg.ok(`已创建部门「${name.value.trim()}」`);
      name.value = '';
      await load();
    }), 'btn-primary', { id: 'department-create' });
    clear(root, h('div', { className: 'grid-main-side' },
      h('section', { className: 'card' },
        h('h2', { className: 'card-title' }, '部门'),
        listMsg,
        h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'department-table' },
          headRow(['部门名称', '上级部门', '用户数', '资产数', '操作']),
          body))),
      h('section', { className: 'card' },
        h('h2', { className: 'card-title' }, '新建部门'),
        h('div', { className: 'form-grid' }, field('部门名称', name), field('上级部门', parent)),
        h('div', { className: 'actions' }, create), msg,
        h('p', { className: 'hint' }, '新部门自动带有分类「默认分类」及其下的「数量型资产」「条目型资产」。'))));

    const load = () => busy(null, listMsg, async () => {
      const list = flatDepartments(await departments(true));
      clear(body);
      clear(parent, h('option', { value: '' }, '（顶级部门）'));
      if (!list.length) body.append(h('tr', {}, h('td', { className: 'empty', colSpan: 5 }, '还没有部门')));
      for (const d of list) {
        parent.append(h('option', { value: d.name }, indentName(d.depth, d.name)));
        const del = button('删除', () => {
          if (!confirm(`确定删除部门「${d.name}」？`)) return;
          busy(del, listMsg, async () => {
            await api('DELETE', path('department', d.name));
            listMsg.ok(`已删除部门「${d.name}」`);
            await load();
          });
        }, 'btn-small btn-danger-ghost');
        body.append(h('tr', { dataset: { department: d.name } },
          h('td', { className: 'tree-name' }, indentName(d.depth, d.name)),
          h('td', { className: 'muted' }, d.parent || '—'),
          h('td', { className: 'num' }, d.users ?? ''),
          h('td', { className: 'num' }, d.assets ?? ''),
          h('td', { className: 'row-actions' }, del)));
      }
    });
    load();
  });
}


// ---------------------------------------------------------------- categories

export function categoriesView(root) {
  withEntity(root, async () => {
    const dept = select([], { id: 'category-department' });
    const treeBox = h('div', { className: 'cat-tree', id: 'category-tree' });
    const listMsg = msgLine();
    const name = input({ id: 'category-name', maxLength: 128 });
    const parent = select([], { id: 'category-parent' });
    const msg = msgLine();
    const create = button('添加分类', () => busy(create, msg, async () => {
      await api('POST', path('asset_tree'), { name: name.value.trim(), parent: parent.value, department: dept.value });
      msg.ok(`已添加分类「${name.value.trim()}」`);
      name.value = '';
      await load();
    }), 'btn-primary', { id: 'category-create' });
    clear(root, h('div', { className: 'grid-main-side' },
      h('section', { className: 'card' },
        h('div', { className: 'toolbar' }, h('h2', { className: 'card-title' }, '资产分类'), field('部门', dept, 'field-inline')),
        listMsg, treeBox),
      h('section', { className: 'card' },
        h('h2', { className: 'card-title' }, '添加分类'),
        h('div', { className: 'form-grid' }, field('上级分类', parent), field('分类名称', name)),
        h('div', { className: 'actions' }, create), msg,
        h('p', { className: 'hint' }, '「数量型资产」下的分类只接受数量型资产，「条目型资产」下的只接受条目型资产。三个固定分类不能删除。'))));

    const classTag = (c) => (c === null || c === undefined
      ? h('span', { className: 'tag' }, '两类皆可')
      : h('span', { className: `tag tag-class-${c}` }, c === 0 ? '数量型' : '条目型'));

    const load = () => busy(null, listMsg, async () => {
      if (!dept.value) {
        clear(treeBox, h('p', { className: 'muted' }, '请先创建部门'));
        return;
      }
      const root = await categoryTree(dept.value);
      const render = (node) => {
        const del = node.fixed ? h('span', { className: 'tag tag-fixed' }, '固定') : button('删除', () => {
          if (!confirm(`确定删除分类「${node.name}」？`)) return;
          busy(del, listMsg, async () => {
            await api('DELETE', path('sub_asset_tree', dept.value, node.name));
            listMsg.ok(`已删除分类「${node.name}」`);
            await load();
          });
        }, 'btn-small btn-danger-ghost');
        return h('li', { dataset: { category: node.name } },
          h('div', { className: 'cat-row' }, h('span', { className: 'cat-name' }, node.name), classTag(node.class), del),
          node.children && node.children.length ? h('ul', {}, node.children.map(render)) : null);
      };
      clear(treeBox, h('ul', {}, render(root)));
      const current = parent.value;
      clear(parent, flattenCategories(root).map((c) => h('option', { value: c.name }, indentName(c.depth, c.name))));
      if (current) parent.value = current;
      if (!parent.value) parent.value = root.name;
    });
    dept.addEventListener('change', () => {
      clear(parent);
      load();
    });
    try {
      for (const d of flatDepartments(await departments())) dept.append(h('option', { value: d.name }, indentName(d.depth, d.name)));
    } catch (e) {
      listMsg.error(e);
    }
    load();
  });
}

// ---------------------------------------------------------------- entities (super admin)

export function entitiesView(root) {
  const body = h('tbody');
  const listMsg = msgLine();
  const name = input({ id: 'entity-new-name', maxLength: 128 });
  const msg = msgLine();
  const create = button('创建业务实体', () => busy(create, msg, async () => {
    await api('POST', path('entity'), { name: name.value.trim() });
    msg.ok(`已创建业务实体「${name.value.trim()}」`);
    name.value = '';
    await load();
  }), 'btn-primary', { id: 'entity-create' });
  clear(root, h('div', { className: 'grid-main-side' },
    h('section', { className: 'card' },
      h('h2', { className: 'card-title' }, '业务实体'), listMsg,
      h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'entity-table' },
        headRow(['编号', '名称', '部门数', '用户数', '操作']),
        body))),
    h('section', { className: 'card' },
      h('h2', { className: 'card-title' }, '新建业务实体'),
      h('div', { className: 'form-grid' }, field('名称', name)),
      h('div', { className: 'actions' }, create), msg,
      h('p', { className: 'hint' }, '创建后在「用户」页为它添加系统管理员。'))));
  const load = () => busy(null, listMsg, async () => {
    const list = (await api('GET', path('entity'))).data;
    clear(body);
    if (!list.length) body.append(h('tr', {}, h('td', { className: 'empty', colSpan: 5 }, '还没有业务实体')));
    for (const e of list) {
      body.append(h('tr', {},
        h('td', { className: 'num' }, e.id), h('td', {}, e.name),
        h('td', { className: 'num' }, e.departments), h('td', { className: 'num' }, e.users),
        h('td', {}, h('a', { className: 'btn btn-small', href: `#users/${encodeURIComponent(e.name)}` }, '系统管理员'))));
    }
  });
  load();
}
