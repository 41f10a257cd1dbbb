// 协查: who was where and when. 区域协查 (#/investigate): draw a circle or a polygon, pick the time
// window (China time, the last 24 h by default) and the purpose (事由, audited with the query), read
// every vehicle that was inside, open one's track on the map, export the list. 车辆协查
// (#/investigate/vehicle): a plate and a window give the places it stopped and, per stop, the
// vehicles that stopped within the distance and time margin of it.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import {
  type AreaQuery,
  type AreaVehicle,
  type CarrierRef,
  type Crossing,
  type DriverRef,
  type Stop,
  type VehicleQuery,
  analysisApi,
} from '../analysis-api';
import { clear, el, textLabel } from '../dom';
import { drawTool, type DrawnShape } from '../draw';
import { formatTime } from '../fields';
import { t } from '../i18n';
import { cityOutline } from '../outline';
import { formatDuration, fromChinaLocal, plateColorName, toChinaLocal } from '../pass-ui';
import { button, emptyRow, errorBox, errorText, listTable } from '../widgets';
import { baseMap } from './map';
import { disposeMap } from '../map-teardown';

const HOUR_MS = 3600 * 1000;
const AREA_STYLE: L.PathOptions = {
  color: '#c62828',
  weight: 2,
  dashArray: '6 4',
  fillColor: '#ef5350',
  fillOpacity: 0.15,
};
const TRACK_STYLE: L.PathOptions = { color: '#6a1b9a', weight: 3, opacity: 0.85 };
const MIN_PURPOSE_CHARS = 4;

// What the browser tests read and steer (window.__baotongInvestigate): the map's view.
export interface InvestigateDebugHook {
  centre(lat: number, lon: number, zoom: number): void;
  shape(): DrawnShape | null;
}
declare global {
  interface Window {
    __baotongInvestigate?: InvestigateDebugHook;
  }
}

export function renderInvestigate(content: HTMLElement, tab: string | undefined): () => void {
  clear(content);
  return tab === 'vehicle' ? renderVehicleSearch(content) : renderAreaSearch(content);
}

function tabs(active: 'area' | 'vehicle'): HTMLElement {
  const tab = (href: string, name: 'area' | 'vehicle') =>
    el(
      'a',
      { href, class: `tab${active === name ? ' active' : ''}`, testid: `tab-inv-${name}` },
      t(`inv_tab_${name}`),
    );
  return el(
    'div',
    { class: 'tabs' },
    tab('#/investigate', 'area'),
    tab('#/investigate/vehicle', 'vehicle'),
  );
}

function labelled(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return el(
    'label',
    { class: 'field' },
    label,
    input,
    hint ? el('span', { class: 'field-hint' }, hint) : null,
  );
}

// The time window and the purpose, which every query carries.
function windowFields(prefix: string) {
  const now = Math.floor(Date.now() / 60000) * 60000;
  const from = el('input', {
    class: 'input',
    type: 'datetime-local',
    value: toChinaLocal(now - 24 * HOUR_MS),
    testid: `${prefix}-from`,
  });
  const to = el('input', {
    class: 'input',
    type: 'datetime-local',
    value: toChinaLocal(now),
    testid: `${prefix}-to`,
  });
  const purpose = el('input', {
    class: 'input wide',
    testid: `${prefix}-purpose`,
    maxlength: 200,
    placeholder: t('inv_purpose_placeholder'),
  });
  return {
    nodes: [
      labelled(t('inv_from'), from),
      labelled(t('inv_to'), to),
      labelled(t('inv_purpose'), purpose, t('inv_purpose_hint')),
    ],
    // The window and purpose, or the message that says what is wrong with them.
    read(): { from_ms: number; to_ms: number; purpose: string } | string {
      const fromMs = fromChinaLocal(from.value);
      const toMs = fromChinaLocal(to.value);
      if (fromMs === null || toMs === null) return t('inv_window_missing');
      if (fromMs >= toMs) return t('inv_window_order');
      const text = purpose.value.trim();
      if ([...text].length < MIN_PURPOSE_CHARS) return t('inv_purpose_required');
      return { from_ms: fromMs, to_ms: toMs, purpose: text };
    },
  };
}

const carrierText = (carrier: CarrierRef | null) => carrier?.name || '—';

// Names with their (masked) ID numbers: "张三（2103**********1234）".
function driversText(drivers: DriverRef[] | undefined): string {
  if (!drivers || drivers.length === 0) return '—';
  return drivers.map((d) => (d.id_number ? `${d.name}（${d.id_number}）` : d.name)).join('，');
}

function crossingText(crossing: Crossing | null): string {
  return crossing ? `${crossing.checkpoint} ${formatTime(crossing.time_ms)}` : '—';
}

function showError(box: HTMLElement, message: string): void {
  box.textContent = message;
  box.hidden = false;
}

// 导出 Excel: downloads the last query's file; a failure shows in the page's error line.
function exportOnClick(
  exportButton: HTMLButtonElement,
  error: HTMLElement,
  download: () => Promise<unknown> | null,
): void {
  exportButton.addEventListener('click', async () => {
    const pending = download();
    if (!pending) return;
    error.hidden = true;
    exportButton.disabled = true;
    try {
      await pending;
    } catch (e) {
      if (exportButton.isConnected) showError(error, errorText(e));
    } finally {
      exportButton.disabled = false;
    }
  });
}

function renderAreaSearch(content: HTMLElement): () => void {
  let live = true;
  const error = errorBox('inv-error');
  const radius = el('input', {
    class: 'input input-narrow',
    type: 'number',
    min: 10,
    max: 50000,
    step: 10,
    value: 1000,
    testid: 'inv-radius',
  });
  const when = windowFields('inv');
  const submit = el(
    'button',
    { class: 'btn btn-primary', type: 'submit', testid: 'inv-submit' },
    t('inv_query'),
  );
  const exportButton = button('inv-export', t('export_excel'), 'btn btn-secondary', {
    disabled: true,
  });
  const summary = el('span', { class: 'stat-muted', testid: 'inv-summary' });
  const toolbar = el('div', { class: 'toolbar' });
  const form = el(
    'form',
    { class: 'card inv-form', testid: 'inv-form', novalidate: true },
    toolbar,
    el('div', { class: 'form-grid' }, ...when.nodes),
    el('div', { class: 'form-actions inv-actions' }, submit, exportButton, summary),
  );
  const mapNode = el('div', { class: 'inv-map', testid: 'inv-map' });
  const trackInfo = el('div', { class: 'stat-muted', testid: 'inv-track-info' });
  const columns = [
    t('plate'),
    t('inv_vehicle_class'),
    t('district'),
    t('inv_carrier'),
    t('drivers'),
    t('inv_first_seen'),
    t('inv_last_seen'),
    t('inv_reports'),
    t('inv_entry'),
    t('inv_exit'),
  ];
  const { table, tbody } = listTable('inv-table', columns);
  table.dataset.state = 'idle';
  tbody.append(emptyRow(columns.length, t('inv_not_run')));
  content.append(
    el('h2', { class: 'page-title' }, t('nav_investigate')),
    tabs('area'),
    error,
    form,
    mapNode,
    trackInfo,
    el('div', { class: 'table-wrap' }, table),
  );

  const map = baseMap(mapNode);
  let viewSet = false;
  cityOutline(map, { isLive: () => live, viewSet: () => viewSet });
  const draw = drawTool(map, {
    prefix: 'inv',
    style: AREA_STYLE,
    defaultRadiusM: 1000,
    radius,
    beforeStart: () => {
      viewSet = true;
    },
    onChange: (shape) => {
      mapNode.dataset.shape = shape?.type ?? '';
    },
  });
  toolbar.append(
    ...draw.controls.slice(0, 2),
    labelled(t('inv_radius'), radius),
    ...draw.controls.slice(2),
  );
  const trackLayer = L.layerGroup().addTo(map);
  const hook: InvestigateDebugHook = {
    centre: (lat, lon, zoom) => {
      viewSet = true;
      map.setView([lat, lon], zoom, { animate: false });
    },
    shape: () => draw.shape(),
  };
  window.__baotongInvestigate = hook;

  let last: AreaQuery | null = null;
  let trackRequest = 0;

  const readQuery = (): AreaQuery | null => {
    const shape = draw.shape();
    if (!shape) {
      showError(error, t('inv_area_missing'));
      return null;
    }
    const fields = when.read();
    if (typeof fields === 'string') {
      showError(error, fields);
      return null;
    }
    const round = (x: number) => Number(x.toFixed(6));
    const area: AreaQuery['area'] =
      shape.type === 'circle'
        ? {
            type: 'circle',
            lat: round(shape.centre.lat),
            lon: round(shape.centre.lng),
            radius_m: Math.round(shape.radius_m),
          }
        : {
            type: 'polygon',
            points: shape.vertices.map((v) => [round(v.lat), round(v.lng)] as [number, number]),
          };
    return { area, ...fields };
  };

  const showTrack = async (vehicle: AreaVehicle, row: HTMLElement) => {
    if (!last) return;
    for (const other of tbody.querySelectorAll('tr.selected')) other.classList.remove('selected');
    row.classList.add('selected');
    const mine = ++trackRequest;
    mapNode.dataset.track = 'loading';
    trackInfo.textContent = t('loading');
    try {
      const { positions } = await analysisApi.track({
        terminal: vehicle.terminal,
        from_ms: last.from_ms,
        to_ms: last.to_ms,
        purpose: last.purpose,
      });
      if (!live || mine !== trackRequest) return;
      trackLayer.clearLayers();
      const points = (positions ?? [])
        .filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon))
        .sort((a, b) => a.time_ms - b.time_ms);
      const line = points.map((p) => [p.lat, p.lon] as L.LatLngTuple);
      if (line.length > 1) L.polyline(line, TRACK_STYLE).addTo(trackLayer);
      for (const [p, label] of [
        [points[0], t('inv_track_start')],
        [points[points.length - 1], t('inv_track_end')],
      ] as const) {
        if (!p) continue;
        L.circleMarker([p.lat, p.lon], { radius: 6, color: '#6a1b9a', fillOpacity: 0.9 })
          .bindTooltip(textLabel(`${label} ${formatTime(p.time_ms)}`))
          .addTo(trackLayer);
      }
      if (line.length > 0) {
        viewSet = true;
        map.fitBounds(L.latLngBounds(line).pad(0.2), { maxZoom: 16, animate: false });
      }
      mapNode.dataset.track = String(points.length);
      trackInfo.textContent = t('inv_track_n', { plate: vehicle.plate, n: points.length });
    } catch (e) {
      if (!live || mine !== trackRequest) return;
      mapNode.dataset.track = 'error';
      trackInfo.textContent = '';
      showError(error, errorText(e));
    }
  };

  const showVehicles = (vehicles: AreaVehicle[]) => {
    clear(tbody);
    if (vehicles.length === 0) tbody.append(emptyRow(columns.length, t('inv_none_found')));
    for (const v of vehicles) {
      const cell = (field: string, ...children: Array<Node | string>) =>
        el('td', { 'data-field': field }, ...children);
      const row = el(
        'tr',
        {
          class: 'clickable',
          tabindex: 0,
          testid: 'inv-row',
          'data-plate': v.plate,
          'data-terminal': v.terminal,
        },
        cell(
          'plate',
          el('strong', {}, v.plate || v.terminal),
          el('span', { class: 'stat-muted' }, ` ${plateColorName(v.plate_color)}`),
          v.between_reports
            ? el(
                'span',
                {
                  class: 'badge badge-inferred',
                  testid: 'inv-between',
                  title: t('inv_between_hint'),
                },
                t('inv_between'),
              )
            : '',
        ),
        cell(
          'vehicle_class',
          v.vehicle_class_name || (v.vehicle_class ? t(`vehicle_class_${v.vehicle_class}`) : '—'),
        ),
        cell('district', v.district || '—'),
        cell('carrier', carrierText(v.carrier)),
        cell('drivers', driversText(v.drivers)),
        cell('first_ms', formatTime(v.first_ms)),
        cell('last_ms', formatTime(v.last_ms)),
        cell('reports', String(v.reports ?? 0)),
        cell('entry', crossingText(v.entry)),
        cell('exit', crossingText(v.exit)),
      );
      const open = () => void showTrack(v, row);
      row.addEventListener('click', open);
      row.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') open();
      });
      tbody.append(row);
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    draw.finish();
    const body = readQuery();
    if (!body) return;
    submit.disabled = true;
    table.dataset.state = 'loading';
    summary.textContent = t('loading');
    try {
      const result = await analysisApi.area(body);
      if (!live) return;
      last = body;
      trackRequest++;
      trackLayer.clearLayers();
      trackInfo.textContent = '';
      delete mapNode.dataset.track;
      showVehicles(result.vehicles ?? []);
      summary.textContent = t(result.truncated ? 'inv_count_truncated' : 'inv_count', {
        n: result.count ?? result.vehicles.length,
      });
      table.dataset.state = 'ready';
      table.dataset.count = String(result.vehicles?.length ?? 0);
      exportButton.disabled = false;
    } catch (e) {
      if (!live) return;
      table.dataset.state = 'error';
      summary.textContent = '';
      showError(error, errorText(e));
    } finally {
      submit.disabled = false;
    }
  });

  exportOnClick(exportButton, error, () => (last ? analysisApi.exportArea(last) : null));

  return () => {
    live = false;
    disposeMap(map);
    if (window.__baotongInvestigate === hook) delete window.__baotongInvestigate;
  };
}

function renderVehicleSearch(content: HTMLElement): () => void {
  let live = true;
  const error = errorBox('invv-error');
  const plate = el('input', {
    class: 'input',
    testid: 'invv-plate',
    maxlength: 16,
    placeholder: t('inv_plate_placeholder'),
  });
  const radius = el('input', {
    class: 'input',
    type: 'number',
    min: 10,
    max: 5000,
    step: 10,
    value: 200,
    testid: 'invv-radius',
  });
  const margin = el('input', {
    class: 'input',
    type: 'number',
    min: 0,
    max: 1440,
    step: 5,
    value: 30,
    testid: 'invv-margin',
  });
  const when = windowFields('invv');
  const submit = el(
    'button',
    { class: 'btn btn-primary', type: 'submit', testid: 'invv-submit' },
    t('inv_query'),
  );
  const exportButton = button('invv-export', t('export_excel'), 'btn btn-secondary', {
    disabled: true,
  });
  const summary = el('span', { class: 'stat-muted', testid: 'invv-summary' });
  const form = el(
    'form',
    { class: 'card inv-form', testid: 'invv-form', novalidate: true },
    el(
      'div',
      { class: 'form-grid' },
      labelled(t('plate'), plate),
      ...when.nodes.slice(0, 2),
      labelled(t('inv_contact_radius'), radius),
      labelled(t('inv_contact_margin'), margin),
      when.nodes[2],
    ),
    el('div', { class: 'form-actions inv-actions' }, submit, exportButton, summary),
  );
  const mapNode = el('div', { class: 'inv-map', testid: 'invv-map' });
  const stopsNode = el('div', { class: 'inv-stops', testid: 'invv-stops' });
  content.append(
    el('h2', { class: 'page-title' }, t('nav_investigate')),
    tabs('vehicle'),
    error,
    form,
    mapNode,
    stopsNode,
  );
  const map = baseMap(mapNode);
  let viewSet = false;
  cityOutline(map, { isLive: () => live, viewSet: () => viewSet });
  const stopsLayer = L.layerGroup().addTo(map);
  // The form and its map are up: the page's ready marker (the browser test waits for it).
  form.dataset.state = 'ready';
  let last: VehicleQuery | null = null;

  const readQuery = (): VehicleQuery | null => {
    const plateText = plate.value.trim().toUpperCase();
    if (!plateText) {
      showError(error, t('inv_plate_required'));
      return null;
    }
    const fields = when.read();
    if (typeof fields === 'string') {
      showError(error, fields);
      return null;
    }
    const radiusM = Number(radius.value);
    const marginMin = Number(margin.value);
    if (!(radiusM > 0) || !(marginMin >= 0)) {
      showError(error, t('inv_contact_invalid'));
      return null;
    }
    return { plate: plateText, ...fields, radius_m: radiusM, margin_ms: marginMin * 60000 };
  };

  const stopCard = (stop: Stop, index: number, marker: L.CircleMarker) => {
    const columns = [
      t('plate'),
      t('inv_carrier'),
      t('drivers'),
      t('inv_contact_time'),
      t('inv_distance'),
    ];
    const { table, tbody } = listTable('invv-contacts', columns, { 'data-stop': index + 1 });
    table.dataset.state = 'ready';
    table.dataset.count = String(stop.contacts?.length ?? 0);
    if (!stop.contacts?.length) tbody.append(emptyRow(columns.length, t('inv_no_contacts')));
    for (const c of stop.contacts ?? []) {
      tbody.append(
        el(
          'tr',
          { testid: 'invv-contact', 'data-plate': c.plate, 'data-terminal': c.terminal },
          el('td', {}, c.plate || c.terminal),
          el('td', {}, carrierText(c.carrier)),
          el('td', {}, driversText(c.drivers)),
          el('td', {}, `${formatTime(c.start_ms)} – ${formatTime(c.end_ms)}`),
          el('td', {}, String(Math.round(c.distance_m))),
        ),
      );
    }
    const head = el(
      'h3',
      { class: 'clickable-head' },
      t('inv_stop_n', { n: index + 1 }),
      ' ',
      el(
        'span',
        { class: 'stat-muted' },
        `${formatTime(stop.start_ms)} – ${formatTime(stop.end_ms)} · ${formatDuration(
          stop.duration_s * 1000,
        )} · ${stop.lat.toFixed(5)}, ${stop.lon.toFixed(5)}`,
      ),
    );
    head.addEventListener('click', () => {
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15), { animate: false });
      marker.openTooltip();
    });
    return el(
      'div',
      { class: 'card', testid: 'invv-stop', 'data-index': index + 1 },
      head,
      el('div', { class: 'table-wrap' }, table),
    );
  };

  const showStops = (stops: Stop[]) => {
    stopsLayer.clearLayers();
    clear(stopsNode);
    const points = stops
      .filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lon))
      .map((s) => [s.lat, s.lon] as L.LatLngTuple);
    if (points.length > 1) {
      L.polyline(points, { ...TRACK_STYLE, dashArray: '6 6', weight: 2 }).addTo(stopsLayer);
    }
    stops.forEach((stop, index) => {
      const marker = L.circleMarker([stop.lat, stop.lon], {
        radius: 9,
        color: '#6a1b9a',
        fillColor: stop.contacts?.length ? '#c62828' : '#9575cd',
        fillOpacity: 0.85,
      })
        .bindTooltip(textLabel(String(index + 1)), {
          permanent: true,
          direction: 'center',
          className: 'stop-label',
        })
        .addTo(stopsLayer);
      stopsNode.append(stopCard(stop, index, marker));
    });
    if (stops.length === 0) {
      stopsNode.append(el('div', { class: 'card empty-card' }, t('inv_no_stops')));
    }
    if (points.length > 0) {
      viewSet = true;
      map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 15, animate: false });
    }
    mapNode.dataset.stops = String(stops.length);
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = readQuery();
    if (!body) return;
    submit.disabled = true;
    stopsNode.dataset.state = 'loading';
    summary.textContent = t('loading');
    try {
      const result = await analysisApi.vehicle(body);
      if (!live) return;
      last = body;
      const stops = result.stops ?? [];
      showStops(stops);
      const contacts = stops.reduce((n, s) => n + (s.contacts?.length ?? 0), 0);
      summary.textContent = t('inv_stops_summary', {
        plate: result.vehicle?.plate || body.plate,
        stops: stops.length,
        contacts,
      });
      stopsNode.dataset.state = 'ready';
      exportButton.disabled = false;
    } catch (e) {
      if (!live) return;
      stopsNode.dataset.state = 'error';
      summary.textContent = '';
      showError(error, errorText(e));
    } finally {
      submit.disabled = false;
    }
  });

  exportOnClick(exportButton, error, () => (last ? analysisApi.exportVehicle(last) : null));

  return () => {
    live = false;
    disposeMap(map);
  };
}
