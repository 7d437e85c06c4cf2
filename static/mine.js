// Staff: the assets they hold, with a search over them; a row opens the asset (its fields and
// 履历, read-only). The server keeps the search within their own assets whatever is asked.

import { api, busy, CLASS_NAMES, clear, field, h, headRow, input, label, money, msgLine, openable, pager, path, select, STATUS_NAMES } from './core.js';
import { assetPanel } from './asset_panel.js';
import { askDialog } from './requests.js';

const PAGE_SIZE = 20;

export function ownAssetsView(root) {
  const body = h('tbody');
  const pagerBox = h('div');
  const msg = msgLine();
  const q = {
    name: input({ id: 'own-search-name', placeholder: '名称包含…' }),
    description: input({ id: 'own-search-description', placeholder: '描述包含…' }),
    status: select([['', '全部'], ['1', '闲置'], ['2', '使用中'], ['3', '维保中']], { id: 'own-search-status' }),
    expire: select([['', '全部'], ['0', '在用'], ['1', '已清退']], { id: 'own-search-expire' }),
  };
  const summary = h('span', { className: 'scope-label', id: 'own-summary' }, '我名下的资产');
  // The assets chosen for a request, kept across pages and searches.
  const chosen = new Map();
  const asks = Object.entries({ return: '申请退库', repair: '申请维保', transfer: '申请转移' }).map(([kind, text]) =>
    h('button', { type: 'button', className: 'btn', id: `own-ask-${kind}`, disabled: true, onclick: () => askDialog(kind, [...chosen.values()], () => { chosen.clear(); load(1); }) }, text));
  const chosenLabel = h('span', { className: 'muted', id: 'own-chosen' });
  const chosenChanged = () => {
    for (const b of asks) b.disabled = chosen.size === 0;
    chosenLabel.textContent = chosen.size ? `已选 ${chosen.size} 项` : '选中资产后可申请退库、维保或转移';
  };
  const form = h('form', { className: 'card search-bar', id: 'own-search-form', onsubmit: (e) => { e.preventDefault(); load(1); } },
    field(label('name'), q.name), field(label('description'), q.description), field(label('status'), q.status), field(label('expire'), q.expire),
    h('div', { className: 'search-actions' },
      h('button', { type: 'submit', className: 'btn btn-primary', id: 'own-search-submit' }, '搜索'),
      h('button', { type: 'button', className: 'btn', onclick: () => { for (const el of Object.values(q)) el.value = ''; load(1); } }, '重置')));
  clear(root, h('div', { className: 'main' }, form, h('div', { className: 'card' },
    h('div', { className: 'toolbar' }, summary, h('div', { className: 'toolbar-actions' }, chosenLabel, asks)),
    msg,
    h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'own-asset-table' },
      headRow(['', 'id', 'name', 'assetClass', 'count', '当前价值', 'assetTree', 'department', 'position', 'status', 'create_time'].map(label)),
      body)),
    pagerBox)));

  const conditions = () => Object.fromEntries(Object.entries(q).map(([k, el]) => [k, el.value.trim()]).filter(([, v]) => v !== ''));

  const load = (page) => busy(null, msg, async () => {
    const filter = conditions();
    const searching = Object.keys(filter).length > 0;
    const answer = await api('POST', path('search_assets'), { ...filter, page, size: PAGE_SIZE });
    summary.textContent = searching ? `我名下符合条件的资产：${answer.total} 项` : `我名下的资产：${answer.total} 项`;
    clear(body);
    if (!answer.data.length) {
      const empty = searching ? '没有符合条件的资产，请换个条件或点「重置」' : '您名下暂无资产；领到资产后会列在这里';
      body.append(h('tr', {}, h('td', { className: 'empty', colSpan: 11 }, empty)));
    }
    for (const a of answer.data) {
      const box = a.expire ? null : h('input', { type: 'checkbox', checked: chosen.has(a.id), dataset: { id: a.id }, attrs: { 'aria-label': `选择${a.name}` } });
      if (box) {
        box.addEventListener('change', () => {
          if (box.checked) chosen.set(a.id, a);
          else chosen.delete(a.id);
          chosenChanged();
        });
      }
      const tr = h('tr', { className: a.expire ? 'row-retired row-open' : 'row-open', dataset: { id: a.id }, title: '查看资产详情与履历' },
        h('td', {}, box), h('td', { className: 'num' }, a.id), h('td', { className: 'asset-name' }, a.name),
        h('td', {}, CLASS_NAMES[a.assetClass] || ''), h('td', { className: 'num' }, a.count),
        h('td', { className: 'num' }, money(a.price)), h('td', {}, a.assetTree), h('td', {}, a.departmentName),
        h('td', {}, a.position),
        h('td', {}, a.expire ? '已清退' : STATUS_NAMES[a.status] || ''), h('td', { className: 'muted' }, a.create_time));
      openable(tr, () => assetPanel(a, () => load(page)));
      body.append(tr);
    }
    clear(pagerBox, pager(page, answer.pages, answer.total, load));
    chosenChanged();
  });
  load(1);
}
