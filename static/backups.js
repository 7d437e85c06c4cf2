// 备份, the super admin's: the backups beside the database (newest first, with size, time and
// what each holds), 立即备份 (one at a time; a second answers code 10), and each one's file.

import { api, busy, button, clear, downloadLink, h, headRow, msgLine, path, toast } from './core.js';

/** Bytes as a person reads them. */
function size(bytes) {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KiB`;
}

export function backupsView(root) {
  const body = h('tbody');
  const msg = msgLine();
  const take = button('立即备份', () => busy(take, msg, async () => {
    take.textContent = '正在备份…';
    try {
      const answer = await api('POST', path('backups'));
      toast(`已备份：${answer.data.name}`);
    } finally {
      take.textContent = '立即备份';
    }
    await load();
  }), 'btn-primary', { id: 'backup-now' });
  clear(root, h('section', { className: 'card' },
    h('div', { className: 'toolbar' },
      h('h2', { className: 'card-title' }, '备份'),
      h('div', { className: 'toolbar-actions' }, take)),
    h('p', { className: 'muted small' }, '备份保存在数据库旁的 backups 文件夹；恢复请在服务器停止后运行 assetport restore 文件名。'),
    msg,
    h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'backup-table' },
      headRow(['文件', '时间', '大小', '资产数', '任务数', '结构版本', '']),
      body))));

  const load = () => busy(null, msg, async () => {
    const answer = await api('GET', path('backups'));
    if (!root.isConnected) return;
    clear(body);
    if (!answer.data.length) body.append(h('tr', {}, h('td', { className: 'empty', colSpan: 7 }, '还没有备份')));
    for (const b of answer.data) {
      const m = b.manifest || {};
      body.append(h('tr', { dataset: { name: b.name } },
        h('td', {}, b.name),
        h('td', { className: 'muted' }, m.time || '—'),
        h('td', { className: 'num' }, size(b.size)),
        h('td', { className: 'num' }, m.assets ?? '—'),
        h('td', { className: 'num' }, m.tasks ?? '—'),
        h('td', { className: 'num' }, m.schema_version ?? '—'),
        h('td', {}, downloadLink('下载', path('backups', b.name, 'file'), b.name))));
    }
  });
  load();
}
