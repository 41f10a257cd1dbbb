// 规则与区域: the monitored zones on a map and in a list (sites, routes and the city read-only with
// their source; the users' restricted zones editable), drawing a new zone with the shared tools
// of draw.ts (circle: click the centre, move, click again or type the radius; polygon: click the
// vertices, double-click or 完成), and the thresholds editor (#/zones/rules), a form built from
// whatever JSON GET /api/monitor/rules sends, so that its shape may change without breaking it.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { ApiError, api, type RuleSettings, type Zone, type ZoneInput } from '../api';
import { clear, el, textLabel } from '../dom';
import { drawTool, shapeGeoJson } from '../draw';
import { t, terminalBitName } from '../i18n';
import { errorText } from '../pass-ui';
import { canConfigureMonitor } from '../state';
import { button, emptyRow, errorBox, listTable } from '../widgets';
import { ALARM_KINDS, DEPARTMENTS, alarmKindName, departmentName } from './alarms';
import { baseMap, zoneLayer, zoneStyle, zoneTooltipText } from './map';
import { disposeMap } from '../map-teardown';

export const VEHICLE_CLASSES = [
  'tour_bus',
  'line_bus',
  'hazardous',
  'heavy_truck',
  'truck',
] as const;
const DEFAULT_RADIUS_M = 500;

function tabs(active: 'zones' | 'rules'): HTMLElement {
  return el(
    'div',
    { class: 'tabs' },
    el(
      'a',
      { href: '#/zones', class: `tab${active === 'zones' ? ' active' : ''}`, testid: 'tab-zones' },
      t('zones_tab'),
    ),
    el(
      'a',
      {
        href: '#/zones/rules',
        class: `tab${active === 'rules' ? ' active' : ''}`,
        testid: 'tab-rules',
      },
      t('rules_tab'),
    ),
  );
}

function classesText(classes: string[] | undefined): string {
  if (!classes || classes.length === 0 || classes.length >= VEHICLE_CLASSES.length) {
    return t('zone_all_classes');
  }
  return classes.map((c) => t(`vehicle_class_${c}`)).join('，');
}

function windowsText(zone: Zone): string {
  const windows = zone.windows ?? [];
  return windows.length ? windows.map((w) => `${w.start}–${w.end}`).join('，') : t('zone_always');
}

// The form field a validation error names: the server says "zone.radius_m", a nested one may
// say "windows[0].start" (-> windows).
function fieldRoot(field: string | undefined): string {
  return (field ?? '').replace(/^zone\./, '').split(/[.[]/)[0];
}

export function renderZones(content: HTMLElement): () => void {
  clear(content);
  let live = true;
  const editable = canConfigureMonitor();
  let zones: Zone[] = [];
  // The zone the form edits: null for a new one.
  let editing: Zone | null = null;

  const error = errorBox('zones-error');
  const mapNode = el('div', { class: 'zone-map', testid: 'zones-map' });
  const columns = [
    t('zone_code'),
    t('zone_name'),
    t('zone_kind'),
    t('zone_source'),
    t('zone_classes'),
    t('zone_windows'),
    t('zone_speed_limit'),
    t('alarm_department'),
    '',
  ];
  const { table, tbody } = listTable('zones-table', columns);

  // ---- the toolbar: 新建 and the drawing tools (added with the map below)
  const newZone = button('zone-new', t('zone_new'), 'btn btn-primary');
  const toolbar = el('div', { class: 'toolbar' }, newZone);

  // ---- the form
  const fieldErrors = new Map<string, HTMLElement>();
  const field = (name: string, label: string, input: HTMLElement, hint?: string) => {
    const message = el('span', {
      class: 'field-error',
      testid: `zone-error-${name}`,
      hidden: true,
    });
    fieldErrors.set(name, message);
    return el(
      'label',
      { class: 'field', 'data-field': name },
      label,
      input,
      hint ? el('span', { class: 'field-hint' }, hint) : null,
      message,
    );
  };
  const code = el('input', { class: 'input', testid: 'zone-code', maxlength: 64 });
  const name = el('input', { class: 'input', testid: 'zone-name' });
  const kind = el(
    'select',
    { class: 'input', testid: 'zone-kind', disabled: true },
    el('option', { value: 'restricted' }, t('zone_kind_restricted')),
  );
  const radius = el('input', {
    class: 'input',
    type: 'number',
    min: 10,
    max: 50000,
    step: 10,
    testid: 'zone-radius',
  });
  const speed = el('input', {
    class: 'input',
    type: 'number',
    min: 0,
    step: 1,
    testid: 'zone-speed-limit',
    placeholder: t('zone_no_limit'),
  });
  const alarmOnExit = el('input', { type: 'checkbox', testid: 'zone-alarm-on-exit' });
  const department = el(
    'select',
    { class: 'input', testid: 'zone-department' },
    el('option', { value: '' }, t('zone_department_default')),
    ...DEPARTMENTS.map((d) => el('option', { value: d }, t(`department_${d}`))),
  );
  const classBoxes = new Map<string, HTMLInputElement>();
  const classes = el(
    'div',
    { class: 'checkbox-group', testid: 'zone-classes' },
    ...VEHICLE_CLASSES.map((c) => {
      const box = el('input', { type: 'checkbox', value: c, testid: `zone-class-${c}` });
      classBoxes.set(c, box);
      return el('label', { class: 'checkbox-label' }, box, ' ', t(`vehicle_class_${c}`));
    }),
  );
  const windowList = el('div', { class: 'window-list', testid: 'zone-windows' });
  const addWindow = (start = '22:00', end = '06:00') => {
    const from = el('input', {
      class: 'input',
      type: 'time',
      value: start,
      testid: 'zone-window-start',
    });
    const to = el('input', { class: 'input', type: 'time', value: end, testid: 'zone-window-end' });
    const remove = el(
      'button',
      { class: 'btn btn-link', type: 'button', testid: 'zone-window-remove' },
      '×',
    );
    const line = el('div', { class: 'window-row', testid: 'zone-window' }, from, '–', to, remove);
    remove.addEventListener('click', () => line.remove());
    windowList.append(line);
  };
  const addWindowButton = el(
    'button',
    { class: 'btn btn-secondary btn-small', type: 'button', testid: 'zone-window-add' },
    t('zone_window_add'),
  );
  addWindowButton.addEventListener('click', () => addWindow());
  const geometryText = el('span', { class: 'stat-muted', testid: 'zone-geometry' }, '—');
  const save = el(
    'button',
    { class: 'btn btn-primary', type: 'submit', testid: 'zone-save' },
    t('save'),
  );
  const remove = el(
    'button',
    { class: 'btn btn-danger', type: 'button', testid: 'zone-delete', hidden: true },
    t('delete'),
  );
  const formTitle = el('h3', { testid: 'zone-form-title' }, t('zone_new'));
  const saved = el('span', { class: 'stat-muted', testid: 'zone-saved', hidden: true }, t('saved'));
  const formError = el('div', {
    class: 'form-error',
    testid: 'zone-form-error',
    role: 'alert',
    hidden: true,
  });
  const form = el(
    'form',
    // The server's messages name the field in Chinese; the browser's own checks stay out of it.
    { class: 'card zone-form', testid: 'zone-form', hidden: true, novalidate: true },
    formTitle,
    el(
      'div',
      { class: 'form-grid' },
      field('code', t('zone_code'), code, t('zone_code_hint')),
      field('name', t('zone_name'), name),
      field('kind', t('zone_kind'), kind),
      field('geometry', t('zone_geometry'), geometryText),
      field('radius_m', t('zone_radius'), radius),
      field('speed_limit_kmh', t('zone_speed_limit'), speed),
      field('department', t('alarm_department'), department),
    ),
    field('vehicle_classes', t('zone_classes'), classes, t('zone_classes_hint')),
    field(
      'windows',
      t('zone_windows'),
      el('div', {}, windowList, addWindowButton),
      t('zone_windows_hint'),
    ),
    el(
      'label',
      { class: 'checkbox-label', 'data-field': 'alarm_on_exit' },
      alarmOnExit,
      ' ',
      t('zone_alarm_on_exit'),
    ),
    formError,
    el('div', { class: 'form-actions' }, save, remove, saved),
  );

  const placeholder = el(
    'div',
    { class: 'card empty-card', testid: 'zone-placeholder' },
    editable ? t('zone_placeholder_edit') : t('zone_placeholder'),
  );
  content.append(
    el('h2', { class: 'page-title' }, t('nav_zones')),
    tabs('zones'),
    error,
    ...(editable ? [toolbar] : []),
    el(
      'div',
      { class: 'zones-layout' },
      mapNode,
      el('div', { class: 'zones-side' }, placeholder, form),
    ),
    el('div', { class: 'table-wrap' }, table),
  );

  // ---- the map
  const map = baseMap(mapNode);
  const zonesLayer = L.featureGroup().addTo(map);
  const layersByCode = new Map<string, L.Layer>();
  // The geometry of the zone the form shows, until a new shape is drawn.
  let storedGeometry: ZoneInput['geometry'] | null = null;
  const formGeometry = (): ZoneInput['geometry'] | null => {
    const shape = draw.shape();
    return shape ? shapeGeoJson(shape) : storedGeometry;
  };

  const setGeometryText = () => {
    const geometry = formGeometry();
    if (!geometry) {
      geometryText.textContent = t('zone_geometry_none');
      geometryText.dataset.type = '';
    } else if (geometry.type === 'Point') {
      geometryText.textContent = t('zone_geometry_circle', {
        r: Math.round(Number(radius.value) || 0),
      });
      geometryText.dataset.type = 'circle';
    } else if (geometry.type === 'Polygon') {
      geometryText.textContent = t('zone_geometry_polygon', {
        n: geometry.coordinates[0].length - 1,
      });
      geometryText.dataset.type = 'polygon';
    } else {
      geometryText.textContent = geometry.type;
      geometryText.dataset.type = geometry.type;
    }
  };

  const draw = drawTool(map, {
    prefix: 'zone',
    style: zoneStyle('restricted'),
    defaultRadiusM: DEFAULT_RADIUS_M,
    radius,
    beforeStart: (mode) => {
      if (form.hidden || (editing && editing.source !== 'user')) openForm(null);
      storedGeometry = null;
      radius.closest('label')!.hidden = mode !== 'circle';
    },
    onChange: setGeometryText,
  });
  toolbar.append(...draw.controls);

  const clearSketch = () => {
    storedGeometry = null;
    draw.clear();
  };

  const showSketchOf = (zone: Zone) => {
    clearSketch();
    const layer = zoneLayer(zone);
    if (!layer) return;
    storedGeometry = zone.geometry;
    draw.show(
      layer,
      layer instanceof L.Circle
        ? { type: 'circle', centre: layer.getLatLng(), radius_m: layer.getRadius() }
        : null,
    );
  };

  // ---- form handling
  const clearErrors = () => {
    formError.hidden = true;
    saved.hidden = true;
    for (const [, message] of fieldErrors) message.hidden = true;
    for (const node of form.querySelectorAll('.invalid')) node.classList.remove('invalid');
  };

  const openForm = (zone: Zone | null) => {
    editing = zone;
    clearErrors();
    form.hidden = false;
    placeholder.hidden = true;
    const readOnly = !editable || (zone !== null && zone.source !== 'user');
    form.dataset.mode = zone ? 'edit' : 'new';
    form.dataset.code = zone?.code ?? '';
    formTitle.textContent = zone
      ? `${readOnly ? t('zone_view') : t('zone_edit')} · ${zone.name || zone.code}`
      : t('zone_new');
    code.value = zone?.code ?? '';
    code.readOnly = zone !== null;
    name.value = zone?.name ?? '';
    kind.replaceChildren(
      el(
        'option',
        { value: zone?.kind ?? 'restricted' },
        t(`zone_kind_${zone?.kind ?? 'restricted'}`),
      ),
    );
    const r = zone?.radius_m ?? zone?.geometry?.radius_m;
    radius.value = r ? String(r) : '';
    radius.closest('label')!.hidden = zone ? zone.geometry?.type !== 'Point' : false;
    speed.value =
      zone?.speed_limit_kmh !== null && zone?.speed_limit_kmh !== undefined
        ? String(zone.speed_limit_kmh)
        : '';
    alarmOnExit.checked = Boolean(zone?.alarm_on_exit);
    department.value = zone?.department ?? '';
    const chosen = new Set(zone?.vehicle_classes?.length ? zone.vehicle_classes : VEHICLE_CLASSES);
    for (const [id, box] of classBoxes) box.checked = chosen.has(id);
    windowList.replaceChildren();
    for (const w of zone?.windows ?? []) addWindow(w.start, w.end);
    for (const input of form.querySelectorAll<
      HTMLInputElement | HTMLSelectElement | HTMLButtonElement
    >('input, select, button')) {
      if (input !== kind) input.disabled = readOnly;
    }
    save.hidden = readOnly;
    remove.hidden = readOnly || zone === null;
    draw.stop();
    if (zone) showSketchOf(zone);
    else clearSketch();
  };
  newZone.addEventListener('click', () => openForm(null));

  const zoneFromForm = (): ZoneInput | null => {
    const windows = [...windowList.querySelectorAll('[data-testid="zone-window"]')].map((line) => {
      const [start, end] = line.querySelectorAll('input');
      return { start: start.value, end: end.value };
    });
    const drawn = formGeometry();
    if (!drawn) {
      showFieldError('geometry', t('zone_geometry_missing'));
      return null;
    }
    const r = Number(radius.value);
    const geometry = drawn.type === 'Point' && r > 0 ? { ...drawn, radius_m: r } : drawn;
    return {
      code: code.value.trim(),
      name: name.value.trim(),
      kind: 'restricted',
      geometry,
      radius_m: geometry.type === 'Point' ? r : null,
      windows,
      vehicle_classes: [...classBoxes].filter(([, box]) => box.checked).map(([id]) => id),
      speed_limit_kmh: speed.value.trim() === '' ? null : Number(speed.value),
      alarm_on_exit: alarmOnExit.checked,
      department: department.value,
    };
  };

  const showFieldError = (fieldName: string | undefined, message: string) => {
    const target = fieldErrors.get(fieldRoot(fieldName)) ?? fieldErrors.get(fieldName ?? '');
    if (target) {
      target.textContent = message;
      target.hidden = false;
      target.closest('.field')?.classList.add('invalid');
    } else {
      formError.textContent = message;
      formError.hidden = false;
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    draw.finish();
    const zone = zoneFromForm();
    if (!zone) return;
    if (!zone.code) return showFieldError('code', t('zone_code_required'));
    if (!zone.name) return showFieldError('name', t('zone_name_required'));
    save.disabled = true;
    try {
      const result = editing
        ? await api.updateZone(editing.code, zone)
        : await api.createZone(zone);
      if (!live) return;
      await loadZones();
      const stored = zones.find((z) => z.code === (result?.zone?.code ?? zone.code));
      openForm(stored ?? null);
      saved.hidden = false;
    } catch (e) {
      if (!live) return;
      showFieldError(e instanceof ApiError ? e.field : undefined, errorText(e));
    } finally {
      save.disabled = false;
    }
  });

  remove.addEventListener('click', async () => {
    if (
      !editing ||
      !window.confirm(t('zone_delete_confirm', { name: editing.name || editing.code }))
    )
      return;
    clearErrors();
    try {
      await api.deleteZone(editing.code);
      if (!live) return;
      form.hidden = true;
      placeholder.hidden = false;
      editing = null;
      clearSketch();
      await loadZones();
    } catch (e) {
      if (live) showFieldError(undefined, errorText(e));
    }
  });

  // ---- the list
  const showZones = () => {
    zonesLayer.clearLayers();
    layersByCode.clear();
    clear(tbody);
    if (zones.length === 0) {
      tbody.append(emptyRow(columns.length, t('no_records')));
    }
    const order = ['restricted', 'route', 'site', 'city'];
    const sorted = [...zones].sort(
      (a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.code.localeCompare(b.code),
    );
    for (const zone of sorted) {
      const layer = zoneLayer(zone);
      if (layer) {
        (layer as L.Path).bindTooltip?.(textLabel(zoneTooltipText(zone)));
        // While drawing, a click on a zone is a click on the map (a vertex, a centre).
        layer.on('click', () => {
          if (draw.mode() === 'none') openForm(zone);
        });
        zonesLayer.addLayer(layer);
        layersByCode.set(zone.code, layer);
      }
      const userZone = zone.source === 'user';
      const open = el(
        'button',
        { class: 'btn btn-secondary btn-small', type: 'button', testid: 'zone-open' },
        editable && userZone ? t('zone_edit') : t('zone_view'),
      );
      const row = el(
        'tr',
        {
          class: `clickable${userZone ? '' : ' read-only'}`,
          testid: 'zone-row',
          'data-code': zone.code,
          'data-kind': zone.kind,
          'data-source': zone.source,
        },
        el('td', { class: 'check-code' }, zone.code),
        el('td', {}, zone.name || '—'),
        el(
          'td',
          {},
          el('span', { class: `badge badge-zone-${zone.kind}` }, t(`zone_kind_${zone.kind}`)),
        ),
        el('td', {}, t(`zone_source_${zone.source}`)),
        el('td', {}, classesText(zone.vehicle_classes)),
        el('td', {}, windowsText(zone)),
        el(
          'td',
          {},
          zone.speed_limit_kmh !== null && zone.speed_limit_kmh !== undefined
            ? `${zone.speed_limit_kmh} km/h`
            : '—',
        ),
        el('td', {}, zone.department ? departmentName(zone.department) : '—'),
        el('td', {}, open),
      );
      const focus = () => {
        openForm(zone);
        const target = layersByCode.get(zone.code);
        const bounds =
          target && 'getBounds' in target ? (target as L.FeatureGroup).getBounds() : null;
        if (bounds?.isValid()) map.fitBounds(bounds.pad(0.3), { maxZoom: 16 });
      };
      row.addEventListener('click', focus);
      tbody.append(row);
    }
    table.dataset.state = 'ready';
    table.dataset.count = String(zones.length);
  };

  const loadZones = async () => {
    try {
      const result = await api.zones();
      if (!live) return;
      zones = result.zones ?? [];
      error.hidden = true;
      showZones();
      const bounds = zonesLayer.getBounds();
      if (bounds.isValid() && mapNode.dataset.fitted !== '1') {
        map.fitBounds(bounds);
        mapNode.dataset.fitted = '1';
      }
    } catch (e) {
      if (!live) return;
      table.dataset.state = 'error';
      error.textContent = errorText(e);
      error.hidden = false;
    }
  };
  void loadZones();

  return () => {
    live = false;
    disposeMap(map);
  };
}

// ---- thresholds

type Path = Array<string | number>;
type Leaf =
  | {
      path: Path;
      kind: 'number' | 'boolean' | 'string' | 'minute' | 'time' | 'numbers';
      input: HTMLInputElement;
    }
  // Seconds shown in a chosen unit.
  | { path: Path; kind: 'duration'; input: HTMLInputElement; unit: HTMLSelectElement }
  // A list of JT/T 808 alarm bits as named checkboxes.
  | { path: Path; kind: 'bits'; boxes: HTMLInputElement[] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
// A list of numbers (terminal_alarm_bits) is edited as one comma-separated value.
const isNumberList = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'number');
const isPrimitive = (v: unknown) =>
  ['number', 'boolean', 'string'].includes(typeof v) || isNumberList(v);
const TIME_TEXT = /^\d{2}:\d{2}$/;

// A readable label for a settings key: known ones from the dictionary, else the key itself.
function keyLabel(key: string): string {
  if ((VEHICLE_CLASSES as readonly string[]).includes(key)) return t(`vehicle_class_${key}`);
  if ((ALARM_KINDS as readonly string[]).includes(key)) return alarmKindName(key);
  const text = t(`rule_${key}`);
  return text === `rule_${key}` ? key : text;
}

const pathText = (path: Path) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

function minutesToTime(value: number): string {
  const m = ((Math.round(value) % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

export function renderRules(content: HTMLElement): () => void {
  clear(content);
  let live = true;
  const editable = canConfigureMonitor();
  const body = el('div', { testid: 'rules', 'data-state': 'loading' }, t('loading'));
  content.append(el('h2', { class: 'page-title' }, t('nav_zones')), tabs('rules'), body);

  let original: RuleSettings = {};
  const leaves: Leaf[] = [];

  const leafInput = (path: Path, value: unknown): HTMLElement => {
    const key = String(path[path.length - 1]);
    let input: HTMLInputElement;
    let kind: Leaf['kind'];
    if (typeof value === 'boolean') {
      input = el('input', { type: 'checkbox' });
      input.checked = value;
      kind = 'boolean';
    } else if (typeof value === 'number' && key.endsWith('_minute')) {
      input = el('input', { class: 'input', type: 'time', value: minutesToTime(value) });
      kind = 'minute';
    } else if (typeof value === 'string' && TIME_TEXT.test(value)) {
      input = el('input', { class: 'input', type: 'time', value });
      kind = 'time';
    } else if (isNumberList(value) && key.endsWith('_bits')) {
      // Terminal alarm bits by their meaning, not their numbers.
      const chosen = new Set(value);
      const boxes = Array.from({ length: 32 }, (_, bit) => {
        const box = el('input', { type: 'checkbox', 'data-bit': bit });
        box.checked = chosen.has(bit);
        box.disabled = !editable;
        return box;
      });
      leaves.push({ path, kind: 'bits', boxes });
      return el(
        'div',
        { class: 'checkbox-group bits-group', testid: `rule-${pathText(path)}` },
        ...boxes.map((box, bit) =>
          el('label', { class: 'checkbox-label' }, box, ' ', terminalBitName(bit)),
        ),
      );
    } else if (typeof value === 'number' && key.endsWith('_s')) {
      // Durations in the unit a person would say: 4 小时, 15 分钟, 30 秒.
      const factor =
        value >= 3600 && value % 3600 === 0 ? 3600 : value >= 60 && value % 60 === 0 ? 60 : 1;
      input = el('input', {
        class: 'input input-number',
        type: 'number',
        step: 'any',
        min: 0,
        value: String(value / factor),
      });
      const unit = el(
        'select',
        { class: 'input input-unit', 'data-unit-for': pathText(path) },
        ...[
          [1, t('unit_seconds')],
          [60, t('unit_minutes')],
          [3600, t('unit_hours')],
        ].map(([seconds, label]) => el('option', { value: String(seconds) }, String(label))),
      );
      unit.value = String(factor);
      unit.disabled = !editable;
      input.dataset.path = pathText(path);
      input.setAttribute('data-testid', `rule-${pathText(path)}`);
      input.disabled = !editable;
      leaves.push({ path, kind: 'duration', input, unit });
      return el('span', { class: 'duration-input' }, input, unit);
    } else if (isNumberList(value)) {
      input = el('input', { class: 'input wide', value: value.join(', ') });
      kind = 'numbers';
    } else if (typeof value === 'number') {
      input = el('input', {
        class: 'input input-number',
        type: 'number',
        step: 'any',
        value: String(value),
      });
      kind = 'number';
    } else {
      input = el('input', { class: 'input', value: String(value ?? '') });
      kind = 'string';
    }
    input.dataset.path = pathText(path);
    input.setAttribute('data-testid', `rule-${pathText(path)}`);
    input.disabled = !editable;
    leaves.push({ path, kind, input });
    return input;
  };

  // Per-class (or any map of like objects) -> a table: rows are the keys, columns the fields.
  const objectTable = (path: Path, value: Record<string, Record<string, unknown>>): HTMLElement => {
    const rowKeys = Object.keys(value);
    const fields = [
      ...new Set(
        rowKeys.flatMap((k) => Object.keys(value[k]).filter((f) => isPrimitive(value[k][f]))),
      ),
    ];
    return el(
      'div',
      { class: 'table-wrap' },
      el(
        'table',
        { class: 'table rules-table', testid: `rules-table-${pathText(path)}` },
        el(
          'thead',
          {},
          el('tr', {}, el('th', {}, ''), ...fields.map((f) => el('th', {}, keyLabel(f)))),
        ),
        el(
          'tbody',
          {},
          ...rowKeys.map((rowKey) =>
            el(
              'tr',
              { 'data-key': rowKey },
              el('th', {}, keyLabel(rowKey)),
              ...fields.map((f) =>
                el(
                  'td',
                  {},
                  f in value[rowKey] && isPrimitive(value[rowKey][f])
                    ? leafInput([...path, rowKey, f], value[rowKey][f])
                    : '—',
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };

  // An object of primitives -> a grid of inputs (booleans as a checkbox list).
  const group = (path: Path, value: Record<string, unknown>): HTMLElement => {
    const keys = Object.keys(value);
    const allBooleans = keys.length > 0 && keys.every((k) => typeof value[k] === 'boolean');
    return el(
      'div',
      { class: allBooleans ? 'checkbox-group' : 'form-grid' },
      ...keys.map((k) => {
        const v = value[k];
        const childPath = [...path, k];
        if (isPrimitive(v)) {
          return typeof v === 'boolean'
            ? el('label', { class: 'checkbox-label' }, leafInput(childPath, v), ' ', keyLabel(k))
            : el('label', { class: 'field' }, keyLabel(k), leafInput(childPath, v));
        }
        return section(childPath, v);
      }),
    );
  };

  const section = (path: Path, value: unknown): HTMLElement => {
    const title = keyLabel(String(path[path.length - 1]));
    let inner: HTMLElement;
    if (
      isObject(value) &&
      Object.values(value).length > 0 &&
      Object.values(value).every(isObject)
    ) {
      inner = objectTable(path, value as Record<string, Record<string, unknown>>);
    } else if (Array.isArray(value) && value.length > 0 && value.every(isObject)) {
      inner = objectTable(
        path,
        Object.fromEntries(value.map((v, i) => [i, v])) as Record<string, Record<string, unknown>>,
      );
    } else if (isObject(value)) {
      inner = group(path, value);
    } else {
      inner = el('code', {}, JSON.stringify(value));
    }
    return el(
      'fieldset',
      { class: 'fieldset', 'data-path': pathText(path) },
      el('legend', {}, title),
      inner,
    );
  };

  const collect = (): RuleSettings | string => {
    const result = structuredClone(original) as Record<string, unknown>;
    for (const leaf of leaves) {
      let value: unknown;
      if (leaf.kind === 'bits')
        value = leaf.boxes.flatMap((box, bit) => (box.checked ? [bit] : []));
      else if (leaf.kind === 'duration') {
        const amount = Number(leaf.input.value);
        if (leaf.input.value.trim() === '' || !Number.isFinite(amount) || amount < 0)
          return pathText(leaf.path);
        value = Math.round(amount * Number(leaf.unit.value));
      } else if (leaf.kind === 'boolean') value = leaf.input.checked;
      else if (leaf.kind === 'string' || leaf.kind === 'time') value = leaf.input.value;
      else if (leaf.kind === 'numbers') {
        const parts = leaf.input.value.split(/[,，\s]+/).filter(Boolean);
        if (parts.some((p) => !Number.isFinite(Number(p)))) return pathText(leaf.path);
        value = parts.map(Number);
      } else if (leaf.kind === 'minute') {
        const match = /^(\d{1,2}):(\d{2})/.exec(leaf.input.value);
        if (!match) return pathText(leaf.path);
        value = Number(match[1]) * 60 + Number(match[2]);
      } else {
        if (leaf.input.value.trim() === '' || !Number.isFinite(Number(leaf.input.value))) {
          return pathText(leaf.path);
        }
        value = Number(leaf.input.value);
      }
      let target = result as Record<string | number, unknown>;
      for (const part of leaf.path.slice(0, -1))
        target = target[part] as Record<string | number, unknown>;
      target[leaf.path[leaf.path.length - 1]] = value;
    }
    return result;
  };

  const show = (settings: RuleSettings) => {
    original = settings;
    leaves.length = 0;
    clear(body);
    body.dataset.state = 'ready';
    const error = el('div', {
      class: 'form-error',
      testid: 'rules-error',
      role: 'alert',
      hidden: true,
    });
    const saved = el(
      'span',
      { class: 'stat-muted', testid: 'rules-saved', hidden: true },
      t('saved'),
    );
    const save = el(
      'button',
      { class: 'btn btn-primary', type: 'submit', testid: 'rules-save' },
      t('save'),
    );
    // Plain values first, then the groups and tables.
    const keys = Object.keys(settings);
    const plain = keys.filter((k) => isPrimitive(settings[k]));
    const nested = keys.filter((k) => !isPrimitive(settings[k]));
    const form = el(
      'form',
      { class: 'card rules-form', testid: 'rules-form', novalidate: true },
      plain.length
        ? el(
            'fieldset',
            { class: 'fieldset' },
            el('legend', {}, t('rules_global')),
            group([], Object.fromEntries(plain.map((k) => [k, settings[k]]))),
          )
        : null,
      ...nested.map((k) => section([k], settings[k])),
      error,
      editable ? el('div', { class: 'form-actions' }, save, saved) : null,
    );
    const markInvalid = (path: string | undefined, message: string) => {
      error.textContent = message;
      error.hidden = false;
      if (!path) return;
      const found = leaves.find((l) => l.kind !== 'bits' && l.input.dataset.path === path);
      const input = found && found.kind !== 'bits' ? found.input : undefined;
      input?.classList.add('invalid');
      input?.focus();
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      saved.hidden = true;
      for (const leaf of leaves) if (leaf.kind !== 'bits') leaf.input.classList.remove('invalid');
      const next = collect();
      if (typeof next === 'string') return markInvalid(next, t('rules_bad_value', { field: next }));
      save.disabled = true;
      try {
        const result = await api.saveMonitorRules(next);
        if (!live) return;
        show(result?.settings ?? next);
        body.querySelector<HTMLElement>('[data-testid="rules-saved"]')!.hidden = false;
      } catch (e) {
        if (live) markInvalid(e instanceof ApiError ? e.field : undefined, errorText(e));
      } finally {
        save.disabled = false;
      }
    });
    body.append(form);
  };

  api.monitorRules().then(
    (result) => live && show(result.settings ?? {}),
    (e) => {
      if (!live) return;
      body.dataset.state = 'error';
      clear(body);
      body.append(
        el('div', { class: 'form-error', role: 'alert', testid: 'rules-error' }, errorText(e)),
      );
    },
  );
  return () => {
    live = false;
  };
}
