// The users' screen: the system admin's users of its company (asset managers and staff), the
// super admin's system admins of each company; create, edit (department, role, email), delete,
// lock and reset. A user who leaves a department holding assets says where the assets go.

import { api, busy, button, clear, field, h, headRow, input, me, msgLine, openDialog, pager, path, ROLE_NAMES, select } from './core.js';
import { departments } from './org.js';
import { flatDepartments, indentName, withEntity } from './admin.js';

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
        // The list reloads first: its reload clears the message line.
        await load(page);
        listMsg.ok(`已${u.lock ? '解锁' : '锁定'}用户「${u.name}」`);
      }), u.lock ? 'btn-small' : 'btn-small btn-danger-ghost', { dataset: { action: 'lock' } });
      const resetBtn = button('重置密码', () => resetPassword(u, listMsg), 'btn-small', { dataset: { action: 'reset' } });
      const editBtn = button('编辑', () => editUser(u, isSuper, listMsg, () => load(page)), 'btn-small', { dataset: { action: 'edit' } });
      body.append(h('tr', { dataset: { user: u.name } },
        h('td', { className: 'num' }, u.id),
        h('td', {}, u.name),
        h('td', { className: 'muted' }, u.email || '—'),
        h('td', {}, h('span', { className: `tag tag-role-${u.character}` }, ROLE_NAMES[u.character] || '')),
        h('td', {}, u.department || '—'),
        h('td', {}, u.lock ? h('span', { className: 'badge badge-fail' }, '已锁定') : h('span', { className: 'badge badge-ok' }, '正常')),
        h('td', { className: 'row-actions' }, manageable(u) ? [editBtn, lockBtn, resetBtn] : h('span', { className: 'muted' }, '—'))));
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

/** The edit dialog of user `u`: role, department and email as the caller may set them, and
 * 删除用户. It first reads the user (how many assets they hold, who would receive them). When
 * the department changes and the user holds assets, the dialog asks where they go before saving;
 * deleting such a user hands them to the old department's asset manager, which it says. */
async function editUser(u, isSuper, listMsg, reload) {
  let d;
  try {
    d = (await api('GET', path('user', u.id))).data;
  } catch (e) {
    listMsg.error(e);
    return;
  }
  const msg = msgLine();
  const f = {
    character: isSuper ? select([['3', '系统管理员']], { id: 'edit-user-character' }) : select([['2', '资产管理员'], ['1', '普通用户']], { id: 'edit-user-character' }),
    department: select([], { id: 'edit-user-department' }),
    email: input({ id: 'edit-user-email', type: 'email', autocomplete: 'off', value: d.email || '' }),
  };
  f.character.value = String(d.character);
  const holds = d.assets > 0;
  const keepLabel = d.receiver ? `留在「${d.department}」，交给该部门的资产管理员「${d.receiver}」` : `留在「${d.department}」（该部门没有其他资产管理员，不可选）`;
  const choice = h('fieldset', { className: 'choice', id: 'edit-user-assets', hidden: true },
    h('legend', {}, `「${d.name}」名下有 ${d.assets} 项资产，它们去哪里？`),
    h('label', {}, h('input', { type: 'radio', name: 'assets', value: 'move', id: 'assets-move' }), '随用户转入新部门'),
    h('label', {}, h('input', { type: 'radio', name: 'assets', value: 'keep', id: 'assets-keep', disabled: !d.receiver }), keepLabel));
  const chosen = () => choice.querySelector('input[name=assets]:checked')?.value;
  const showChoice = () => { choice.hidden = !(holds && !isSuper && f.department.value !== d.department); };
  f.department.addEventListener('change', showChoice);

  const save = button('保存', () => busy(save, msg, async () => {
    const body = { character: Number(f.character.value), email: f.email.value.trim() || null };
    if (!isSuper) body.department = f.department.value;
    if (!choice.hidden) {
      if (!chosen()) throw new Error('请选择该用户名下资产的去向');
      body.assets = chosen();
    }
    try {
      const answer = (await api('POST', path('user', u.id), body)).data;
      close();
      const moved = answer.assets ? `，${answer.assets.count} 项资产现在由「${answer.assets.owner}」在「${answer.assets.department}」保管` : '';
      await reload();
      listMsg.ok(answer.changed.length ? `已修改用户「${d.name}」${moved}` : `用户「${d.name}」没有改动`);
    } catch (e) {
      // Assets came to the user since the dialog opened: ask now.
      if (e.code === 30) choice.hidden = false;
      throw e;
    }
  }), 'btn-primary', { id: 'edit-user-save' });

  const remove = button('删除用户', () => busy(remove, msg, async () => {
    const note = holds ? `其名下的 ${d.assets} 项资产将交给「${d.department}」的资产管理员「${d.receiver}」。` : '';
    if (!confirm(`确定删除用户「${d.name}」？${note}删除后无法恢复，该用户的操作日志保留。`)) return;
    await api('DELETE', path('user', u.id) + (holds ? '?assets=keep' : ''));
    close();
    await reload();
    listMsg.ok(`已删除用户「${d.name}」`);
  }), 'btn-danger', { id: 'edit-user-delete' });
  // Someone who created or re-ran tasks stays (the tasks name them): they can be locked instead.
  const removable = !d.has_tasks && (!holds || d.receiver);
  remove.disabled = !removable;
  if (!removable) remove.title = d.has_tasks ? '该用户创建过任务，不能删除；可以锁定' : '该部门没有其他资产管理员接收其名下资产，不能删除';

  const close = openDialog(`编辑用户「${d.name}」`, h('div', { className: 'form-grid' },
    field('角色', f.character),
    isSuper ? null : field('所属部门', f.department),
    field('邮箱（可选）', f.email),
    h('p', { className: 'muted', id: 'edit-user-holds' }, `名下资产：${d.assets} 项`),
    choice, msg), [remove, button('取消', () => close()), save]);

  if (!isSuper) {
    try {
      for (const dep of flatDepartments(await departments())) f.department.append(h('option', { value: dep.name }, indentName(dep.depth, dep.name)));
      f.department.value = d.department;
    } catch (e) {
      msg.error(e);
    }
  }
}
