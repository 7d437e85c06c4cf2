// The system admin's screens (departments, users, categories) and the super admin's
// (entities and their system admins).

import { api, headRow, busy, button, clear, field, h, input, me, msgLine, openDialog, pager, path, ROLE_NAMES, select } from './core.js';
import { categoryTree, departments, entityName, flattenCategories, nest } from './org.js';

/** Runs `render` with the caller's company (GET /api/character names it). */
function withEntity(root, render) {
  if (entityName()) return render(entityName());
  clear(root, h('section', { className: 'card narrow' },
    h('p', { className: 'msg msg-error' }, '您的账号没有所属的业务实体，请联系超级管理员。')));
  return undefined;
}

const indentName = (depth, name) => `${'　'.repeat(depth)}${depth ? '└ ' : ''}${name}`;

function flatDepartments(list) {
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

// ---------------------------------------------------------------- users

export function usersView(root, entityArg) {
  if (me.character === 4) {
    superUsers(root, entityArg);
    return;
  }
  withEntity(root, (entity) => userScreen(root, entity, false));
}

async function superUsers(root, entityArg) {
  let entities = [];
  try {
    entities = (await api('GET', path('entity'))).data;
  } catch (e) {
    clear(root, h('p', { className: 'msg msg-error' }, e.message));
    return;
  }
  if (!entities.length) {
    clear(root, h('section', { className: 'card narrow' }, h('p', {}, '还没有业务实体，请先在「业务实体」页创建。')));
    return;
  }
  const entity = entityArg && entities.some((e) => e.name === entityArg) ? entityArg : entities[0].name;
  userScreen(root, entity, true, entities);
}

function userScreen(root, entity, isSuper, entities) {
  const body = h('tbody');
  const pagerBox = h('div');
  const listMsg = msgLine();
  let page = 1;
  const f = {
    name: input({ id: 'user-name', maxLength: 128, autocomplete: 'off' }),
    password: input({ id: 'user-password', type: 'password', autocomplete: 'new-password' }),
    character: isSuper ? select([['3', '系统管理员']], { id: 'user-character' }) : select([['2', '资产管理员'], ['1', '普通用户']], { id: 'user-character' }),
    department: select([], { id: 'user-department' }),
    email: input({ id: 'user-email', type: 'email', autocomplete: 'off' }),
  };
  const msg = msgLine();
  const create = button(isSuper ? '创建系统管理员' : '创建用户', () => busy(create, msg, async () => {
    await api('POST', path('user'), {
      name: f.name.value.trim(),
      password: f.password.value,
      entity,
      department: isSuper ? '' : f.department.value,
      character: Number(f.character.value),
      lock: false,
      email: f.email.value.trim() || null,
    });
    msg.ok(`已创建用户「${f.name.value.trim()}」`);
    f.name.value = '';
    f.password.value = '';
    f.email.value = '';
    await load(page);
  }), 'btn-primary', { id: 'user-create' });

  const entityPicker = isSuper
    ? field('业务实体', select(entities.map((e) => [e.name, e.name]), {
      id: 'user-entity', value: entity, onchange: (e) => { location.hash = `#users/${encodeURIComponent(e.target.value)}`; },
    }))
    : null;
  if (entityPicker) entityPicker.querySelector('select').value = entity;

  clear(root, h('div', { className: 'grid-main-side' },
    h('section', { className: 'card' },
      h('div', { className: 'toolbar' }, h('h2', { className: 'card-title' }, isSuper ? '系统管理员' : '用户'), entityPicker),
      listMsg,
      h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'user-table' },
        headRow(['编号', '用户名', '邮箱', '角色', '部门', '状态', '操作']),
        body)),
      pagerBox),
    h('section', { className: 'card' },
      h('h2', { className: 'card-title' }, isSuper ? '新建系统管理员' : '新建用户'),
      h('div', { className: 'form-grid' },
        field('用户名', f.name), field('初始密码（6 到 128 位）', f.password), field('角色', f.character),
        isSuper ? null : field('所属部门', f.department), field('邮箱（可选）', f.email)),
      h('div', { className: 'actions' }, create), msg)));

  const manageable = (u) => (isSuper ? u.character === 3 : u.character === 1 || u.character === 2);

  const load = (p) => busy(null, listMsg, async () => {
    const answer = await api('GET', `${path('user_entity', entity, p)}?size=20`);
    page = p;
    clear(body);
    for (const u of answer.data) {
      const lockBtn = button(u.lock ? '解锁' : '锁定', () => busy(lockBtn, listMsg, async () => {
        await api('PUT', path('user'), { id: u.id, lock: !u.lock });
        listMsg.ok(`已${u.lock ? '解锁' : '锁定'}用户「${u.name}」`);
        await load(page);
      }), u.lock ? 'btn-small' : 'btn-small btn-danger-ghost', { dataset: { action: 'lock' } });
      const resetBtn = button('重置密码', () => resetPassword(u, listMsg), 'btn-small', { dataset: { action: 'reset' } });
      body.append(h('tr', { dataset: { user: u.name } },
        h('td', { className: 'num' }, u.id),
        h('td', {}, u.name),
        h('td', { className: 'muted' }, u.email || '—'),
        h('td', {}, h('span', { className: `tag tag-role-${u.character}` }, ROLE_NAMES[u.character] || '')),
        h('td', {}, u.department || '—'),
        h('td', {}, u.lock ? h('span', { className: 'badge badge-fail' }, '已锁定') : h('span', { className: 'badge badge-ok' }, '正常')),
        h('td', { className: 'row-actions' }, manageable(u) ? [lockBtn, resetBtn] : h('span', { className: 'muted' }, '—'))));
    }
    clear(pagerBox, pager(page, answer.pages, answer.total, load));
  });

  if (!isSuper) {
    departments().then((list) => {
      for (const d of flatDepartments(list)) f.department.append(h('option', { value: d.name }, indentName(d.depth, d.name)));
    }, (e) => msg.error(e));
  }
  load(1);
}

function resetPassword(u, listMsg) {
  const pw = input({ type: 'password', id: 'reset-password', autocomplete: 'new-password' });
  const msg = msgLine();
  const save = button('重置', () => busy(save, msg, async () => {
    await api('PUT', path('user'), { id: u.id, password: pw.value });
    close();
    listMsg.ok(`已重置用户「${u.name}」的密码`);
  }), 'btn-primary', { id: 'reset-save' });
  const close = openDialog(`重置「${u.name}」的密码`, h('div', { className: 'form-grid' }, field('新密码（6 到 128 位）', pw), msg), [button('取消', () => close()), save]);
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
