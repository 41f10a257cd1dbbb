// 实时地图: the city's vector layers (boundary, districts, designated sites), a base map only where
// the server configures tiles, and every vehicle, refreshed every 2.5 s. Thousands of markers are
// drawn on one canvas. With alarms.read (issue 6) the vehicles come from the monitor, coloured by
// state (moving, stopped, alarm, offline) and turned red the moment an alarm is pushed; the
// monitored zones are drawn by kind, and a click on a vehicle shows its pass, drivers, open alarms
// and last hour of track. Without it (or on a server without the monitor), the latest positions.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { subscribeAlarms } from '../alarm-feed';
import {
  ApiError,
  api,
  type BaseMapConfig,
  type MonitorVehicle,
  type Position,
  type VehicleState,
  type Zone,
} from '../api';
import { clear, el, escapeHtml, labelValueNode, textLabel } from '../dom';
import { formatTime } from '../fields';
import { t } from '../i18n';
import { errorText, passStatusBadge, effectiveStatus, routesLayer } from '../pass-ui';
import { can, canReadAlarms, canReadPositions, session } from '../state';
import { alarmKindName, alarmStatusBadge, severityBadge } from './alarms';
import { disposeMap } from '../map-teardown';
import { gcjCrs } from '../datum';

const REFRESH_MS = 2500;
const POSITION_LIMIT = 5000;
// A vehicle counts as online when its last position arrived within this long.
const ONLINE_WINDOW_MS = 5 * 60 * 1000;

// One vehicle on the map, whichever source it came from.
interface MapVehicle {
  terminal: string;
  plate?: string | null;
  lat: number;
  lon: number;
  speed_kmh: number;
  // Device time of the position.
  at_ms: number;
  received_ms: number;
  device_time?: string;
  // Only from the monitor.
  state?: VehicleState;
  alarms: string[];
  in_city?: boolean;
}

interface MarkedPosition {
  marker: L.CircleMarker;
  position: MapVehicle;
}

// A read-only view of what the map shows, for the browser tests (window.__baotongMap).
export interface MapDebugHook {
  refreshes: number;
  source: 'monitor' | 'positions';
  // Opens a vehicle's panel as a click on its marker does (monitor only).
  select?(terminal: string): void;
  // The map's centre, [lat, lon].
  center?(): [number, number];
  // Opens a site's popup or a zone's tooltip, as a click or hover would; false if not drawn.
  openLabel?(kind: 'site' | 'zone', code: string): boolean;
  positions(): Array<
    Pick<Position, 'terminal' | 'plate' | 'lat' | 'lon' | 'speed_kmh' | 'device_time_ms'> & {
      state?: VehicleState;
      alarms: string[];
    }
  >;
}
declare global {
  interface Window {
    __baotongMap?: MapDebugHook;
  }
}

export const VEHICLE_STATES: readonly VehicleState[] = ['moving', 'stopped', 'alarm', 'offline'];

// Marker colours by state; a position without a state (no monitor) keeps the issue-4 blue.
const STATE_STYLES: Record<VehicleState | 'unknown', L.CircleMarkerOptions> = {
  moving: { radius: 5, weight: 1, color: '#0d5e25', fillColor: '#1e8e3e', fillOpacity: 0.9 },
  stopped: { radius: 5, weight: 1, color: '#0b3a6e', fillColor: '#1e88e5', fillOpacity: 0.9 },
  alarm: { radius: 7, weight: 2, color: '#7f0000', fillColor: '#e53935', fillOpacity: 0.95 },
  offline: { radius: 4, weight: 1, color: '#616161', fillColor: '#9e9e9e', fillOpacity: 0.8 },
  unknown: { radius: 5, weight: 1, color: '#0b3a6e', fillColor: '#1e88e5', fillOpacity: 0.9 },
};

// Zones by kind (GET /api/monitor/zones): restricted red hatched-looking, sites orange, pass
// routes as green corridors, the city outline navy.
export function zoneStyle(kind: string): L.PathOptions {
  switch (kind) {
    case 'restricted':
      return {
        color: '#b71c1c',
        weight: 2,
        dashArray: '6 4',
        fillColor: '#ef5350',
        fillOpacity: 0.2,
      };
    case 'site':
      return { color: '#e65100', weight: 2, fillColor: '#ffb74d', fillOpacity: 0.25 };
    case 'route':
      return { color: '#2e7d32', weight: 3, opacity: 0.7, dashArray: '2 6', fill: false };
    case 'city':
      return { color: '#0b3a6e', weight: 2, dashArray: '10 6', fill: false };
    default:
      return { color: '#6a1b9a', weight: 2, fillOpacity: 0.15 };
  }
}

// A zone's shape as a Leaflet layer: a circle for a Point with radius_m, else its GeoJSON.
export function zoneLayer(zone: Zone, renderer?: L.Renderer): L.Layer | null {
  const geometry = zone.geometry;
  if (!geometry) return null;
  const style = { ...zoneStyle(zone.kind), renderer };
  if (geometry.type === 'Point') {
    const [lon, lat] = geometry.coordinates;
    const radius = Number(zone.radius_m ?? geometry.radius_m ?? 0);
    return radius > 0
      ? L.circle([lat, lon], { ...style, radius })
      : L.circleMarker([lat, lon], style);
  }
  return L.geoJSON(geometry as GeoJSON.Geometry, { style: () => style });
}

export function zoneTooltipText(zone: Zone): string {
  return `${zone.name || zone.code} · ${t(`zone_kind_${zone.kind}`)}`;
}

const BASEMAP_KEY = 'baotong.basemap';

// The base map this browser shows: the one chosen last (kept in localStorage), else the first
// the server offers; undefined when it offers none.
export function chosenBaseMap(): BaseMapConfig | undefined {
  const offered = session.ui?.basemaps ?? [];
  const chosen = localStorage.getItem(BASEMAP_KEY);
  return offered.find((basemap) => basemap.id === chosen) ?? offered[0];
}

// A small switcher in the map's corner when there are several base maps. A map's datum is
// fixed when it is made, so a choice of another datum redraws the page.
function baseMapSwitcher(map: L.Map, current: BaseMapConfig): void {
  const offered = session.ui?.basemaps ?? [];
  if (offered.length < 2) return;
  const Switcher = L.Control.extend({
    onAdd(): HTMLElement {
      const select = el('select', { class: 'basemap-switch', testid: 'basemap-switch' });
      for (const basemap of offered) {
        const option = el('option', { value: basemap.id }, basemap.name);
        if (basemap.id === current.id) option.selected = true;
        select.append(option);
      }
      select.addEventListener('change', () => {
        localStorage.setItem(BASEMAP_KEY, select.value);
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      });
      L.DomEvent.disableClickPropagation(select);
      return select;
    },
  });
  new Switcher({ position: 'topright' }).addTo(map);
}

// A Leaflet map with the chosen base map (or none) at the city's centre. On GCJ-02 tiles the
// map projects through GCJ-02 (datum.ts): layers keep their WGS-84 coordinates.
export function baseMap(node: HTMLElement, options: L.MapOptions = {}): L.Map {
  const ui = session.ui;
  const basemap = chosenBaseMap();
  const map = L.map(node, {
    center: ui?.center ?? [41.11, 122.99],
    zoom: ui?.zoom ?? 11,
    ...(basemap?.datum === 'gcj02' ? { crs: gcjCrs() } : {}),
    ...options,
  });
  if (basemap) {
    // Leaflet shows the attribution as HTML: the configured text goes in escaped.
    L.tileLayer(basemap.url, {
      attribution: escapeHtml(basemap.attribution || ''),
      maxZoom: basemap.max_zoom || 18,
      ...(basemap.subdomains ? { subdomains: basemap.subdomains } : {}),
    }).addTo(map);
    node.dataset.basemap = basemap.id;
    baseMapSwitcher(map, basemap);
  } else {
    node.classList.add('no-tiles');
  }
  return map;
}

function fromPosition(p: Position): MapVehicle {
  return {
    terminal: p.terminal,
    plate: p.plate,
    lat: p.lat,
    lon: p.lon,
    speed_kmh: p.speed_kmh,
    at_ms: p.device_time_ms,
    received_ms: p.receive_time_ms,
    device_time: p.device_time,
    alarms: [],
  };
}

function fromMonitor(v: MonitorVehicle): MapVehicle {
  return {
    terminal: v.terminal,
    plate: v.plate,
    lat: v.lat,
    lon: v.lon,
    speed_kmh: v.speed_kmh,
    at_ms: v.at_ms,
    received_ms: v.at_ms,
    state: v.state,
    alarms: v.alarms ?? [],
    in_city: v.in_city,
  };
}

function stateName(state: VehicleState | undefined): string {
  return state ? t(`vehicle_state_${state}`) : '—';
}

function popupRows(position: MapVehicle): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    [t('plate'), position.plate || '—'],
    [t('terminal'), position.terminal],
    [t('speed'), `${Number(position.speed_kmh ?? 0).toFixed(1)} km/h`],
    [t('time'), position.device_time || formatTime(position.at_ms)],
  ];
  if (position.state) rows.push([t('vehicle_state'), stateName(position.state)]);
  if (position.alarms.length > 0) {
    rows.push([t('nav_alarms'), position.alarms.map((k) => alarmKindName(k)).join('，')]);
  }
  return rows;
}

// Point-in-polygon (ray casting) over GeoJSON rings, [lon, lat] order.
function inRing(ring: number[][], lon: number, lat: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function inPolygon(rings: number[][][], lon: number, lat: number): boolean {
  return (
    rings.length > 0 &&
    inRing(rings[0], lon, lat) &&
    !rings.slice(1).some((h) => inRing(h, lon, lat))
  );
}
export function containsPoint(
  geometry: GeoJSON.Geometry | null,
  lat: number,
  lon: number,
): boolean {
  if (!geometry) return false;
  if (geometry.type === 'Polygon') return inPolygon(geometry.coordinates, lon, lat);
  if (geometry.type === 'MultiPolygon')
    return geometry.coordinates.some((rings) => inPolygon(rings, lon, lat));
  return false;
}

// The place name of a point from the city's layers: its 区县, then any smaller area (乡镇/街道,
// 社区) containing it; "市域外" outside the boundary; null when the layers are not loaded.
export function placeName(
  layers: GeoJSON.FeatureCollection | null,
  lat: number,
  lon: number,
): string | null {
  if (!layers) return null;
  const names: Array<[number, string]> = [];
  let inCity = false;
  for (const feature of layers.features) {
    const layer = String(feature.properties?.layer ?? '');
    if (layer === 'site' || !containsPoint(feature.geometry, lat, lon)) continue;
    if (layer === 'boundary') {
      inCity = true;
      continue;
    }
    const name = feature.properties?.name;
    if (name) names.push([layer === 'district' ? 0 : 1, String(name)]);
  }
  if (names.length === 0)
    return inCity ? (layers.features.length ? '—' : null) : t('vp_place_outside');
  return names
    .sort((a, b) => a[0] - b[0])
    .map(([, name]) => name)
    .join(' · ');
}

export function renderMap(content: HTMLElement, params?: URLSearchParams): () => void {
  clear(content);
  let live = true;
  let timer: number | undefined;
  const ui = session.ui;
  // The monitor's vehicles where the user may read them; a server without the monitor (404)
  // falls back to the latest positions for good.
  let source: MapDebugHook['source'] = canReadAlarms() ? 'monitor' : 'positions';

  const online = el('span', { class: 'stat-value', testid: 'map-online-count' }, '0');
  const withPosition = el('span', { class: 'stat-value', testid: 'map-position-count' }, '0');
  const alarmCount = el('span', { class: 'stat-value stat-alarm', testid: 'map-alarm-count' }, '0');
  const updated = el('span', { class: 'stat-muted', testid: 'map-updated' }, '—');
  const error = el('span', { class: 'form-error inline', testid: 'map-error', hidden: true });
  const mapNode = el('div', {
    class: 'map',
    testid: 'map',
    'data-markers': 0,
    'data-refreshes': 0,
    'data-alarms': 0,
  });
  const panel = el('aside', { class: 'vehicle-panel', testid: 'vehicle-panel', hidden: true });
  // The vehicle list beside the map: plate search, a state filter, plate labels on or off; a row
  // centres its vehicle and opens its panel.
  const search = el('input', {
    class: 'input',
    type: 'search',
    testid: 'map-search',
    placeholder: t('map_search_plate'),
    'aria-label': t('map_search_plate'),
    value: params?.get('plate') ?? '',
  });
  const stateFilter = el(
    'select',
    { class: 'input', testid: 'map-state-filter', 'aria-label': t('vehicle_state') },
    el('option', { value: '' }, t('map_all_states')),
    ...VEHICLE_STATES.map((state) => el('option', { value: state }, t(`vehicle_state_${state}`))),
  );
  stateFilter.value = params?.get('state') ?? '';
  const labelToggle = el('input', { type: 'checkbox', testid: 'map-labels' });
  labelToggle.checked = true;
  const listCount = el('div', { class: 'stat-muted', testid: 'map-list-count' });
  const list = el('ul', { class: 'map-vehicle-list', testid: 'map-vehicle-list' });
  const listPane = el(
    'aside',
    { class: 'map-list', testid: 'map-list' },
    search,
    el(
      'div',
      { class: 'map-list-filters' },
      source === 'monitor' ? stateFilter : null,
      el('label', { class: 'inline-label' }, labelToggle, t('map_plate_labels')),
    ),
    listCount,
    list,
  );
  content.append(
    el(
      'div',
      { class: 'map-bar' },
      el('h2', { class: 'page-title' }, t('nav_map')),
      ui?.demo
        ? el('span', { class: 'demo-badge', testid: 'map-demo-badge' }, t('demo_data'))
        : null,
      el('span', { class: 'stat' }, t('map_online'), ': ', online),
      el('span', { class: 'stat' }, t('map_with_position'), ': ', withPosition),
      canReadAlarms()
        ? el('span', { class: 'stat' }, t('map_alarm_vehicles'), ': ', alarmCount)
        : null,
      el('span', { class: 'stat' }, t('map_updated'), ': ', updated),
      error,
      ui && !chosenBaseMap()
        ? el('span', { class: 'stat-muted', testid: 'map-no-tiles' }, t('map_no_tiles'))
        : null,
    ),
    el('div', { class: 'map-row' }, listPane, mapNode, panel),
  );

  const map = baseMap(mapNode, { preferCanvas: true, attributionControl: true });
  const renderer = L.canvas({ padding: 0.5 });
  const overlays = L.control.layers(undefined, undefined, {
    collapsed: false,
    position: 'topright',
  });
  let overlaysShown = false;
  const addOverlay = (layer: L.Layer, name: string) => {
    overlays.addOverlay(layer, name);
    if (!overlaysShown) overlays.addTo(map);
    overlaysShown = true;
  };

  // The legend: vehicle states, and the zone kinds when zones are drawn.
  const legend = new L.Control({ position: 'bottomright' });
  legend.onAdd = () => {
    const swatch = (style: L.PathOptions, round: boolean) =>
      el('span', {
        class: `legend-swatch${round ? ' round' : ''}`,
        style: `background:${style.fillColor ?? 'transparent'};border-color:${style.color}${style.dashArray ? ';border-style:dashed' : ''}`,
      });
    const states = source === 'monitor' ? VEHICLE_STATES : [];
    return el(
      'div',
      { class: 'map-legend', testid: 'map-legend' },
      el('div', { class: 'legend-title' }, t('map_legend')),
      ...states.map((state) =>
        el(
          'div',
          { class: 'legend-row', 'data-state': state },
          swatch(STATE_STYLES[state], true),
          t(`vehicle_state_${state}`),
        ),
      ),
      states.length === 0
        ? el('div', { class: 'legend-row' }, swatch(STATE_STYLES.unknown, true), t('vehicle'))
        : null,
      ...(canReadAlarms() ? ['restricted', 'site', 'route', 'city'] : []).map((kind) =>
        el(
          'div',
          { class: 'legend-row', 'data-zone-kind': kind },
          swatch(zoneStyle(kind), false),
          t(`zone_kind_${kind}`),
        ),
      ),
    );
  };
  legend.addTo(map);

  // Sites and zones by code, for the debug hook's openLabel (the browser tests' stored-XSS check).
  const labelled = new Map<string, L.Layer>();
  let cityLayers: GeoJSON.FeatureCollection | null = null;
  api.mapLayers().then(
    (layers) => {
      if (!live) return;
      cityLayers = layers as GeoJSON.FeatureCollection;
      const layer = L.geoJSON(layers, {
        style: (feature) => {
          switch (feature?.properties?.layer) {
            case 'boundary':
              return { color: '#0b3a6e', weight: 3, fill: false };
            case 'district':
              return {
                color: '#4a78b5',
                weight: 1,
                dashArray: '4 3',
                fillColor: '#dce8f7',
                fillOpacity: 0.35,
              };
            default:
              return { color: '#c0392b', weight: 2, fillColor: '#e67e22', fillOpacity: 0.35 };
          }
        },
        pointToLayer: (_feature, latlng) =>
          L.circleMarker(latlng, {
            renderer,
            radius: 7,
            color: '#c0392b',
            fillColor: '#e67e22',
            fillOpacity: 0.8,
          }),
        onEachFeature: (feature, featureLayer) => {
          const props = feature.properties ?? {};
          if (props.layer === 'district' && props.name) {
            featureLayer.bindTooltip(textLabel(String(props.name)), {
              permanent: true,
              direction: 'center',
              className: 'district-label',
            });
          } else if (props.layer === 'site') {
            labelled.set(`site:${String(props.code ?? props.name)}`, featureLayer);
            const rows = [props.name, props.kind_name, props.district]
              .filter(Boolean)
              .map((v) => String(v));
            featureLayer.bindPopup(
              textLabel(el('strong', {}, rows[0] ?? ''), el('br'), rows.slice(1).join(' · ')),
            );
          }
        },
      }).addTo(map);
      layer.bringToBack();
      const boundary = layers.features.find((f) => f.properties?.layer === 'boundary');
      const bounds = boundary ? L.geoJSON(boundary).getBounds() : layer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { animate: false });
      mapNode.dataset.layers = 'ready';
    },
    (e) => {
      if (!live) return;
      mapNode.dataset.layers = 'error';
      showError(e);
    },
  );

  // The city's published freight routes with their names (issue 5). A server without them
  // (404) or a role that may not read them just shows no routes layer.
  api.routes().then(
    (routes) => {
      if (!live) return;
      const layer = routesLayer(routes).addTo(map);
      addOverlay(layer, t('map_routes'));
      mapNode.dataset.routes = String(routes.features.length);
    },
    () => {
      if (live) mapNode.dataset.routes = 'none';
    },
  );

  // The monitored zones (issue 6): user zones and the pass routes' corridors; the sites and the
  // city outline are drawn above already, so they are left out here.
  if (canReadAlarms()) {
    api.zones().then(
      ({ zones }) => {
        if (!live) return;
        const group = L.featureGroup();
        for (const zone of zones ?? []) {
          if (zone.kind === 'site' || zone.kind === 'city') continue;
          const layer = zoneLayer(zone);
          if (!layer) continue;
          (layer as L.Path).bindTooltip?.(textLabel(zoneTooltipText(zone)));
          labelled.set(`zone:${zone.code}`, layer);
          group.addLayer(layer);
        }
        group.addTo(map);
        addOverlay(group, t('map_zones'));
        mapNode.dataset.zones = String(group.getLayers().length);
      },
      () => {
        if (live) mapNode.dataset.zones = 'none';
      },
    );
  }

  const markers = new Map<string, MarkedPosition>();
  let wanted: string | null = params?.get('terminal') || null;
  const hook: MapDebugHook = {
    refreshes: 0,
    source,
    openLabel: (kind, code) => {
      const layer = labelled.get(`${kind}:${code}`);
      if (kind === 'site') layer?.openPopup();
      else layer?.openTooltip();
      return Boolean(layer);
    },
    positions: () =>
      [...markers.values()].map(({ position: p }) => ({
        terminal: p.terminal,
        plate: p.plate,
        lat: p.lat,
        lon: p.lon,
        speed_kmh: p.speed_kmh,
        device_time_ms: p.at_ms,
        state: p.state,
        alarms: p.alarms,
      })),
  };
  window.__baotongMap = hook;

  const showError = (e: unknown) => {
    error.textContent = e instanceof ApiError ? e.message : t('error_generic');
    error.hidden = false;
  };

  const styleMarker = (entry: MarkedPosition) => {
    const state = entry.position.state ?? 'unknown';
    entry.marker.setStyle(STATE_STYLES[state]);
    entry.marker.setRadius(STATE_STYLES[state].radius ?? 5);
    if (state === 'alarm') entry.marker.bringToFront();
  };

  // A marker's tooltip: its plate as a permanent label (text only), or with labels off its
  // details on hover, built when opened so it always shows the latest position.
  const markerLabels = new WeakMap<L.CircleMarker, string>();
  const bindLabel = (entry: MarkedPosition) => {
    const plate = entry.position.plate || entry.position.terminal;
    const want = labelToggle.checked ? `label:${plate}` : 'details';
    if (markerLabels.get(entry.marker) === want) return;
    entry.marker.unbindTooltip();
    if (labelToggle.checked) {
      entry.marker.bindTooltip(textLabel(plate), {
        permanent: true,
        direction: 'right',
        offset: [6, 0],
        className: 'plate-label',
      });
    } else {
      entry.marker.bindTooltip(() => labelValueNode(popupRows(entry.position)));
    }
    markerLabels.set(entry.marker, want);
  };
  labelToggle.addEventListener('change', () => {
    for (const entry of markers.values()) bindLabel(entry);
  });

  // Centres a vehicle and opens its panel (a bare position: its popup).
  const focus = (terminal: string) => {
    const entry = markers.get(terminal);
    if (!entry) return;
    map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 14), { animate: false });
    entry.marker.fire('click');
    renderList();
  };
  const LIST_LIMIT = 300;
  const renderList = () => {
    const needle = search.value.trim().toUpperCase();
    const state = source === 'monitor' ? stateFilter.value : '';
    const shown = [...markers.values()]
      .map((m) => m.position)
      .filter(
        (p) =>
          (!needle ||
            (p.plate ?? '').toUpperCase().includes(needle) ||
            p.terminal.includes(needle)) &&
          (!state || p.state === state),
      )
      .sort(
        (a, b) =>
          Number(b.state === 'alarm') - Number(a.state === 'alarm') ||
          (a.plate || a.terminal).localeCompare(b.plate || b.terminal, 'zh'),
      );
    clear(list);
    for (const p of shown.slice(0, LIST_LIMIT)) {
      const row = el(
        'li',
        {
          class: `map-vehicle-row${p.terminal === selected ? ' selected' : ''}`,
          testid: 'map-vehicle-row',
          'data-terminal': p.terminal,
          'data-plate': p.plate ?? '',
          'data-state': p.state ?? '',
          tabindex: 0,
          role: 'button',
        },
        el(
          'span',
          { class: `state-dot state-${p.state ?? 'unknown'}`, title: stateName(p.state) },
          '',
        ),
        el('strong', {}, p.plate || p.terminal),
        el(
          'span',
          { class: 'stat-muted' },
          `${stateName(p.state)} · ${Number(p.speed_kmh ?? 0).toFixed(0)} km/h`,
        ),
      );
      row.addEventListener('click', () => focus(p.terminal));
      row.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') focus(p.terminal);
      });
      list.append(row);
    }
    listCount.textContent =
      shown.length > LIST_LIMIT
        ? t('map_list_first_n', { n: LIST_LIMIT, total: shown.length })
        : t('total_n', { n: shown.length });
    listCount.dataset.count = String(shown.length);
  };
  search.addEventListener('input', renderList);
  stateFilter.addEventListener('change', renderList);

  const showCounts = () => {
    const now = Date.now();
    let onlineCount = 0;
    let alarms = 0;
    for (const { position } of markers.values()) {
      if (position.state) {
        if (position.state !== 'offline') onlineCount++;
      } else if (now - (position.received_ms || position.at_ms || 0) <= ONLINE_WINDOW_MS) {
        onlineCount++;
      }
      if (position.state === 'alarm') alarms++;
    }
    online.textContent = String(onlineCount);
    withPosition.textContent = String(markers.size);
    alarmCount.textContent = String(alarms);
    mapNode.dataset.markers = String(markers.size);
    mapNode.dataset.alarms = String(alarms);
  };

  const fetchVehicles = async (): Promise<MapVehicle[]> => {
    if (source === 'monitor') {
      try {
        const body = await api.monitorVehicles();
        // A monitor that has seen nothing yet (just started, or switched off) shows the
        // latest positions meanwhile, where the user may read them.
        if ((body.vehicles ?? []).length > 0 || !canReadPositions()) {
          return (body.vehicles ?? []).map(fromMonitor);
        }
      } catch (e) {
        const missing = e instanceof ApiError && (e.status === 404 || e.status === 503);
        if (!missing || !canReadPositions()) throw e;
        if (e.status === 404) {
          source = 'positions';
          hook.source = source;
          mapNode.dataset.source = source;
        }
      }
    }
    const latest = await api.latestPositions(POSITION_LIMIT);
    return latest.items.map(fromPosition);
  };
  mapNode.dataset.source = source;

  const refresh = async () => {
    try {
      const vehicles = await fetchVehicles();
      if (!live) return;
      error.hidden = true;
      const seen = new Set<string>();
      for (const vehicle of vehicles) {
        if (!Number.isFinite(vehicle.lat) || !Number.isFinite(vehicle.lon)) continue;
        seen.add(vehicle.terminal);
        const existing = markers.get(vehicle.terminal);
        if (existing) {
          const wasAlarm = existing.position.state === 'alarm';
          existing.position = vehicle;
          existing.marker.setLatLng([vehicle.lat, vehicle.lon]);
          if (
            wasAlarm ||
            vehicle.state === 'alarm' ||
            existing.marker.options.fillColor !== STATE_STYLES[vehicle.state ?? 'unknown'].fillColor
          ) {
            styleMarker(existing);
          }
        } else {
          const entry: MarkedPosition = {
            position: vehicle,
            marker: L.circleMarker([vehicle.lat, vehicle.lon], {
              renderer,
              ...STATE_STYLES[vehicle.state ?? 'unknown'],
            }),
          };
          bindLabel(entry);
          // A monitored vehicle opens its panel; a bare position its popup.
          entry.marker.on('click', () => {
            if (entry.position.state) {
              void select(entry.position.terminal);
            } else {
              L.popup()
                .setLatLng(entry.marker.getLatLng())
                .setContent(labelValueNode(popupRows(entry.position)))
                .openOn(map);
            }
          });
          entry.marker.addTo(map);
          if (vehicle.state === 'alarm') entry.marker.bringToFront();
          markers.set(vehicle.terminal, entry);
        }
      }
      for (const [terminal, entry] of markers) {
        if (!seen.has(terminal)) {
          entry.marker.remove();
          markers.delete(terminal);
        }
      }
      showCounts();
      renderList();
      // Opened for one vehicle (#/map?terminal=…, the alarm centre's row link): centred and
      // its panel open, once.
      if (wanted && source === 'monitor' && markers.has(wanted)) {
        map.setView(markers.get(wanted)!.marker.getLatLng(), Math.max(map.getZoom(), 14), {
          animate: false,
        });
        void select(wanted);
        wanted = null;
      }
      updated.textContent = formatTime(Date.now());
      hook.refreshes++;
      mapNode.dataset.refreshes = String(hook.refreshes);
    } catch (e) {
      if (live) showError(e);
    } finally {
      if (live) timer = window.setTimeout(refresh, REFRESH_MS);
    }
  };
  void refresh();

  // A pushed alarm turns its vehicle red at once; the next refresh brings the monitor's view.
  const unsubscribe = canReadAlarms()
    ? subscribeAlarms({
        onAlarm: (alarm) => {
          if (!live || alarm.status === 'closed' || !alarm.active) return;
          const entry = markers.get(alarm.terminal);
          if (!entry) return;
          entry.position = {
            ...entry.position,
            state: 'alarm',
            alarms: [...new Set([...entry.position.alarms, alarm.kind])],
          };
          if (
            Number.isFinite(alarm.lat) &&
            Number.isFinite(alarm.lon) &&
            alarm.last_at_ms >= entry.position.at_ms
          ) {
            entry.marker.setLatLng([alarm.lat, alarm.lon]);
          }
          styleMarker(entry);
          showCounts();
          if (selected === alarm.terminal) void select(alarm.terminal);
        },
      })
    : () => {};

  // ---- the selected vehicle: its details in the side panel, its last hour of track on the map.
  let selected: string | null = null;
  let selection = 0;
  const trackLayer = L.layerGroup().addTo(map);
  const closePanel = () => {
    selected = null;
    selection++;
    panel.hidden = true;
    trackLayer.clearLayers();
    map.invalidateSize();
    renderList();
  };
  const select = async (terminal: string) => {
    const mine = ++selection;
    const first = selected !== terminal;
    selected = terminal;
    if (first) {
      clear(panel);
      panel.append(el('div', { class: 'stat-muted' }, t('loading')));
      panel.hidden = false;
      panel.dataset.terminal = terminal;
      panel.dataset.state = 'loading';
      map.invalidateSize();
    }
    try {
      const detail = await api.monitorVehicle(terminal);
      if (!live || mine !== selection) return;
      clear(panel);
      panel.dataset.state = 'ready';
      const vehicle = detail.vehicle;
      const close = el(
        'button',
        { class: 'btn btn-link panel-close', type: 'button', testid: 'vehicle-panel-close' },
        '×',
      );
      close.addEventListener('click', closePanel);
      const factRow = (label: string, value: Node | string) =>
        el('tr', {}, el('th', {}, label), el('td', {}, value));
      panel.append(
        el(
          'div',
          { class: 'panel-head' },
          el(
            'strong',
            { class: 'panel-plate', testid: 'vehicle-panel-plate' },
            vehicle.plate || terminal,
          ),
          el(
            'span',
            {
              class: `badge badge-vehicle-${vehicle.state}`,
              testid: 'vehicle-panel-state',
              'data-state': vehicle.state,
            },
            stateName(vehicle.state),
          ),
          close,
        ),
        el(
          'table',
          { class: 'popup-table' },
          el(
            'tbody',
            {},
            factRow(t('terminal'), terminal),
            factRow(
              t('vp_company'),
              el('span', { testid: 'vehicle-panel-company' }, detail.carrier?.name || '—'),
            ),
            factRow(
              t('vp_place'),
              el(
                'span',
                { testid: 'vehicle-panel-place' },
                placeName(cityLayers, vehicle.lat, vehicle.lon) ??
                  `${vehicle.lat.toFixed(5)}, ${vehicle.lon.toFixed(5)}`,
              ),
            ),
            factRow(t('speed'), `${Number(vehicle.speed_kmh ?? 0).toFixed(1)} km/h`),
            factRow(
              t('time'),
              el('span', { testid: 'vehicle-panel-time' }, formatTime(vehicle.at_ms)),
            ),
            factRow(t('vehicle_in_city'), vehicle.in_city ? t('yes') : t('no')),
          ),
        ),
      );
      // Its pass.
      const pass = detail.pass;
      panel.append(el('h4', {}, t('qr_pass')));
      panel.append(
        pass
          ? el(
              'div',
              { class: 'panel-block', testid: 'vehicle-panel-pass' },
              el('a', { href: `#/passes/${pass.id}` }, `${t('pass_id')} ${pass.id}`),
              ' ',
              passStatusBadge(effectiveStatus(pass)),
              el(
                'div',
                { class: 'stat-muted' },
                `${formatTime(pass.entry_from_ms)} – ${formatTime(pass.entry_until_ms)}`,
              ),
            )
          : el('div', { class: 'stat-muted', testid: 'vehicle-panel-pass' }, t('vehicle_no_pass')),
      );
      // Its drivers.
      panel.append(el('h4', {}, t('drivers')));
      const drivers = detail.drivers ?? [];
      panel.append(
        drivers.length
          ? el(
              'ul',
              { class: 'panel-list', testid: 'vehicle-panel-drivers' },
              ...drivers.map((d) =>
                el(
                  'li',
                  { testid: 'vehicle-panel-driver' },
                  el('span', {}, d.name || '—'),
                  d.phone
                    ? el(
                        'span',
                        { class: 'stat-muted', testid: 'vehicle-panel-phone' },
                        ` · ${d.phone}`,
                      )
                    : null,
                  d.id_number ? el('div', { class: 'stat-muted' }, d.id_number) : null,
                ),
              ),
            )
          : el('div', { class: 'stat-muted', testid: 'vehicle-panel-drivers' }, '—'),
      );
      // Its open alarms.
      panel.append(el('h4', {}, t('vehicle_open_alarms')));
      const alarms = detail.alarms ?? [];
      panel.append(
        alarms.length
          ? el(
              'ul',
              { class: 'panel-list', testid: 'vehicle-panel-alarms' },
              ...alarms.map((a) =>
                el(
                  'li',
                  { testid: 'vehicle-panel-alarm', 'data-id': a.id, 'data-kind': a.kind },
                  severityBadge(a),
                  ' ',
                  el('a', { href: `#/alarms/${a.id}` }, alarmKindName(a.kind, a.kind_name)),
                  ' ',
                  alarmStatusBadge(a),
                  el('div', { class: 'stat-muted' }, a.detail || ''),
                ),
              ),
            )
          : el('div', { class: 'stat-muted', testid: 'vehicle-panel-alarms' }, t('alarm_none')),
      );
      // Its last hour of track.
      const track = (detail.track ?? []).filter(
        (p) => Number.isFinite(p.lat) && Number.isFinite(p.lon),
      );
      trackLayer.clearLayers();
      if (track.length > 1) {
        L.polyline(
          track.map((p) => [p.lat, p.lon] as L.LatLngTuple),
          { color: '#6a1b9a', weight: 3, opacity: 0.85 },
        ).addTo(trackLayer);
      }
      panel.append(
        el(
          'div',
          { class: 'stat-muted', testid: 'vehicle-panel-track', 'data-points': track.length },
          t('vehicle_track_n', { n: track.length }),
        ),
      );
      panel.append(vehicleActions(terminal, vehicle.plate || '', pass?.id ?? null));
    } catch (e) {
      if (!live || mine !== selection) return;
      panel.dataset.state = 'error';
      clear(panel);
      panel.append(el('div', { class: 'form-error', role: 'alert' }, errorText(e)));
    }
  };

  // The panel's actions: a text to the driver (terminals.command), a replay of the stored track
  // drawn on the map (positions.read, with a purpose, audited), its alarms and its pass.
  const vehicleActions = (terminal: string, plate: string, passId: number | null) => {
    const box = el('div', { class: 'vp-actions', testid: 'vehicle-panel-actions' });
    box.append(el('h4', {}, t('vp_actions')));
    const links = el(
      'div',
      { class: 'vp-row' },
      el(
        'a',
        {
          class: 'btn btn-small',
          testid: 'vehicle-panel-alarms-link',
          href: `#/alarms?${new URLSearchParams({ plate }).toString()}`,
        },
        t('vp_open_alarms'),
      ),
      passId !== null
        ? el(
            'a',
            {
              class: 'btn btn-small',
              testid: 'vehicle-panel-pass-link',
              href: `#/passes/${passId}`,
            },
            t('vp_open_pass'),
          )
        : el(
            'a',
            {
              class: 'btn btn-small',
              testid: 'vehicle-panel-pass-link',
              href: `#/passes?${new URLSearchParams({ plate }).toString()}`,
            },
            t('vp_pass_list'),
          ),
    );
    box.append(links);
    if (canReadPositions()) {
      const hours = el(
        'select',
        { class: 'input', testid: 'vehicle-replay-hours', 'aria-label': t('vp_replay') },
        ...[1, 6, 24].map((n) => el('option', { value: n }, t('vp_replay_hours', { n }))),
      );
      const purpose = el('input', {
        class: 'input',
        testid: 'vehicle-replay-purpose',
        placeholder: t('vp_replay_purpose'),
        'aria-label': t('vp_replay_purpose'),
      });
      const go = el(
        'button',
        { class: 'btn btn-small', type: 'button', testid: 'vehicle-replay' },
        t('vp_replay'),
      );
      const note = el('div', { class: 'stat-muted', testid: 'vehicle-replay-result' });
      go.addEventListener('click', async () => {
        const now = Date.now();
        go.disabled = true;
        try {
          const result = await api.track(
            terminal,
            now - Number(hours.value) * 3600_000,
            now,
            purpose.value.trim(),
          );
          if (!live || selected !== terminal) return;
          const points = (result.positions ?? []).filter(
            (p) => Number.isFinite(p.lat) && Number.isFinite(p.lon),
          );
          trackLayer.clearLayers();
          if (points.length > 0) {
            const line = L.polyline(
              points.map((p) => [p.lat, p.lon] as L.LatLngTuple),
              { color: '#ff6f00', weight: 4, opacity: 0.9 },
            ).addTo(trackLayer);
            if (points.length > 1) map.fitBounds(line.getBounds(), { animate: false, maxZoom: 15 });
          }
          note.textContent = t('vp_replay_n', { n: points.length });
          note.dataset.points = String(points.length);
          mapNode.dataset.replay = String(points.length);
        } catch (e) {
          note.textContent = errorText(e);
        } finally {
          go.disabled = false;
        }
      });
      box.append(el('div', { class: 'vp-row' }, hours, purpose, go), note);
    }
    if (can('terminals.command')) {
      const text = el('input', {
        class: 'input',
        testid: 'vehicle-text',
        maxlength: 200,
        placeholder: t('vp_text_placeholder'),
        'aria-label': t('vp_send_text'),
      });
      const send = el(
        'button',
        { class: 'btn btn-small', type: 'button', testid: 'vehicle-text-send' },
        t('vp_send_text'),
      );
      const note = el('div', { class: 'stat-muted', testid: 'vehicle-text-result' });
      send.addEventListener('click', async () => {
        if (!text.value.trim()) return;
        send.disabled = true;
        try {
          const sent = await api.sendText(terminal, text.value.trim());
          note.textContent = t('vp_text_sent', { id: sent.id });
          text.value = '';
        } catch (e) {
          note.textContent = errorText(e);
        } finally {
          send.disabled = false;
        }
      });
      box.append(el('div', { class: 'vp-row' }, text, send), note);
    }
    return box;
  };

  hook.select = (terminal) => void select(terminal);
  hook.center = () => {
    const c = map.getCenter();
    return [c.lat, c.lng];
  };

  return () => {
    live = false;
    window.clearTimeout(timer);
    unsubscribe();
    disposeMap(map);
    if (window.__baotongMap === hook) delete window.__baotongMap;
  };
}
