// 盘点 (stocktakes), for asset managers and system admins: the list and a new stocktake over a
// department (and those below it), and one stocktake's screen: its progress by state, a scan box
// (a phone's keyboard, or a USB/Bluetooth scanner that types the code and Enter) with a big last
// result, its lines by state, and 完成盘点 / 作废. A scan the network lost is queued in the
// browser and sent when it is back; the server counts each asset once, so a resend is harmless.

import { ApiError, api, busy, button, clear, downloadLink, field, h, headRow, input, msgLine, pager, path, seg, toast, uploadFile } from './core.js';

const PAGE_SIZE = 20;
const STATE_BADGES = { 0: 'badge-running', 1: 'badge-ok', 2: 'badge-muted', 3: 'badge-muted', 4: 'badge-running' };
const LINE_STATES = [
  ['uncounted', '未盘'], ['matched', '相符'], ['misplaced', '位置不符'], ['count_differs', '数量不符'],
  ['holder_differs', '持有人不符'], ['missing', '盘亏'],
];
const LINE_BADGES = { 0: 'badge-pending', 1: 'badge-ok', 2: 'badge-partial', 3: 'badge-partial', 4: 'badge-partial', 5: 'badge-fail' };
/** How each scan result shows: its colour. */
const RESULT_CLASS = {
  matched: 'scan-ok', misplaced: 'scan-warn', count_differs: 'scan-warn', holder_differs: 'scan-warn',
  already_counted: 'scan-again', unexpected: 'scan-extra',
};

export function stocktakeView(root, id) {
  if (id) return stocktakeScreen(root, Number(id));
  return stocktakeList(root);
}

function stocktakeList(root) {
  const body = h('tbody');
  const pagerBox = h('div');
  const msg = msgLine();
  const name = input({ id: 'stocktake-name', placeholder: '如：2026年度盘点', maxLength: 100 });
  const department = input({ id: 'stocktake-department', placeholder: '部门（含下级；不填为您管理的全部）' });
  const category = input({ id: 'stocktake-category', placeholder: '分类（选填）' });
  const assetName = input({ id: 'stocktake-asset-name', placeholder: '名称包含（选填）' });
  const start = button('开始盘点', () => busy(start, msg, async () => {
    const filter = {};
    if (department.value.trim()) filter.department = department.value.trim();
    if (category.value.trim()) filter.assetTreeNode = category.value.trim();
    if (assetName.value.trim()) filter.name = assetName.value.trim();
    const answer = await api('POST', path('stocktake'), { name: name.value.trim(), filter });
    location.hash = `#stocktake/${answer.data.id}`;
  }), 'btn-primary', { id: 'stocktake-start' });
  clear(root,
    h('section', { className: 'card' },
      h('h2', { className: 'card-title' }, '新盘点'),
      h('p', { className: 'hint' }, '开始时冻结应盘清单（资产、位置、持有人、数量）；之后扫码或录入实盘结果，完成时未盘的记为盘亏。'),
      h('div', { className: 'form-grid' }, field('名称', name), field('部门', department), field('分类', category), field('资产名称', assetName)),
      h('div', { className: 'actions' }, start), msg),
    h('section', { className: 'card' },
      h('h2', { className: 'card-title' }, '盘点'),
      h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'stocktake-table' },
        headRow(['#', '名称', '部门', '状态', '创建人', '开始时间']), body)),
      pagerBox));

  async function load(page) {
    await busy(null, msg, async () => {
      const answer = await api('GET', `${path('stocktake')}?page=${page}&size=${PAGE_SIZE}`);
      clear(body, answer.data.length ? answer.data.map((s) => h('tr', { className: 'row-open', dataset: { id: s.id }, onclick: () => { location.hash = `#stocktake/${s.id}`; } },
        h('td', { className: 'num' }, s.id),
        h('td', {}, h('a', { href: `#stocktake/${s.id}` }, s.name)),
        h('td', {}, s.department || '全公司'),
        h('td', {}, h('span', { className: `badge ${STATE_BADGES[s.state] || ''}` }, s.state_label)),
        h('td', {}, s.creator), h('td', {}, s.created_at)))
        : [h('tr', {}, h('td', { colSpan: 6, className: 'muted' }, '还没有盘点。填写名称并点「开始盘点」。'))]);
      clear(pagerBox, pager(page, answer.pages, answer.total, load));
    });
  }
  load(1);
  name.focus();
}

/** The scans the network lost, per stocktake, kept in the browser until they are sent. */
const queueKey = (id) => `assetport.scans.${id}`;
const queued = (id) => JSON.parse(localStorage.getItem(queueKey(id)) || '[]');
const keep = (id, scans) => (scans.length ? localStorage.setItem(queueKey(id), JSON.stringify(scans)) : localStorage.removeItem(queueKey(id)));

function stocktakeScreen(root, id) {
  const head = h('section', { className: 'card', id: 'stocktake-head' });
  const result = h('div', { className: 'scan-result', id: 'scan-result', attrs: { 'aria-live': 'polite' } }, '等待扫码…');
  const offline = h('p', { className: 'hint', id: 'scan-queue', hidden: true });
  const code = input({ id: 'scan-code', placeholder: '扫码或输入资产编号，回车', autocomplete: 'off', inputMode: 'text', attrs: { 'aria-label': '资产编号' } });
  const position = input({ id: 'scan-position', placeholder: '实盘位置（与应盘不同才填）', attrs: { 'aria-label': '实盘位置' } });
  const count = input({ id: 'scan-count', type: 'number', min: '0', step: '1', placeholder: '实盘数量（不同才填）', attrs: { 'aria-label': '实盘数量' } });
  // A phone's camera reads the label's QR code or Code128 barcode where the browser can
  // (BarcodeDetector); a USB or Bluetooth scanner types into the box everywhere.
  const camera = h('div', { id: 'scan-camera-box' });
  const canUseCamera = 'BarcodeDetector' in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  const cameraButton = canUseCamera ? button('用相机扫码', () => startCamera(), '', { id: 'scan-camera' }) : null;
  const scanBox = h('section', { className: 'card', id: 'scan-box' },
    h('div', { className: 'toolbar' }, h('h2', { className: 'card-title' }, '扫码盘点'), cameraButton),
    camera,
    // The result right under the code, in view on a phone; what differs is typed before the code.
    field('资产编号', code), result, offline,
    h('div', { className: 'form-grid' }, field('实盘位置', position), field('实盘数量', count)));
  // Counting from a sheet: the stocktake's template (what is expected), filled in where things
  // differ, uploaded as a task; its progress and the rows it could not count are the task's.
  const sheetInput = h('input', { type: 'file', id: 'stocktake-sheet-input', accept: '.csv,.xlsx', attrs: { 'aria-label': '盘点表文件' } });
  const sheetMsg = msgLine();
  const sheetSend = button('上传盘点表', () => busy(sheetSend, sheetMsg, async () => {
    const file = sheetInput.files[0];
    if (!file) throw new Error('请先选择盘点表文件（CSV 或 XLSX）');
    const answer = (await uploadFile(path('stocktake_file', id), file, () => {})).data;
    sheetMsg.ok('');
    clear(sheetMsg, '已上传，正由 ', h('a', { href: `#task/${answer.id}`, id: 'stocktake-sheet-task' }, `任务 #${answer.id}`), ' 逐批盘点；完成后刷新本页查看结果。');
    sheetInput.value = '';
  }), '', { id: 'stocktake-sheet-send' });
  const sheetBox = h('section', { className: 'card', id: 'sheet-box' },
    h('h2', { className: 'card-title' }, '按盘点表盘点'),
    h('p', { className: 'hint' }, '下载盘点表（应盘清单），在「实盘位置」「实盘数量」「实盘持有人」中填写与应盘不同之处，上传后逐行盘点；已盘过的行不会重复计数，并列出原因。'),
    h('div', { className: 'actions' },
      downloadLink('盘点表 XLSX', `${path('stocktake', id, 'template')}?format=xlsx`),
      downloadLink('盘点表 CSV', `${path('stocktake', id, 'template')}?format=csv`),
      sheetInput, sheetSend),
    sheetMsg);
  const msg = msgLine();
  const state = h('select', { id: 'stocktake-line-state', attrs: { 'aria-label': '盘点结果' } },
    h('option', { value: '' }, '全部'), LINE_STATES.map(([v, l]) => h('option', { value: v }, l)));
  const body = h('tbody');
  const pagerBox = h('div');
  const linesCard = h('section', { className: 'card' },
    h('div', { className: 'toolbar' }, h('h2', { className: 'card-title' }, '清单'), state),
    h('div', { className: 'table-wrap' }, h('table', { className: 'table', id: 'stocktake-lines' },
      headRow(['资产编号', '资产名', '应盘位置', '实盘位置', '数量', '持有人', '结果', '盘点人']), body)),
    pagerBox);
  clear(root, h('div', { className: 'crumbs' }, h('a', { href: '#stocktake' }, '盘点'), ' / ', `盘点 #${id}`), msg, scanBox, head, sheetBox, linesCard);
  let current = null;
  let linePage = 1;

  async function loadHead() {
    current = (await api('GET', path('stocktake', id))).data;
    const s = current;
    const done = s.expected ? Math.round((100 * s.counted) / s.expected) : 100;
    const chips = LINE_STATES.filter(([k]) => s.by_state[k]).map(([k, l]) => h('span', { className: 'chip', dataset: { state: k } }, `${l} ${s.by_state[k]}`));
    // The auditor's report: expected against found, by state, who counted what and when.
    const actions = [downloadLink('报告 XLSX', `${path('stocktake', id, 'report')}?format=xlsx`),
      downloadLink('报告 CSV', `${path('stocktake', id, 'report')}?format=csv`)];
    let options = null;
    if (s.state === 1) {
      // The differences found, as an update import: previewed first, confirmed on its task.
      // 盘亏 and 盘盈 go in only when ticked: a mark on the missing assets, new assets (in the
      // category given) for the codes the register does not know.
      const kinds = [['misplaced', '位置不符 → 改为实盘位置', true], ['count_differs', '数量不符 → 改为实盘数量', true],
        ['holder_differs', '持有人不符 → 改为实盘持有人', true],
        ['missing', `盘亏 → 在资产描述前标记【盘亏·盘点#${id}】（清退请另行办理）`, false],
        ['extra', '盘盈 → 按扫到的编号新建资产', false]];
      const boxes = kinds.map(([k, label, on]) => [k, h('input', { type: 'checkbox', checked: on, id: `adjust-${k}` }), label]);
      const tree = input({ id: 'adjust-extra-tree', placeholder: '新资产的分类（盘盈时必填）', attrs: { 'aria-label': '盘盈新资产的分类' } });
      options = h('fieldset', { className: 'choice', id: 'stocktake-adjust-options' },
        h('legend', {}, '调整哪些差异'),
        boxes.map(([, box, label]) => h('label', { className: 'check' }, box, ` ${label}`)),
        field('盘盈新资产的分类', tree));
      actions.push(button('调整登记表（预览）', () => busy(null, msg, async () => {
        const accept = boxes.filter(([, box]) => box.checked).map(([k]) => k);
        if (!accept.length) throw new Error('请至少选择一种差异');
        const body = { accept };
        if (accept.includes('extra')) {
          if (!tree.value.trim()) { tree.focus(); throw new Error('接受盘盈须填写新资产的分类'); }
          body.extra = { assetTree: tree.value.trim() };
        }
        const answer = (await api('POST', `${path('stocktake', id, 'adjust')}?dry_run=true`, body)).data;
        const notes = [answer.left_out ? `${answer.left_out} 项盘点后已被修改，未纳入` : '',
          answer.extras_known ? `${answer.extras_known} 个盘盈编号已是本企业的资产，未新建` : ''].filter(Boolean);
        toast(`${answer.rows} 项差异将写入登记表${notes.length ? `；${notes.join('；')}` : ''}：请在任务中查看预览并确认`);
        location.hash = `#task/${answer.task}`;
      }), 'btn-primary', { id: 'stocktake-adjust' }));
    }
    if (s.adjust_task) actions.push(h('a', { href: `#task/${s.adjust_task}`, className: 'btn btn-small', id: 'stocktake-adjust-task' }, `调整任务 #${s.adjust_task}`));
    if (s.state === 0) {
      actions.push(button('完成盘点', () => finish(true), 'btn-primary', { id: 'stocktake-complete' }));
    }
    if (s.state === 0 || s.state === 4) {
      actions.push(button('作废', () => finish(false), 'btn-danger', { id: 'stocktake-void' }));
    }
    // A large stocktake's list is frozen by a task first: the page follows it until 进行中.
    const preparing = s.state === 4 ? h('p', { className: 'hint', id: 'stocktake-preparing' },
      `正在生成应盘清单（已列入 ${s.expected} 项），完成后即可开始盘点；进度见 `,
      s.freeze_task ? h('a', { href: `#task/${s.freeze_task}` }, `任务 #${s.freeze_task}`) : '任务列表', '。') : null;
    if (s.state === 4) {
      setTimeout(() => { if (document.body.contains(head)) refresh(); }, 1000);
    }
    clear(head,
      h('div', { className: 'task-title' }, h('h2', { className: 'card-title' }, s.name),
        h('span', { className: `badge ${STATE_BADGES[s.state] || ''}`, id: 'stocktake-state' }, s.state_label)),
      h('div', { className: 'task-meta' }, h('span', {}, `范围：${s.department || '全公司'}`), h('span', {}, `创建人：${s.creator}`), h('span', {}, `开始：${s.created_at}`)),
      h('div', { className: 'progress-cell' }, h('div', { className: 'progress' }, h('div', { className: 'progress-fill progress-1', style: `width:${done}%` })),
        h('span', { className: 'progress-text' }, `${done}%`)),
      h('p', { id: 'stocktake-progress' }, `已盘 ${s.counted} / 应盘 ${s.expected}`, s.extras ? `，盘盈 ${s.extras}` : ''),
      preparing,
      h('div', { className: 'chips', id: 'stocktake-chips' }, chips),
      options,
      h('div', { className: 'actions' }, actions));
    scanBox.hidden = s.state !== 0;
    sheetBox.hidden = s.state !== 0;
  }

  async function loadLines(page) {
    linePage = page;
    const q = state.value ? `&state=${seg(state.value)}` : '';
    const answer = await api('GET', `${path('stocktake', id, 'lines')}?page=${page}&size=${PAGE_SIZE}${q}`);
    clear(body, answer.data.map((l) => h('tr', { dataset: { asset: l.asset, state: l.state } },
      h('td', { className: 'num' }, l.asset), h('td', { className: 'asset-name' }, l.name, l.changed_since ? h('span', { className: 'tag tag-undone', title: '盘点开始后登记表中已修改' }, '已变更') : null),
      h('td', {}, l.expected_position || '—'), h('td', {}, l.found_position ?? '—'),
      h('td', { className: 'num' }, l.found_count ?? l.expected_count), h('td', {}, l.found_holder || l.expected_holder),
      h('td', {}, h('span', { className: `badge ${LINE_BADGES[l.state] || ''}` }, l.state_label)),
      h('td', { className: 'muted small' }, l.counted_by ? `${l.counted_by} ${l.counted_at}` : ''))));
    clear(pagerBox, pager(page, answer.pages, answer.total, (p) => busy(null, msg, () => loadLines(p))));
  }

  /** Shows a scan's answer big: green 相符, amber with what was expected, grey 已盘过, blue 盘盈. */
  function show(answer) {
    const a = answer.data;
    const line = a.line;
    const detail = a.result === 'already_counted' ? `${a.counted_by || ''} 已于 ${a.counted_at || ''} 盘过，不重复计数`
      : a.result === 'unexpected' ? '不在应盘清单中，记为盘盈'
        : a.result === 'misplaced' ? `应在「${line.expected_position || '（未填）'}」，实盘「${line.found_position}」`
          : a.result === 'count_differs' ? `应盘 ${line.expected_count}，实盘 ${line.found_count}`
            : a.result === 'holder_differs' ? `应由 ${line.expected_holder} 持有，实为 ${line.found_holder}`
              : line ? `${line.name}（${line.expected_position || '位置未填'}）` : '';
    clear(result, h('div', { className: 'scan-label' }, a.result_label), h('div', { className: 'scan-code' }, `#${a.code}`), h('div', { className: 'scan-detail' }, detail));
    result.className = `scan-result ${RESULT_CLASS[a.result] || ''}`;
    result.dataset.result = a.result;
  }

  async function send(scan) {
    return api('POST', path('stocktake', id, 'scan'), scan);
  }

  /** Sends the scans the network lost, oldest first; stops at the first still unsent. */
  async function flush() {
    let scans = queued(id);
    while (scans.length) {
      try {
        await send(scans[0]);
      } catch (e) {
        if (e instanceof ApiError && e.status === 0) break;
        toast(`离线扫码 #${scans[0].code} 未计入：${e.message}`, true);
      }
      scans = scans.slice(1);
      keep(id, scans);
    }
    offline.hidden = !scans.length;
    offline.textContent = scans.length ? `网络中断：${scans.length} 条扫码已暂存，恢复连接后自动发送` : '';
    if (!scans.length) await refresh();
  }

  async function refresh() {
    await busy(null, msg, async () => { await loadHead(); await loadLines(linePage); });
  }

  async function scanNow() {
    const text = code.value.trim();
    if (!text) return;
    const scan = { code: text };
    if (position.value.trim()) scan.position = position.value.trim();
    if (count.value.trim()) scan.count = Number(count.value);
    code.value = '';
    position.value = '';
    count.value = '';
    code.focus();
    try {
      show(await send(scan));
      await refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) {
        keep(id, [...queued(id), scan]);
        offline.hidden = false;
        offline.textContent = `网络中断：${queued(id).length} 条扫码已暂存，恢复连接后自动发送`;
        clear(result, h('div', { className: 'scan-label' }, '已暂存'), h('div', { className: 'scan-code' }, `#${text}`));
        result.className = 'scan-result scan-again';
      } else {
        clear(result, h('div', { className: 'scan-label' }, '未计入'), h('div', { className: 'scan-detail' }, e.message));
        result.className = 'scan-result scan-error';
        result.dataset.result = 'error';
      }
    }
  }

  async function finish(complete) {
    const s = current;
    const left = s ? s.by_state.uncounted : 0;
    const ask = complete ? `完成盘点「${s.name}」？未盘的 ${left} 项将记为盘亏，此后不能再扫码。` : `作废盘点「${s.name}」？已盘结果不再使用。`;
    if (!confirm(ask)) return;
    await busy(null, msg, async () => {
      await api('POST', path('stocktake', id, complete ? 'complete' : 'void'), {});
      toast(complete ? '盘点已完成' : '盘点已作废');
      await refresh();
    });
  }

  /** Reads codes from the camera until stopped or the screen is left; a code seen again within
   * three seconds is the same label still in view, not a second scan. */
  async function startCamera() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    } catch (e) {
      toast(`无法打开相机：${e.message}`, true);
      return;
    }
    const detector = new window.BarcodeDetector({ formats: ['qr_code', 'code_128'] });
    const video = h('video', { className: 'scan-video', autoplay: true, muted: true, playsInline: true });
    video.srcObject = stream;
    let running = true;
    const stop = () => { running = false; stream.getTracks().forEach((t) => t.stop()); clear(camera); };
    clear(camera, video, button('关闭相机', stop, 'btn-small', { id: 'scan-camera-stop' }));
    let last = '';
    let lastAt = 0;
    while (running) {
      if (!document.body.contains(video)) { stop(); return; }
      try {
        const found = await detector.detect(video);
        const text = found.length ? found[0].rawValue.trim() : '';
        if (text && (text !== last || Date.now() - lastAt > 3000)) {
          last = text;
          lastAt = Date.now();
          code.value = text;
          await scanNow();
        }
      } catch (e) {
        // A frame not ready yet: try the next.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  code.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); scanNow(); } });
  state.addEventListener('change', () => busy(null, msg, () => loadLines(1)));
  window.addEventListener('online', () => { if (document.body.contains(result)) flush(); });
  refresh().then(() => { if (queued(id).length) flush(); });
  code.focus();
}
