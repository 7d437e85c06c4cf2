// One asset in the shared dialog: every field, its children, and (within the caller's reach)
// an edit form and 清退.

import {
  api, busy, button, CLASS_NAMES, clear, field, h, input, me, money, msgLine, openDialog, path, select, STATUS_NAMES,
  toast, withOwnerSuggestions,
} from './core.js';
import { categoryTree, flattenCategories } from './org.js';

/** One asset: every field, its children, and (within the caller's reach, unless retired) an
 * edit form and 清退. `changed` runs after an edit or a retire. */
export async function assetPanel(a, changed) {
  const msg = msgLine();
  const view = h('dl', { className: 'asset-fields', id: 'asset-panel-fields' }, [
    ['编号', a.id], ['名称', a.name], ['类型', CLASS_NAMES[a.assetClass] || ''], ['数量', a.count],
    ['挂账人', a.userName], ['所属部门', a.departmentName], ['所属品类', a.assetTree],
    ['当前价值', money(a.price)], ['原值', money(a.initial_price)], ['使用期限', `${a.deadline} 年（剩余 ${a.expire_date} 年）`],
    ['创建日期', a.create_time], ['使用状态', STATUS_NAMES[a.status] || ''], ['是否清退', a.expire ? '已清退' : '在用'],
    ['上级资产', a.parentName || '—'], ['位置', a.position || '—'], ['描述', a.description || '—'],
  ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
  const children = h('div', { id: 'asset-children' }, h('span', { className: 'muted' }, '加载中…'));
  const kidsBox = h('div', {}, h('h3', { className: 'sub-title' }, '下级资产'), children);
  const body = [view, kidsBox];
  const footer = [h('div', { className: 'dialog-msg' }, msg)];
  const canEdit = (me.character === 2 || me.character === 3) && !a.expire;
  if (canEdit) {
    const f = {
      name: input({ id: 'edit-name', value: a.name, maxLength: 128 }),
      user: withOwnerSuggestions(input({ id: 'edit-user', value: a.userName })),
      price: input({ id: 'edit-price', type: 'number', min: '0', step: '0.01', value: String(a.initial_price) }),
      count: input({ id: 'edit-count', type: 'number', min: '1', step: '1', value: String(a.count) }),
      deadline: input({ id: 'edit-deadline', type: 'number', min: '0', step: '1', value: String(a.deadline) }),
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
      field('名称', f.name, 'span-2'), field('挂账人', f.user), field('所属品类', f.assetTree),
      field('原值（元）', f.price), field('数量', f.count), field('使用期限（年）', f.deadline),
      field('使用状态', f.status), field('位置', f.position), field('描述', f.description, 'span-2'));
    body.push(form);
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
      const texts = { name: a.name, user: a.userName, assetTree: a.assetTree, position: a.position, description: a.description };
      for (const [k, was] of Object.entries(numbers)) if (Number(f[k].value) !== was) req[k] = Number(f[k].value);
      for (const [k, was] of Object.entries(texts)) if (f[k].value !== was) req[k] = f[k].value;
      await api('PUT', path('asset'), req);
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
    footer.push(retire, edit, save);
  }
  footer.push(button('关闭', () => close()));
  const close = openDialog(`资产 #${a.id} ${a.name}`, body, footer);
  try {
    const kids = (await api('POST', path('search_assets'), { parent: a.id, page: 1, size: 100 })).data;
    clear(children, kids.length
      ? h('ul', { className: 'plain-list' }, kids.map((k) => h('li', {}, `#${k.id} ${k.name}${k.expire ? '（已清退）' : ''}`)))
      : h('span', { className: 'muted' }, '没有下级资产'));
  } catch (e) {
    clear(children, h('span', { className: 'msg msg-error' }, e.message));
  }
}
