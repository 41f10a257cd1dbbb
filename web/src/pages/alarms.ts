// 报警中心: the alarms the user may see, live (GET /api/alarms, then the WebSocket's pushes), with
// filters, counts of open alarms by severity, severity badges and the overdue flag; a beep and a
// flash for each new 紧急/严重 alarm (muteable). The detail of one alarm: every field, the steps
// so far, the track around it on a small map, and the workflow steps its status allows:
// 确认 -> 派发 (optional, may repeat) -> 处置 -> 关闭.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { subscribeAlarms, type FeedState } from '../alarm-feed';
import {
  api,
  type Alarm,
  type AlarmAction,
  type AlarmStatus,
  type AlarmStep,
  type TrackPoint,
} from '../api';
import { clear, el, textLabel } from '../dom';
import { formatTime } from '../fields';
import { localText, operatorName, t, terminalBitName } from '../i18n';
import { errorText, plateColorName } from '../pass-ui';
import { canHandleAlarms, session } from '../state';
import {
  button,
  confirming,
  dialogShell,
  emptyRow,
  errorBox,
  listTable,
  openOnActivate,
  pager,
} from '../widgets';
import { baseMap } from './map';
import { disposeMap } from '../map-teardown';

const PAGE_SIZE = 50;
// The list is read again now and then: counts and overdue flags change with time.
const REFRESH_MS = 30_000;
// Pushes come in bursts; the counts are fetched once the burst is over.
const RELOAD_AFTER_PUSH_MS = 1_500;
const FLASH_MS = 4_000;
const MUTE_KEY = 'baotong.alarm-muted';

export const ALARM_STATUSES: readonly AlarmStatus[] = [
  'raised',
  'acknowledged',
  'dispatched',
  'handled',
  'closed',
];
export const ALARM_KINDS = [
  'no_permit',
  'off_route',
  'stop_outside_site',
  'door_open',
  'zone_entry',
  'zone_exit',
  'overspeed',
  'fatigue_continuous',
  'fatigue_daily',
  'night_bus',
  'signal_lost',
  'overstay',
  'terminal_alarm',
] as const;
export const DEPARTMENTS = ['transport', 'police', 'health', 'district', 'admin'] as const;
const SEVERITIES = [1, 2, 3, 4] as const;

// Names from the dictionary where the id is known (both languages), else the server's name.
export function alarmKindName(kind: string, serverName?: string): string {
  return (ALARM_KINDS as readonly string[]).includes(kind)
    ? t(`alarm_kind_${kind}`)
    : serverName || kind;
}

export function departmentName(department: string, serverName?: string): string {
  return (DEPARTMENTS as readonly string[]).includes(department)
    ? t(`department_${department}`)
    : serverName || department || '—';
}

export function severityBadge(alarm: Pick<Alarm, 'severity' | 'severity_name'>): HTMLElement {
  const level = Number(alarm.severity);
  const ok = (SEVERITIES as readonly number[]).includes(level);
  return el(
    'span',
    {
      class: `badge badge-severity-${ok ? level : 'unknown'}`,
      testid: 'alarm-severity',
      'data-severity': level,
    },
    ok ? t(`severity_${level}`) : alarm.severity_name || String(alarm.severity),
  );
}

export function alarmStatusBadge(alarm: Pick<Alarm, 'status' | 'status_name'>): HTMLElement {
  const ok = ALARM_STATUSES.includes(alarm.status);
  return el(
    'span',
    {
      class: `badge badge-alarm-${ok ? alarm.status : 'unknown'}`,
      testid: 'alarm-status',
      'data-status': alarm.status,
    },
    ok ? t(`alarm_status_${alarm.status}`) : alarm.status_name || alarm.status,
  );
}

// The gateway's word for what became of the text, in the user's language (the raw word when
// the dictionary does not know it).
function textStatus(status: string | null | undefined): string {
  if (!status) return '—';
  const key = `text_status_${status}`;
  const text = t(key);
  return text === key ? status : text;
}

function overdueBadge(alarm: Alarm): HTMLElement | null {
  return alarm.overdue
    ? el('span', { class: 'badge badge-overdue', testid: 'alarm-overdue' }, t('alarm_overdue'))
    : null;
}

// The deadline that applies now: acknowledging until acknowledged, then closing.
function deadlineOf(alarm: Alarm): number | null {
  if (alarm.status === 'closed') return null;
  return alarm.status === 'raised' ? alarm.ack_deadline_ms : alarm.close_deadline_ms;
}

// ---- the beep: a short WebAudio tone (no audio file), two for 紧急.
let audio: AudioContext | null = null;

function beep(severity: number): void {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') void audio.resume();
    const start = audio.currentTime;
    const tones = severity === 1 ? 2 : 1;
    for (let i = 0; i < tones; i++) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      const at = start + i * 0.3;
      oscillator.type = 'square';
      oscillator.frequency.value = severity === 1 ? 1046 : 880;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.22);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.25);
    }
  } catch {
    // No audio in this browser: the flash still shows it.
  }
}

function readMuted(): boolean {
  try {
    return localStorage.getItem(MUTE_KEY) === '1';
  } catch {
    return false;
  }
}

function writeMuted(muted: boolean): void {
  try {
    localStorage.setItem(MUTE_KEY, muted ? '1' : '0');
  } catch {
    // Private mode: muted for this page only.
  }
}

function feedBadge(testid: string): { node: HTMLElement; set(state: FeedState): void } {
  const node = el('span', { class: 'feed-state', testid, 'data-state': 'connecting' });
  return {
    node,
    set(state) {
      node.dataset.state = state;
      node.textContent =
        state === 'live' ? `● ${t('feed_live')}` : state === 'error' ? t('feed_error') : '…';
    },
  };
}

interface Filters {
  status: string;
  kind: string;
  severity: string;
  department: string;
  plate: string;
  overdue: boolean;
  offset: number;
}

// Whether a pushed alarm belongs in the list the filters show.
function matches(alarm: Alarm, filters: Filters): boolean {
  if (filters.status === 'open' && alarm.status === 'closed') return false;
  if (filters.status && filters.status !== 'open' && alarm.status !== filters.status) return false;
  if (filters.kind && alarm.kind !== filters.kind) return false;
  if (filters.severity && String(alarm.severity) !== filters.severity) return false;
  if (filters.department && alarm.department !== filters.department) return false;
  if (filters.plate && !String(alarm.plate ?? '').includes(filters.plate)) return false;
  if (filters.overdue && !alarm.overdue) return false;
  return true;
}

// The alarm department of the signed-in user's role where it is one of the owning departments;
// the admin sees all, a district its district's alarms of every department.
function ownDepartment(): string {
  const role = session.user?.role ?? '';
  return ['transport', 'police', 'health'].includes(role) ? role : '';
}

export function renderAlarmList(content: HTMLElement, initial: URLSearchParams): () => void {
  clear(content);
  let live = true;
  let generation = 0;
  let refreshTimer: number | undefined;
  let reloadTimer: number | undefined;
  let alerts = 0;
  const filters: Filters = {
    // The centre opens on what still needs work.
    status: initial.get('status') ?? 'open',
    kind: initial.get('kind') ?? '',
    severity: initial.get('severity') ?? '',
    // Staff open on their own department's alarms; "all" stays one choice away.
    department: initial.has('department') ? (initial.get('department') ?? '') : ownDepartment(),
    plate: initial.get('plate') ?? '',
    overdue: initial.get('overdue') === '1',
    offset: Math.max(0, Number(initial.get('offset') ?? 0) || 0),
  };
  // Ids already known on this page: a push for any other id is a new alarm.
  const seen = new Set<number>();
  const flashUntil = new Map<number, number>();
  const rows = new Map<number, HTMLTableRowElement>();

  // ---- head: title, feed state, mute, counts by severity
  const feed = feedBadge('alarms-feed');
  let muted = readMuted();
  const mute = el('button', { class: 'btn btn-secondary btn-small', type: 'button' });
  const showMute = () => {
    mute.textContent = muted ? t('alarm_unmute') : t('alarm_mute');
    mute.dataset.muted = muted ? '1' : '0';
  };
  mute.setAttribute('data-testid', 'alarms-mute');
  showMute();
  mute.addEventListener('click', () => {
    muted = !muted;
    writeMuted(muted);
    showMute();
    // A click is the gesture browsers want before they play sound.
    if (!muted) beep(3);
  });
  const countValues = new Map<number, HTMLElement>();
  const counts = el(
    'div',
    { class: 'severity-counts', testid: 'alarm-counts' },
    ...SEVERITIES.map((level) => {
      const value = el('span', { class: 'count-value' }, '—');
      countValues.set(level, value);
      const card = el(
        'button',
        {
          type: 'button',
          class: `severity-count severity-count-${level}`,
          testid: `alarm-count-${level}`,
          title: t('alarm_count_hint'),
        },
        value,
        el('span', { class: 'count-label' }, t(`severity_${level}`)),
      );
      card.addEventListener('click', () => {
        severitySelect.value = filters.severity === String(level) ? '' : String(level);
        statusSelect.value = 'open';
        toolbar.requestSubmit();
      });
      return card;
    }),
  );
  const banner = el('div', { class: 'alarm-banner', testid: 'alarm-banner', hidden: true });

  // ---- filters
  const statusSelect = el(
    'select',
    { class: 'input', testid: 'alarms-filter-status' },
    el('option', { value: 'open' }, t('alarm_status_open')),
    el('option', { value: '' }, t('all_statuses')),
    ...ALARM_STATUSES.map((s) => el('option', { value: s }, t(`alarm_status_${s}`))),
  );
  statusSelect.value = filters.status;
  const kindSelect = el(
    'select',
    { class: 'input', testid: 'alarms-filter-kind' },
    el('option', { value: '' }, t('alarm_all_kinds')),
    ...ALARM_KINDS.map((k) => el('option', { value: k }, t(`alarm_kind_${k}`))),
  );
  kindSelect.value = filters.kind;
  const severitySelect = el(
    'select',
    { class: 'input', testid: 'alarms-filter-severity' },
    el('option', { value: '' }, t('alarm_all_severities')),
    ...SEVERITIES.map((s) => el('option', { value: String(s) }, t(`severity_${s}`))),
  );
  severitySelect.value = filters.severity;
  const departmentSelect = el(
    'select',
    { class: 'input', testid: 'alarms-filter-department' },
    el('option', { value: '' }, t('alarm_all_departments')),
    ...DEPARTMENTS.map((d) => el('option', { value: d }, t(`department_${d}`))),
  );
  departmentSelect.value = filters.department;
  const search = el('input', {
    type: 'search',
    class: 'input',
    testid: 'alarms-search',
    placeholder: t('pass_search'),
    value: filters.plate,
  });
  const overdue = el('input', { type: 'checkbox', testid: 'alarms-filter-overdue' });
  overdue.checked = filters.overdue;
  const toolbar = el(
    'form',
    { class: 'toolbar' },
    search,
    statusSelect,
    kindSelect,
    severitySelect,
    departmentSelect,
    el('label', { class: 'checkbox-label' }, overdue, ' ', t('alarm_overdue_only')),
    el(
      'button',
      { class: 'btn btn-primary', type: 'submit', testid: 'alarms-search-submit' },
      t('search'),
    ),
  );
  const error = errorBox('alarms-error');
  const selectAll = el('input', {
    type: 'checkbox',
    testid: 'alarms-select-all',
    title: t('alarm_select_all'),
    'aria-label': t('alarm_select_all'),
  });
  const columns = [
    '',
    t('alarm_severity'),
    t('alarm_kind'),
    t('plate'),
    t('alarm_detail'),
    t('alarm_department'),
    t('status'),
    t('alarm_deadline'),
    t('alarm_last_at'),
    t('alarm_count'),
    '',
  ];
  const { table, tbody } = listTable('alarms-table', columns, { class: 'table alarms-table' });
  table.querySelector('thead th')?.append(selectAll);

  // ---- bulk handling: the ticked alarms, one step and one comment, each alarm's result shown
  const selected = new Set<number>();
  const handles = canHandleAlarms();
  const bulkAction = el(
    'select',
    { class: 'input', testid: 'alarms-bulk-action' },
    ...(['acknowledge', 'dispatch', 'close'] as const).map((a) =>
      el('option', { value: a }, t(`alarm_action_${a}`)),
    ),
  );
  const bulkTo = el('input', {
    class: 'input',
    testid: 'alarms-bulk-to',
    placeholder: t('alarm_bulk_to'),
    hidden: true,
  });
  bulkAction.addEventListener('change', () => {
    bulkTo.hidden = bulkAction.value !== 'dispatch';
  });
  const bulkNote = el('input', {
    class: 'input wide',
    testid: 'alarms-bulk-note',
    placeholder: t('alarm_bulk_note'),
  });
  const bulkCount = el(
    'span',
    { class: 'stat-muted', testid: 'alarms-selected' },
    t('alarm_selected_n', { n: 0 }),
  );
  const bulkApply = button('alarms-bulk-apply', t('alarm_bulk_apply'), 'btn btn-primary');
  const bulkResult = el('div', {
    class: 'bulk-result',
    testid: 'alarms-bulk-result',
    hidden: true,
  });
  const exportLink = el(
    'a',
    { class: 'btn btn-secondary', testid: 'alarms-export', href: '#', download: 'alarms.csv' },
    t('alarm_export'),
  );
  const bulkBar = el(
    'div',
    { class: 'toolbar bulk-bar', testid: 'alarms-bulk' },
    handles ? bulkCount : null,
    handles ? bulkAction : null,
    handles ? bulkTo : null,
    handles ? bulkNote : null,
    handles ? bulkApply : null,
    el('div', { class: 'toolbar-spacer' }),
    exportLink,
  );
  const showSelection = () => {
    bulkCount.textContent = t('alarm_selected_n', { n: selected.size });
    bulkCount.dataset.count = String(selected.size);
    selectAll.checked = rows.size > 0 && [...rows.keys()].every((id) => selected.has(id));
  };
  selectAll.addEventListener('change', () => {
    for (const [id, row] of rows) {
      if (selectAll.checked) selected.add(id);
      else selected.delete(id);
      const box = row.querySelector<HTMLInputElement>('input[data-select]');
      if (box) box.checked = selectAll.checked;
    }
    showSelection();
  });
  const runBulk = async (action: AlarmAction, ids: number[], note: string, to = '') => {
    bulkResult.hidden = true;
    if (ids.length === 0) {
      bulkResult.textContent = t('alarm_bulk_none');
      bulkResult.hidden = false;
      return;
    }
    if (action === 'dispatch' && !to.trim()) {
      bulkResult.textContent = t('alarm_bulk_need_to');
      bulkResult.hidden = false;
      return;
    }
    bulkApply.disabled = true;
    try {
      const result = await api.alarmBulk({ action, ids, note, ...(to ? { to } : {}) });
      if (!live) return;
      clear(bulkResult);
      bulkResult.dataset.succeeded = String(result.succeeded);
      bulkResult.dataset.failed = String(result.failed);
      bulkResult.append(
        el('strong', {}, t('alarm_bulk_done', { ok: result.succeeded, failed: result.failed })),
        ...result.results
          .filter((r) => !r.ok)
          .map((r) =>
            el(
              'div',
              { class: 'form-error', testid: 'alarms-bulk-failure', 'data-id': r.id },
              `#${r.id}: ${localText(r.error?.message) || t('error_generic')}`,
            ),
          ),
      );
      bulkResult.hidden = false;
      for (const r of result.results) if (r.ok) selected.delete(r.id);
      showSelection();
      void load();
    } catch (e) {
      if (!live) return;
      bulkResult.textContent = errorText(e);
      bulkResult.hidden = false;
    } finally {
      bulkApply.disabled = false;
    }
  };
  bulkApply.addEventListener('click', () => {
    void runBulk(
      bulkAction.value as AlarmAction,
      [...selected],
      bulkNote.value.trim(),
      bulkTo.value.trim(),
    );
  });
  const paging = pager('alarms', PAGE_SIZE, filters, () => load());
  const page = el(
    'div',
    { class: 'alarm-centre', testid: 'alarm-centre', 'data-alerts': 0 },
    el(
      'div',
      { class: 'map-bar' },
      el('h2', { class: 'page-title' }, t('nav_alarms')),
      feed.node,
      el('div', { class: 'toolbar-spacer' }),
      mute,
    ),
    counts,
    banner,
    toolbar,
    bulkBar,
    bulkResult,
    error,
    el('div', { class: 'table-wrap' }, table),
    paging.node,
  );
  content.append(page);

  const selectBox = (alarm: Alarm): HTMLElement => {
    const box = el('input', {
      type: 'checkbox',
      'data-select': alarm.id,
      testid: 'alarm-select',
      'aria-label': alarm.plate || alarm.terminal,
    });
    box.checked = selected.has(alarm.id);
    // Ticking a row does not open it.
    box.addEventListener('click', (event) => event.stopPropagation());
    box.addEventListener('keydown', (event) => event.stopPropagation());
    box.addEventListener('change', () => {
      if (box.checked) selected.add(alarm.id);
      else selected.delete(alarm.id);
      showSelection();
    });
    return box;
  };
  // In-row shortcuts: acknowledge a raised alarm, its vehicle on the map.
  const quickActions = (alarm: Alarm): HTMLElement[] => {
    const actions: HTMLElement[] = [];
    if (handles && alarm.status === 'raised') {
      const ack = button('alarm-quick-ack', t('alarm_quick_ack'), 'btn btn-small btn-secondary');
      ack.addEventListener('click', (event) => {
        event.stopPropagation();
        void runBulk('acknowledge', [alarm.id], t('alarm_quick_ack_note'));
      });
      actions.push(ack);
    }
    const map = el(
      'a',
      {
        class: 'btn btn-small btn-link',
        testid: 'alarm-quick-map',
        href: `#/map?terminal=${encodeURIComponent(alarm.terminal)}`,
      },
      t('nav_map'),
    );
    map.addEventListener('click', (event) => event.stopPropagation());
    actions.push(map);
    return actions;
  };

  const alarmRow = (alarm: Alarm): HTMLTableRowElement => {
    const deadline = deadlineOf(alarm);
    const row = el(
      'tr',
      {
        class: `clickable alarm-row severity-row-${alarm.severity}${alarm.overdue ? ' overdue' : ''}`,
        testid: 'alarm-row',
        'data-id': alarm.id,
        'data-kind': alarm.kind,
        'data-status': alarm.status,
        'data-severity': alarm.severity,
        'data-plate': alarm.plate,
        'data-terminal': alarm.terminal,
        tabindex: 0,
      },
      el('td', { 'data-field': 'select', class: 'select-cell' }, selectBox(alarm)),
      el('td', { 'data-field': 'severity' }, severityBadge(alarm)),
      el('td', { 'data-field': 'kind' }, alarmKindName(alarm.kind, alarm.kind_name)),
      el(
        'td',
        { 'data-field': 'plate', class: 'plate-cell' },
        alarm.plate || alarm.terminal,
        alarm.active ? null : el('span', { class: 'stat-muted' }, ` · ${t('alarm_cleared')}`),
      ),
      el('td', { 'data-field': 'detail', class: 'detail-cell' }, localText(alarm.detail) || '—'),
      el(
        'td',
        { 'data-field': 'department' },
        departmentName(alarm.department, alarm.department_name),
      ),
      el('td', { 'data-field': 'status' }, alarmStatusBadge(alarm)),
      el(
        'td',
        { 'data-field': 'deadline' },
        overdueBadge(alarm) ?? (deadline ? formatTime(deadline) : '—'),
      ),
      el('td', { 'data-field': 'last_at' }, formatTime(alarm.last_at_ms)),
      el('td', { 'data-field': 'count' }, String(alarm.count ?? 1)),
      el('td', { 'data-field': 'actions', class: 'row-actions' }, ...quickActions(alarm)),
    );
    if ((flashUntil.get(alarm.id) ?? 0) > Date.now()) row.classList.add('alarm-flash');
    openOnActivate(row, () => {
      location.hash = `#/alarms/${alarm.id}`;
    });
    return row;
  };

  const showEmpty = () => {
    if (rows.size > 0) {
      tbody.querySelector('tr.empty')?.remove();
      return;
    }
    if (!tbody.querySelector('tr.empty')) {
      tbody.append(emptyRow(columns.length, t('alarm_none')));
    }
  };

  const load = async () => {
    const mine = ++generation;
    window.clearTimeout(refreshTimer);
    const params: Record<string, string | number> = { offset: filters.offset, limit: PAGE_SIZE };
    if (filters.status) params.status = filters.status;
    if (filters.kind) params.kind = filters.kind;
    if (filters.severity) params.severity = filters.severity;
    if (filters.department) params.department = filters.department;
    if (filters.plate) params.plate = filters.plate;
    if (filters.overdue) params.overdue = 1;
    const hashQuery = new URLSearchParams(
      Object.entries(params)
        .filter(
          ([k, v]) =>
            k !== 'limit' && !(k === 'offset' && v === 0) && !(k === 'status' && v === 'open'),
        )
        .map(([k, v]) => [k, String(v)]),
    );
    if (!filters.status) hashQuery.set('status', '');
    if (!filters.department && ownDepartment()) hashQuery.set('department', '');
    const hashText = hashQuery.toString();
    history.replaceState(null, '', `#/alarms${hashText ? `?${hashText}` : ''}`);
    const exportParams = { ...params };
    delete exportParams.offset;
    delete exportParams.limit;
    exportLink.setAttribute('href', api.alarmExportUrl(exportParams));
    error.hidden = true;
    try {
      const result = await api.alarms(params);
      if (mine !== generation || !live) return;
      clear(tbody);
      rows.clear();
      for (const alarm of result.items ?? []) {
        seen.add(alarm.id);
        const row = alarmRow(alarm);
        rows.set(alarm.id, row);
        tbody.append(row);
      }
      showEmpty();
      showSelection();
      for (const level of SEVERITIES) {
        countValues.get(level)!.textContent = String(result.counts?.[String(level)] ?? 0);
      }
      counts.dataset.total = String(
        SEVERITIES.reduce((sum, level) => sum + Number(result.counts?.[String(level)] ?? 0), 0),
      );
      paging.show(result.total, filters.offset, result.items?.length ?? 0);
      table.dataset.state = 'ready';
    } catch (e) {
      if (mine !== generation || !live) return;
      table.dataset.state = 'error';
      error.textContent = errorText(e);
      error.hidden = false;
    } finally {
      if (live && mine === generation) refreshTimer = window.setTimeout(load, REFRESH_MS);
    }
  };

  const alert = (alarm: Alarm) => {
    alerts++;
    page.dataset.alerts = String(alerts);
    banner.hidden = false;
    banner.dataset.id = String(alarm.id);
    banner.textContent = `${t(`severity_${alarm.severity}`)} · ${alarmKindName(alarm.kind, alarm.kind_name)} · ${alarm.plate || alarm.terminal} · ${localText(alarm.detail)}`;
    banner.classList.remove('flash');
    void banner.offsetWidth; // restart the animation
    banner.classList.add('flash');
    if (!muted) beep(alarm.severity);
  };

  const onAlarm = (alarm: Alarm) => {
    const isNew = !seen.has(alarm.id);
    seen.add(alarm.id);
    const existing = rows.get(alarm.id);
    if (isNew || existing) flashUntil.set(alarm.id, Date.now() + FLASH_MS);
    if (matches(alarm, filters)) {
      const row = alarmRow(alarm);
      if (existing) existing.replaceWith(row);
      else if (filters.offset === 0) tbody.prepend(row);
      if (existing || filters.offset === 0) rows.set(alarm.id, row);
    } else if (existing) {
      existing.remove();
      rows.delete(alarm.id);
    }
    showEmpty();
    if (isNew && alarm.severity <= 2 && alarm.status !== 'closed') alert(alarm);
    // Counts and totals come from the server once the burst is over.
    window.clearTimeout(reloadTimer);
    reloadTimer = window.setTimeout(() => void load(), RELOAD_AFTER_PUSH_MS);
  };
  const unsubscribe = subscribeAlarms({ onAlarm, onState: feed.set });

  toolbar.addEventListener('submit', (event) => {
    event.preventDefault();
    filters.plate = search.value.trim().toUpperCase();
    filters.status = statusSelect.value;
    filters.kind = kindSelect.value;
    filters.severity = severitySelect.value;
    filters.department = departmentSelect.value;
    filters.overdue = overdue.checked;
    filters.offset = 0;
    void load();
  });
  for (const select of [statusSelect, kindSelect, severitySelect, departmentSelect, overdue]) {
    select.addEventListener('change', () => toolbar.requestSubmit());
  }
  void load();
  return () => {
    live = false;
    generation++;
    window.clearTimeout(refreshTimer);
    window.clearTimeout(reloadTimer);
    unsubscribe();
  };
}

// ---- detail

// The steps a status allows (src/alarm): acknowledge from raised; dispatch (again) and handle from
// acknowledged or dispatched; close from handled, or from any open status with a note (a false
// alarm). The server decides: a refused step answers 409 with its reason, shown in the dialog.
export function allowedActions(status: AlarmStatus): AlarmAction[] {
  switch (status) {
    case 'raised':
      return ['acknowledge', 'close'];
    case 'acknowledged':
    case 'dispatched':
      return ['dispatch', 'handle', 'close'];
    case 'handled':
      return ['close'];
    default:
      return [];
  }
}

interface DialogField {
  name: 'note' | 'to' | 'outcome';
  label: string;
  required: boolean;
  suggestions?: string[];
}

const ACTION_FIELDS: Record<AlarmAction, DialogField[]> = {
  acknowledge: [{ name: 'note', label: 'alarm_note', required: false }],
  dispatch: [
    { name: 'to', label: 'alarm_dispatch_to', required: true, suggestions: [] },
    { name: 'note', label: 'alarm_note', required: false },
  ],
  handle: [
    { name: 'outcome', label: 'alarm_outcome', required: true, suggestions: [] },
    { name: 'note', label: 'alarm_note', required: false },
  ],
  close: [{ name: 'note', label: 'alarm_note', required: false }],
};

function suggestionsFor(field: DialogField['name']): string[] {
  if (field === 'to')
    return DEPARTMENTS.map((d) => t(`department_${d}`)).concat(t('alarm_to_carrier'));
  if (field === 'outcome') {
    return [
      'alarm_outcome_corrected',
      'alarm_outcome_warned',
      'alarm_outcome_penalised',
      'alarm_outcome_false',
    ].map((key) => t(key));
  }
  return [];
}

// A modal with the step's fields (to whom / outcome / note); the API's refusal is shown in it and
// it stays open so the user can retry.
function openActionDialog(alarm: Alarm, action: AlarmAction, done: (alarm: Alarm) => void): void {
  document.querySelector('[data-testid="alarm-dialog"]')?.remove();
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
  // Closing what was never handled needs a reason.
  const noteRequired = (field: DialogField) =>
    field.name === 'note' && action === 'close' && alarm.status !== 'handled';
  const fields = ACTION_FIELDS[action].map((field) => {
    let input: HTMLInputElement | HTMLTextAreaElement;
    let list: HTMLDataListElement | null = null;
    if (field.name === 'note') {
      input = el('textarea', { class: 'input textarea', rows: 3, testid: 'alarm-note' });
    } else {
      const listId = `alarm-${field.name}-options`;
      list = el(
        'datalist',
        { id: listId },
        ...suggestionsFor(field.name).map((s) => el('option', { value: s })),
      );
      input = el('input', {
        class: 'input wide',
        testid: `alarm-${field.name}`,
        list: listId,
        autocomplete: 'off',
      });
    }
    inputs.set(field.name, input);
    return el(
      'label',
      { class: 'field' },
      `${t(field.label)}${field.required || noteRequired(field) ? ' *' : ''}`,
      input,
      list,
      noteRequired(field)
        ? el('span', { class: 'field-hint' }, t('alarm_close_unhandled_hint'))
        : null,
    );
  });
  const error = errorBox('alarm-dialog-error');
  const confirm = el(
    'button',
    { class: 'btn btn-primary', type: 'submit', testid: 'alarm-confirm' },
    t(`alarm_action_${action}`),
  );
  const cancel = button('alarm-cancel', t('cancel'));
  const { form, overlay, close } = dialogShell(
    'alarm-dialog',
    { 'data-action': action },
    cancel,
    el(
      'h3',
      {},
      `${t(`alarm_action_${action}`)} · ${alarm.plate || alarm.terminal} · ${alarmKindName(alarm.kind, alarm.kind_name)}`,
    ),
    ...fields,
    error,
    el('div', { class: 'dialog-actions' }, cancel, confirm),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body: Record<string, string> = {};
    for (const field of ACTION_FIELDS[action]) {
      const value = inputs.get(field.name)!.value.trim();
      if ((field.required || noteRequired(field)) && !value) {
        error.textContent = t('alarm_field_required', { field: t(field.label) });
        error.hidden = false;
        inputs.get(field.name)!.focus();
        return;
      }
      body[field.name] = value;
    }
    await confirming(confirm, error, async () => {
      const result = await api.alarmAction(alarm.id, action, body);
      close();
      done(result.alarm);
    });
  });
  document.body.append(overlay);
  inputs.values().next().value?.focus();
}

function row(label: string, value: Node | string | null, testid?: string): HTMLElement {
  return el('tr', { testid }, el('th', {}, label), el('td', {}, value ?? '—'));
}

// A step as the history names it ("acknowledge" or "acknowledged", ...); an unknown one as sent.
// What an alarm is about: a zone or route by its name, a terminal's alarm bit by its meaning.
let zoneNamesRequest: Promise<Map<string, string>> | null = null;
function zoneNames(): Promise<Map<string, string>> {
  zoneNamesRequest ??= api.zones().then(
    ({ zones }) => new Map((zones ?? []).map((zone) => [zone.code, zone.name || zone.code])),
    () => {
      zoneNamesRequest = null;
      return new Map<string, string>();
    },
  );
  return zoneNamesRequest;
}

export function subjectNode(subject: string | null | undefined): HTMLElement {
  const node = el('span', { testid: 'alarm-subject', 'data-subject': subject ?? '' }, '—');
  if (!subject) return node;
  const bit = /^bit(\d+)$/.exec(subject);
  if (bit) {
    node.textContent = t('terminal_bit', { name: terminalBitName(Number(bit[1])) });
    return node;
  }
  // Until the names arrive (or for a zone since deleted): the kind of place, not its code.
  node.textContent = subject.startsWith('route:') ? t('zone_kind_route') : t('alarm_subject_zone');
  void zoneNames().then((names) => {
    const name = names.get(subject);
    if (name) node.textContent = name;
  });
  return node;
}

function stepName(step: string): string {
  const key = `alarm_step_${step}`;
  const text = t(key);
  return text === key ? step : text;
}

export function renderAlarmDetail(content: HTMLElement, id: string): () => void {
  clear(content);
  let live = true;
  let map: L.Map | null = null;
  const body = el('div', { testid: 'alarm-detail', 'data-state': 'loading' }, t('loading'));
  const feed = feedBadge('alarm-detail-feed');
  content.append(
    el(
      'div',
      { class: 'page-head' },
      el(
        'a',
        { href: '#/alarms', class: 'btn btn-link', testid: 'alarm-back' },
        `← ${t('back_to_list')}`,
      ),
    ),
    el(
      'div',
      { class: 'map-bar' },
      el('h2', { class: 'page-title' }, t('alarm_detail_title'), ' · ', id),
      feed.node,
    ),
    body,
  );

  let generation = 0;
  const load = () => {
    const mine = ++generation;
    return api.alarm(id).then(
      (result) => {
        if (live && mine === generation) show(result.alarm, result.steps ?? [], result.track ?? []);
      },
      (e) => {
        if (!live || mine !== generation) return;
        body.dataset.state = 'error';
        clear(body);
        body.append(
          el('div', { class: 'form-error', role: 'alert', testid: 'alarm-error' }, errorText(e)),
        );
      },
    );
  };

  const show = (alarm: Alarm, steps: AlarmStep[], track: TrackPoint[]) => {
    if (map) disposeMap(map);
    map = null;
    clear(body);
    body.dataset.state = 'ready';
    body.dataset.status = alarm.status;
    body.dataset.id = String(alarm.id);
    body.dataset.kind = alarm.kind;

    const head = el(
      'div',
      { class: 'alarm-head' },
      severityBadge(alarm),
      el('span', { class: 'alarm-head-kind' }, alarmKindName(alarm.kind, alarm.kind_name)),
      el('span', { class: 'alarm-head-plate', testid: 'alarm-plate' }, alarm.plate || '—'),
      alarmStatusBadge(alarm),
      overdueBadge(alarm),
      el(
        'span',
        {
          class: `badge ${alarm.active ? 'badge-active' : 'badge-cleared'}`,
          testid: 'alarm-active',
        },
        alarm.active ? t('alarm_active') : t('alarm_cleared'),
      ),
    );

    const actions = el('div', { class: 'form-actions alarm-actions', testid: 'alarm-actions' });
    if (canHandleAlarms()) {
      for (const action of allowedActions(alarm.status)) {
        const button = el(
          'button',
          {
            class: `btn ${action === 'close' ? 'btn-danger' : 'btn-primary'}`,
            type: 'button',
            testid: `alarm-${action}`,
          },
          t(`alarm_action_${action}`),
        );
        button.addEventListener('click', () =>
          openActionDialog(alarm, action, () => {
            if (live) void load();
          }),
        );
        actions.append(button);
      }
    }

    const plateText = [alarm.plate, plateColorName(alarm.plate_color)].filter(Boolean).join(' ');
    const facts = el(
      'table',
      { class: 'table detail-table', testid: 'alarm-facts' },
      el(
        'tbody',
        {},
        row(t('alarm_kind'), alarmKindName(alarm.kind, alarm.kind_name)),
        row(t('alarm_subject'), subjectNode(alarm.subject)),
        row(t('alarm_detail'), localText(alarm.detail) || '—', 'alarm-detail-text'),
        row(t('plate'), plateText || '—'),
        row(t('terminal'), alarm.terminal),
        row(
          t('alarm_department'),
          departmentName(alarm.department, alarm.department_name),
          'alarm-department',
        ),
        row(t('district'), alarm.district || '—'),
        row(t('alarm_count'), String(alarm.count ?? 1)),
        row(t('alarm_first_at'), formatTime(alarm.first_at_ms)),
        row(t('alarm_last_at'), formatTime(alarm.last_at_ms)),
        row(t('alarm_cleared_at'), formatTime(alarm.cleared_at_ms)),
        row(
          t('alarm_position'),
          Number.isFinite(alarm.lat)
            ? `${Number(alarm.lat).toFixed(6)}, ${Number(alarm.lon).toFixed(6)} · ${Number(alarm.speed_kmh ?? 0).toFixed(1)} km/h`
            : '—',
        ),
        row(
          t('pass_id'),
          alarm.pass_id
            ? el('a', { href: `#/passes/${alarm.pass_id}` }, String(alarm.pass_id))
            : '—',
        ),
        row(t('alarm_ack_deadline'), formatTime(alarm.ack_deadline_ms)),
        row(t('alarm_close_deadline'), formatTime(alarm.close_deadline_ms)),
        row(
          t('alarm_acknowledged'),
          alarm.acknowledged_by
            ? `${operatorName(alarm.acknowledged_by)} · ${formatTime(alarm.acknowledged_at_ms)}`
            : '—',
        ),
        row(
          t('alarm_dispatched_to'),
          alarm.dispatched_to
            ? [alarm.dispatched_to, alarm.dispatch_note].filter(Boolean).join(' · ')
            : '—',
          'alarm-dispatched-to',
        ),
        row(
          t('alarm_handled'),
          alarm.handled_by
            ? [
                alarm.outcome,
                alarm.handle_note,
                `${operatorName(alarm.handled_by)} · ${formatTime(alarm.handled_at_ms)}`,
              ]
                .filter(Boolean)
                .join(' · ')
            : '—',
        ),
        row(
          t('alarm_closed'),
          alarm.closed_by
            ? `${operatorName(alarm.closed_by)} · ${formatTime(alarm.closed_at_ms)}`
            : '—',
        ),
        row(t('alarm_text_status'), textStatus(alarm.text_status)),
      ),
    );

    const stepsBody = el('tbody', {});
    if (steps.length === 0) {
      stepsBody.append(el('tr', { class: 'empty' }, el('td', { colspan: 5 }, t('no_records'))));
    }
    for (const step of steps) {
      stepsBody.append(
        el(
          'tr',
          { testid: 'alarm-step', 'data-step': step.step },
          el('td', {}, stepName(step.step)),
          el('td', {}, operatorName(step.by)),
          el('td', {}, formatTime(step.at_ms)),
          el(
            'td',
            {},
            [step.to, step.step.startsWith('text_') ? textStatus(step.outcome) : step.outcome]
              .filter(Boolean)
              .join(' · ') || '—',
          ),
          el('td', { class: 'detail-cell' }, step.note || '—'),
        ),
      );
    }
    const stepsTable = el(
      'table',
      { class: 'table', testid: 'alarm-steps', 'data-count': steps.length },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...[
            t('alarm_step'),
            t('operator'),
            t('time'),
            t('alarm_step_target'),
            t('alarm_note'),
          ].map((c) => el('th', {}, c)),
        ),
      ),
      stepsBody,
    );

    const mapNode = el('div', { class: 'mini-map', testid: 'alarm-map' });
    body.append(
      head,
      actions,
      el(
        'div',
        { class: 'alarm-layout' },
        el('section', { class: 'card' }, el('h3', {}, t('record_detail')), facts),
        el(
          'section',
          { class: 'card' },
          el('h3', {}, t('alarm_track')),
          mapNode,
          el('div', { class: 'stat-muted' }, t('alarm_track_hint', { n: track.length })),
        ),
      ),
      el('section', { class: 'card' }, el('h3', {}, t('alarm_steps')), stepsTable),
    );

    // Re-rendered after every step: no animations that could outlive the map.
    map = baseMap(mapNode, {
      zoomAnimation: false,
      fadeAnimation: false,
      markerZoomAnimation: false,
    });
    const point: L.LatLngExpression = [alarm.lat, alarm.lon];
    const line = track
      .filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon))
      .map((p) => [p.lat, p.lon] as L.LatLngTuple);
    const bounds = L.latLngBounds([]);
    if (line.length > 1) {
      const polyline = L.polyline(line, { color: '#1d5a9e', weight: 3 }).addTo(map);
      bounds.extend(polyline.getBounds());
    }
    if (Number.isFinite(alarm.lat) && Number.isFinite(alarm.lon)) {
      L.circleMarker(point, {
        radius: 8,
        color: '#7f0000',
        weight: 2,
        fillColor: '#e53935',
        fillOpacity: 0.9,
      })
        .bindTooltip(
          textLabel(
            `${alarmKindName(alarm.kind, alarm.kind_name)} · ${formatTime(alarm.first_at_ms)}`,
          ),
        )
        .addTo(map);
      bounds.extend(point);
    }
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.2), { maxZoom: 16 });
    mapNode.dataset.track = String(line.length);
  };

  // Another user's step (or a repeat) shows here as it happens.
  const unsubscribe = subscribeAlarms({
    onAlarm: (alarm) => {
      if (String(alarm.id) === id) void load();
    },
    onState: feed.set,
  });
  void load();
  return () => {
    live = false;
    generation++;
    unsubscribe();
    if (map) disposeMap(map);
    document.querySelector('[data-testid="alarm-dialog"]')?.remove();
  };
}
