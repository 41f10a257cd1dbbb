// 实时地图: the city's vector layers (boundary, districts, designated sites), a base map only where
// the server configures tiles, and the latest position of every vehicle, refreshed every 2.5 s.
// Thousands of markers are drawn on one canvas.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { ApiError, api, type Position } from '../api';
import { clear, el } from '../dom';
import { formatTime } from '../fields';
import { t } from '../i18n';
import { routesLayer } from '../pass-ui';
import { session } from '../state';

const REFRESH_MS = 2500;
const POSITION_LIMIT = 5000;
// A vehicle counts as online when its last position arrived within this long.
const ONLINE_WINDOW_MS = 5 * 60 * 1000;

interface MarkedPosition {
  marker: L.CircleMarker;
  position: Position;
}

// A read-only view of what the map shows, for the browser tests (window.__baotongMap).
export interface MapDebugHook {
  refreshes: number;
  positions(): Array<
    Pick<Position, 'terminal' | 'plate' | 'lat' | 'lon' | 'speed_kmh' | 'device_time_ms'>
  >;
}
declare global {
  interface Window {
    __baotongMap?: MapDebugHook;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function popupHtml(position: Position): string {
  const rows: Array<[string, string]> = [
    [t('plate'), position.plate || '—'],
    [t('terminal'), position.terminal],
    [t('speed'), `${Number(position.speed_kmh ?? 0).toFixed(1)} km/h`],
    [t('time'), position.device_time || formatTime(position.device_time_ms)],
  ];
  return `<table class="popup-table">${rows
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('')}</table>`;
}

export function renderMap(content: HTMLElement): () => void {
  clear(content);
  let live = true;
  let timer: number | undefined;
  const ui = session.ui;

  const online = el('span', { class: 'stat-value', testid: 'map-online-count' }, '0');
  const withPosition = el('span', { class: 'stat-value', testid: 'map-position-count' }, '0');
  const updated = el('span', { class: 'stat-muted', testid: 'map-updated' }, '—');
  const error = el('span', { class: 'form-error inline', testid: 'map-error', hidden: true });
  const mapNode = el('div', {
    class: 'map',
    testid: 'map',
    'data-markers': 0,
    'data-refreshes': 0,
  });
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
      el('span', { class: 'stat' }, t('map_updated'), ': ', updated),
      error,
      ui && !ui.tile_url
        ? el('span', { class: 'stat-muted', testid: 'map-no-tiles' }, t('map_no_tiles'))
        : null,
    ),
    mapNode,
  );

  const map = L.map(mapNode, {
    center: ui?.center ?? [41.11, 122.99],
    zoom: ui?.zoom ?? 11,
    preferCanvas: true,
    attributionControl: true,
  });
  const renderer = L.canvas({ padding: 0.5 });
  if (ui?.tile_url) {
    L.tileLayer(ui.tile_url, { attribution: ui.tile_attribution || '', maxZoom: 19 }).addTo(map);
  } else {
    mapNode.classList.add('no-tiles');
  }

  api.mapLayers().then(
    (layers) => {
      if (!live) return;
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
            featureLayer.bindTooltip(String(props.name), {
              permanent: true,
              direction: 'center',
              className: 'district-label',
            });
          } else if (props.layer === 'site') {
            const rows = [props.name, props.kind_name, props.district]
              .filter(Boolean)
              .map((v) => escapeHtml(String(v)));
            featureLayer.bindPopup(
              `<strong>${rows[0] ?? ''}</strong><br>${rows.slice(1).join(' · ')}`,
            );
          }
        },
      }).addTo(map);
      layer.bringToBack();
      const boundary = layers.features.find((f) => f.properties?.layer === 'boundary');
      const bounds = boundary ? L.geoJSON(boundary).getBounds() : layer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds);
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
      L.control
        .layers(undefined, { [t('map_routes')]: layer }, { collapsed: false, position: 'topright' })
        .addTo(map);
      mapNode.dataset.routes = String(routes.features.length);
    },
    () => {
      if (live) mapNode.dataset.routes = 'none';
    },
  );

  const markers = new Map<string, MarkedPosition>();
  const hook: MapDebugHook = {
    refreshes: 0,
    positions: () =>
      [...markers.values()].map(({ position: p }) => ({
        terminal: p.terminal,
        plate: p.plate,
        lat: p.lat,
        lon: p.lon,
        speed_kmh: p.speed_kmh,
        device_time_ms: p.device_time_ms,
      })),
  };
  window.__baotongMap = hook;

  const showError = (e: unknown) => {
    error.textContent = e instanceof ApiError ? e.message : t('error_generic');
    error.hidden = false;
  };

  const refresh = async () => {
    try {
      const latest = await api.latestPositions(POSITION_LIMIT);
      if (!live) return;
      error.hidden = true;
      const seen = new Set<string>();
      for (const position of latest.items) {
        if (!Number.isFinite(position.lat) || !Number.isFinite(position.lon)) continue;
        seen.add(position.terminal);
        const existing = markers.get(position.terminal);
        if (existing) {
          existing.position = position;
          existing.marker.setLatLng([position.lat, position.lon]);
        } else {
          const entry: MarkedPosition = {
            position,
            marker: L.circleMarker([position.lat, position.lon], {
              renderer,
              radius: 5,
              weight: 1,
              color: '#0b3a6e',
              fillColor: '#1e88e5',
              fillOpacity: 0.9,
            }),
          };
          // Content is built when opened, so it always shows the latest position.
          entry.marker.bindTooltip(() => popupHtml(entry.position));
          entry.marker.bindPopup(() => popupHtml(entry.position));
          entry.marker.addTo(map);
          markers.set(position.terminal, entry);
        }
      }
      for (const [terminal, entry] of markers) {
        if (!seen.has(terminal)) {
          entry.marker.remove();
          markers.delete(terminal);
        }
      }
      const now = Date.now();
      let onlineCount = 0;
      for (const { position } of markers.values()) {
        const at = position.receive_time_ms || position.device_time_ms || 0;
        if (now - at <= ONLINE_WINDOW_MS) onlineCount++;
      }
      online.textContent = String(onlineCount);
      withPosition.textContent = String(markers.size);
      updated.textContent = formatTime(now);
      hook.refreshes++;
      mapNode.dataset.markers = String(markers.size);
      mapNode.dataset.refreshes = String(hook.refreshes);
    } catch (e) {
      if (live) showError(e);
    } finally {
      if (live) timer = window.setTimeout(refresh, REFRESH_MS);
    }
  };
  void refresh();

  return () => {
    live = false;
    window.clearTimeout(timer);
    map.remove();
    if (window.__baotongMap === hook) delete window.__baotongMap;
  };
}
