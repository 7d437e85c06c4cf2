// Import: upload a CSV or XLSX file, or paste JSON rows, optionally as a dry run (仅校验).

import { api, busy, button, clear, columns, downloadLink, h, msgLine, path, uploadFile } from './core.js';

/** A file of more rows than this is checked first (仅校验) unless the user unticks it. */
const DRY_RUN_ROWS = 1000;

/** What to write in each import column (one line may explain several), in the template's order. */
const FIELD_NOTES = [
  [['id'], '可选：填写则更新该资产，空白单元格保留原值'],
  [['name'], '必填，最长 128 字'],
  [['assetClass'], '数量型（0）或 条目型（1）；条目型数量只能为 1'],
  [['price'], '元，不可为负，保留两位小数；可写 1,299.50 或 ¥1,299.50'],
  [['count'], '必填，至少为 1 的整数'],
  [['deadline'], '年，0 表示不折旧'],
  [['assetTree'], '部门分类树中的名称'],
  [['description'], '可选，最长 4096 字'],
  [['position'], '可选，最长 256 字'],
  [['user', 'department'], '挂账人须属于该部门'],
  [['parent'], '可选：同部门条目型资产的名称或编号'],
  [['create_time'], '可选：资产的日期（如 2024-03-05 或 2024/3/5，或 Excel 日期），不晚于今天；空白为今天。表头也可写“购入日期”，折旧从此日算起'],
];

const EXAMPLE = [
  { name: '办公椅', assetClass: '数量型', price: 350, count: 10, deadline: 5, assetTree: '数量型资产', department: 'CST', user: 'liusn', description: '人体工学椅', position: 'A 座 3 楼' },
  { name: '笔记本电脑 T14', assetClass: '条目型', price: 8999, count: 1, deadline: 3, assetTree: '条目型资产', department: 'CST', user: 'liusn', description: '', position: '' },
];

/** A 仅校验 checkbox (a dry run: every rule checked, nothing written until confirmed). */
function dryRunBox(id) {
  const box = h('input', { type: 'checkbox', id });
  const label = h('label', { className: 'check', title: '检查每一行（包括新建与更新），不写入；查看预览后再确认导入' }, box, ' 仅校验（确认后再写入）');
  return { box, label };
}

/** Roughly how many data rows a chosen file holds: CSV lines are counted; an XLSX is judged
 * by its size (about 60 bytes a row compressed). */
async function estimatedRows(f) {
  if (/\.csv$/i.test(f.name)) {
    if (f.size > 64 * 1024 * 1024) return Infinity;
    const text = await f.text();
    let lines = 0;
    for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) === 10) lines += 1;
    return Math.max(0, lines - 1);
  }
  return Math.round(f.size / 60);
}

export function importView(root) {
  const text = h('textarea', { id: 'import-json', rows: 12, spellcheck: false, placeholder: JSON.stringify(EXAMPLE, null, 2) });
  const jsonMsg = msgLine();
  const submit = button('提交导入', () => busy(submit, jsonMsg, async () => {
    let rows;
    try {
      rows = JSON.parse(text.value);
    } catch (e) {
      throw new Error(`JSON 格式错误：${e.message}`);
    }
    if (!Array.isArray(rows)) rows = [rows];
    const answer = await api('POST', `${path('asset')}${jsonDry.box.checked ? '?dry_run=true' : ''}`, rows);
    created(jsonMsg, answer.data.id, rows.length, jsonDry.box.checked);
  }), 'btn-primary', { id: 'import-submit' });
  const jsonDry = dryRunBox('import-json-dry-run');

  const file = h('input', { type: 'file', id: 'import-file', className: 'file-input', accept: '.xlsx,.csv,.xls,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv' });
  const chosen = h('span', { className: 'file-name muted' }, '未选择文件');
  const fileDry = dryRunBox('import-dry-run');
  file.addEventListener('change', async () => {
    const f = file.files[0];
    chosen.textContent = f ? `${f.name}（${Math.max(1, Math.round(f.size / 1024))} KB）` : '未选择文件';
    chosen.classList.toggle('muted', !f);
    // A large file is checked first by default: a wrong upload of thousands of rows is
    // cheaper to see in a preview than to undo.
    if (f) fileDry.box.checked = (await estimatedRows(f)) > DRY_RUN_ROWS;
  });
  const fileMsg = msgLine();
  const progress = h('progress', { id: 'upload-progress', hidden: true, value: 0, max: 1 });
  const progressText = h('span', { id: 'upload-progress-text', className: 'muted small' });
  const upload = button('上传并导入', () => busy(upload, fileMsg, async () => {
    const f = file.files[0];
    if (!f) throw new Error('请先选择一个 CSV 或 XLSX 文件');
    // .csv and .xlsx say their format; anything else (an old .xls, say) goes as it is and the
    // server, which reads the file's first bytes, says what to do with it.
    const format = /\.csv$/i.test(f.name) ? 'csv' : /\.xlsx$/i.test(f.name) ? 'xlsx' : null;
    const q = new URLSearchParams();
    if (format) q.set('format', format);
    if (fileDry.box.checked) q.set('dry_run', 'true');
    const dry = fileDry.box.checked;
    // Bytes sent, as they go; then straight to the new task.
    const shown = (sent, total) => {
      progress.hidden = false;
      progress.max = total;
      progress.value = sent;
      progressText.textContent = sent < total
        ? `已上传 ${(sent / 1048576).toFixed(1)} / ${(total / 1048576).toFixed(1)} MB`
        : '上传完成，服务器正在读取文件…';
    };
    const send = (query) => uploadFile(`${path('asset_file')}?${query}`, f, shown);
    let answer;
    try {
      // A dry run writes nothing: no duplicate to warn of.
      if (!dry) q.set('check_duplicate', 'true');
      answer = await send(q);
    } catch (e) {
      // A file of the same content created assets today: ask before creating them twice.
      if (e.code !== 16 || !confirm(`${e.message}。仍要再次导入吗？`)) throw e;
      q.delete('check_duplicate');
      answer = await send(q);
    } finally {
      progress.hidden = true;
      progressText.textContent = '';
    }
    created(fileMsg, answer.data.id, undefined, dry);
    location.hash = `#task/${answer.data.id}`;
  }), 'btn-primary', { id: 'import-upload' });

  // Each column by its header, as the server names it (and the field, for English headers).
  const fieldNotes = h('tbody');
  columns().catch(() => []).then((all) => {
    const header = (k) => all.find((c) => c.field === k)?.header;
    clear(fieldNotes, FIELD_NOTES.map(([fields, note]) => h('tr', {},
      h('th', {}, fields.map((k) => [header(k), k].filter(Boolean).join(' ')).join(' / ')),
      h('td', {}, note))));
  });

  // The file is how asset managers import; pasting JSON rows is for the few who script, so it
  // waits under 高级.
  clear(root,
    h('section', { className: 'card' },
      h('h2', { className: 'card-title' }, '上传 Excel / CSV 文件'),
      h('p', { className: 'hint' }, '按模板填写后上传，第一行为表头（中文或英文字段名均可）。'),
      h('div', { className: 'actions' },
        h('span', { className: 'muted' }, '导入模板：'),
        downloadLink('下载模板 XLSX', `${path('asset_template')}?format=xlsx`, 'assetport-template.xlsx'),
        downloadLink('下载模板 CSV', `${path('asset_template')}?format=csv`, 'assetport-template.csv')),
      h('p', { className: 'hint' }, '带「资产编号」的行更新该资产（空白单元格保留原值），不带的行新建资产：导出时选「编辑后重新导入」即得此格式。'),
      h('div', { className: 'file-row' }, h('label', { className: 'btn' }, '选择文件…', file), chosen),
      h('div', { className: 'actions' }, upload, fileDry.label, progress, progressText),
      fileMsg,
      h('h3', { className: 'sub-title' }, '字段说明'),
      h('table', { className: 'table table-compact', id: 'import-fields' }, fieldNotes)),
    h('details', { className: 'card advanced', id: 'import-advanced' },
      h('summary', {}, '高级：粘贴 JSON 行'),
      h('p', { className: 'hint' }, '一个 JSON 数组，每个元素是一行资产。校验失败的行会保留在任务里，可在任务详情中修改后重新执行。'),
      text,
      h('div', { className: 'actions' }, submit, button('填入示例', () => { text.value = JSON.stringify(EXAMPLE, null, 2); }, '', { id: 'import-example' }), jsonDry.label),
      jsonMsg));
}

function created(msg, id, rows, dry) {
  const what = dry ? '校验任务（仅校验，不写入）' : '导入任务';
  clear(msg, `已创建${what} #${id}${rows !== undefined ? `（${rows} 行）` : ''}，`, h('a', { href: `#task/${id}`, className: 'task-link' }, dry ? '查看校验结果' : '查看进度'));
  msg.className = 'msg msg-ok';
}
