// The admin page: login, the shell (top bar, navigation by role) and a hash router.

import { api, ApiError, columns, me, button, clear, field, h, msgLine, openDialog, ROLE_NAMES, session, SESSION_KEY, busy, toast, whenSessionLost } from './core.js';
import { assetsView } from './assets.js';
import { ownAssetsView } from './mine.js';
import { importView } from './import.js';
import { taskView } from './task.js';
import { tasksView } from './task_list.js';
import { stopPolling } from './task_parts.js';
import { categoriesView, departmentsView, entitiesView } from './admin.js';
import { usersView } from './users.js';
import { journalView } from './journal.js';
import { backupsView } from './backups.js';
import { forgetOrg } from './org.js';
import { refreshBadge, requestsView } from './requests.js';
import { stocktakeView } from './stocktake.js';

const VIEWS = {
  assets: { label: '资产', roles: [2, 3], render: assetsView },
  import: { label: '导入', roles: [2, 3], render: importView },
  tasks: { label: '任务', roles: [2, 3], render: tasksView },
  entities: { label: '业务实体', roles: [4], render: entitiesView },
  departments: { label: '部门', roles: [3], render: departmentsView },
  users: { label: '用户', roles: [3, 4], render: usersView },
  categories: { label: '分类', roles: [2, 3], render: categoriesView },
  journal: { label: '操作日志', roles: [3, 4], render: journalView },
  backups: { label: '备份', roles: [4], render: backupsView },
  mine: { label: '我的资产', roles: [1], render: ownAssetsView },
  requests: { label: '申请', roles: [1, 2, 3], render: requestsView },
  stocktake: { label: '盘点', roles: [2, 3], render: stocktakeView },
  task: { roles: [2, 3], render: taskView, under: 'tasks' },
};

const DEFAULT_VIEW = { 1: 'mine', 2: 'assets', 3: 'assets', 4: 'entities' };

const $ = (id) => document.getElementById(id);

function showLogin(message) {
  stopPolling();
  $('app-screen').hidden = true;
  $('setup-screen').hidden = true;
  $('login-screen').hidden = false;
  const msg = $('login-msg');
  msg.className = message ? 'msg msg-error' : 'msg';
  msg.textContent = message || '';
  $('login-password').value = '';
  $('login-identity').focus();
}

async function login(ev) {
  ev.preventDefault();
  const submit = $('login-submit');
  const msg = $('login-msg');
  msg.className = 'msg';
  msg.textContent = '';
  submit.disabled = true;
  try {
    const answer = await api('POST', '/api/login', {
      identity: $('login-identity').value.trim(),
      password: $('login-password').value,
    });
    forgetOrg();
    session.set(answer.data.session);
    await enter();
  } catch (e) {
    msg.className = 'msg msg-error';
    msg.textContent = e.message;
  } finally {
    submit.disabled = false;
  }
}

async function logout() {
  const s = session.get();
  stopPolling();
  session.clear();
  forgetOrg();
  for (const k of Object.keys(me)) delete me[k];
  if (s) {
    try {
      await api('PUT', '/api/logout', { session: s });
    } catch (e) {
      // The session is forgotten here either way; an already-ended one is fine.
    }
  }
  history.replaceState(null, '', '/');
  showLogin();
}

/** Loads who is logged in and shows the app; an invalid session goes back to the login. */
async function enter() {
  let answer;
  try {
    answer = await api('GET', `/api/character/${session.get()}`);
  } catch (e) {
    session.clear();
    showLogin(e instanceof ApiError && e.status === 401 ? '' : e.message);
    return;
  }
  Object.assign(me, answer.data);
  $('who-name').textContent = me.name;
  $('who-role').textContent = ROLE_NAMES[me.character] || '';
  $('login-screen').hidden = true;
  $('app-screen').hidden = false;
  buildNav();
  // The column names, which the views' labels and the messages (`readable`) use.
  await columns().catch(() => {});
  route();
  // After login, the keyboard starts in the view: its first field, else its first control.
  const view = $('view');
  const first = view.querySelector('input:not([type=checkbox]):not([type=radio]):not([type=file])')
    || view.querySelector('select, button, a[href], [tabindex="0"]');
  if (first) first.focus();
}

function buildNav() {
  clear(
    $('nav'),
    Object.entries(VIEWS)
      .filter(([, v]) => v.label && v.roles.includes(me.character))
      .map(([name, v]) => h('a', { href: `#${name}`, className: 'nav-item', dataset: { view: name } }, v.label)),
  );
  // The count of requests waiting for the caller's review, kept fresh while the page is open.
  refreshBadge();
}

setInterval(() => {
  if (!document.hidden && !$('app-screen').hidden) refreshBadge();
}, 60000);

function route() {
  if ($('app-screen').hidden) return;
  const [name, arg] = location.hash.replace(/^#/, '').split('/');
  let view = VIEWS[name];
  let chosen = name;
  if (!view || !view.roles.includes(me.character)) {
    chosen = DEFAULT_VIEW[me.character];
    view = VIEWS[chosen];
    if (!view) return;
    history.replaceState(null, '', `#${chosen}`);
  }
  stopPolling();
  for (const a of $('nav').children) {
    a.classList.toggle('active', a.dataset.view === (view.under || chosen));
  }
  const root = clear($('view'));
  root.dataset.view = chosen;
  view.render(root, arg ? decodeURIComponent(arg) : undefined);
}

function changePassword() {
  const oldpassword = h('input', { type: 'password', autocomplete: 'current-password' });
  const newpassword = h('input', { type: 'password', autocomplete: 'new-password' });
  const msg = msgLine();
  const save = button('保存', () => busy(save, msg, async () => {
    await api('PUT', `/api/user_password/${session.get()}`, {
      oldpassword: oldpassword.value,
      newpassword: newpassword.value,
    });
    close();
    toast('密码已修改');
  }), 'btn-primary');
  const close = openDialog(
    '修改密码',
    h('div', { className: 'form-grid' }, field('原密码', oldpassword), field('新密码（6 到 128 位）', newpassword), msg),
    [button('取消', () => close()), save],
  );
}

/**
 * The first start: until the super admin has a password, the page asks for it (on the server's
 * own computer; elsewhere it says where to go). Resolves true when the setup screen is shown.
 */
async function setupIfPending() {
  let state;
  try {
    state = (await api('GET', '/api/setup')).data;
  } catch (e) {
    return false;
  }
  if (!state.pending) return false;
  $('login-screen').hidden = true;
  $('app-screen').hidden = true;
  $('setup-screen').hidden = false;
  $('setup-form').hidden = !state.local;
  $('setup-elsewhere').hidden = state.local;
  $('setup-local-url').textContent = `${location.protocol}//localhost${location.port ? `:${location.port}` : ''}/`;
  $('setup-demo-row').hidden = state.demo;
  if (state.local) $('setup-password').focus();
  return true;
}

async function completeSetup(ev) {
  ev.preventDefault();
  const msg = $('setup-msg');
  const submit = $('setup-submit');
  const password = $('setup-password').value;
  if (password !== $('setup-again').value) {
    msg.className = 'msg msg-error';
    msg.textContent = '两次输入的密码不一致';
    return;
  }
  submit.disabled = true;
  try {
    const answer = await api('POST', '/api/setup', {
      password,
      password_again: $('setup-again').value,
      demo: $('setup-demo').checked,
    });
    $('setup-password').value = '';
    $('setup-again').value = '';
    showLogin();
    $('login-identity').value = 'admin';
    const done = $('login-msg');
    done.className = 'msg msg-ok';
    done.textContent = answer.data.demo
      ? '设置完成，已创建示例企业。请用 admin 和刚设置的密码登录（示例账号密码 demo123）。'
      : '设置完成。请用 admin 和刚设置的密码登录。';
    $('login-password').focus();
  } catch (e) {
    msg.className = 'msg msg-error';
    msg.textContent = e.message;
  } finally {
    submit.disabled = false;
  }
}

whenSessionLost(() => {
  session.clear();
  forgetOrg();
  showLogin('会话已失效，请重新登录');
});

/** Gives the body cells of the tables the view just drew (or added rows to) their column's name
 * (`data-label`), from the table's head, for the phone layout's card rows. */
function labelCells(records) {
  const tables = new Set();
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (!(node instanceof Element)) continue;
      const around = node.closest('table.table');
      if (around) tables.add(around);
      for (const inside of node.querySelectorAll('table.table')) tables.add(inside);
    }
  }
  for (const table of tables) {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    if (!heads.length) continue;
    for (const tr of table.tBodies[0]?.rows || []) {
      [...tr.cells].forEach((td, i) => {
        if (heads[i] && !td.dataset.label && td.colSpan === 1) td.dataset.label = heads[i];
      });
    }
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', login);
  $('setup-form').addEventListener('submit', completeSetup);
  $('logout').addEventListener('click', logout);
  $('change-password').addEventListener('click', changePassword);
  window.addEventListener('hashchange', route);
  // Each table cell carries its column's name, which a phone shows beside it (app.css).
  new MutationObserver(labelCells).observe($('view'), { childList: true, subtree: true });
  new MutationObserver(labelCells).observe($('dialog'), { childList: true, subtree: true });
  // Another tab of this browser logged in or out: this one follows (the session is shared).
  window.addEventListener('storage', (e) => {
    if (e.key === SESSION_KEY || e.key === null) location.reload();
  });
  if (await setupIfPending()) return;
  if (session.get()) enter();
  else showLogin();
});
