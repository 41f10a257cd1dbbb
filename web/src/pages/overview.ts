// 总览: the command centre's big screen. Full width and dark (body.overview-mode hides the menu;
// a small link leads back), the live map of vehicles (the monitor's with alarms.read, else the
// latest positions), the counters (在城车辆, 今日入城, 今日出城, 未结报警 by severity) and today's
// hourly trends; everything refreshes every 10 s until the page is left.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { type Overview, analysisApi } from '../analysis-api';
import { api } from '../api';
import { chart } from '../charts';
import { clear, el } from '../dom';
import { formatTime } from '../fields';
import { t } from '../i18n';
import { cityOutline } from '../outline';
import { canReadAlarms, canReadPositions, landingRoute } from '../state';
import { errorBox, errorText } from '../widgets';
import { baseMap } from './map';
import { disposeMap } from '../map-teardown';

const REFRESH_MS = 10_000;
const POSITION_LIMIT = 5000;
const SEVERITIES = [1, 2, 3, 4] as const;
const BODY_CLASS = 'overview-mode';

// Marker colours by the monitor's state; a bare position (no monitor) is blue.
const STATE_COLOURS: Record<string, string> = {
  moving: '#4caf50',
  stopped: '#42a5f5',
  alarm: '#ff3b30',
  offline: '#78909c',
};

interface Dot {
  terminal: string;
  lat: number;
  lon: number;
  state: string;
}

async function fetchDots(): Promise<Dot[]> {
  if (canReadAlarms()) {
    try {
      const { vehicles } = await api.monitorVehicles();
      return (vehicles ?? []).map(({ terminal, lat, lon, state }) => ({
        terminal,
        lat,
        lon,
        state,
      }));
    } catch (e) {
      if (!canReadPositions()) throw e;
    }
  }
  if (!canReadPositions()) return [];
  const { items } = await api.latestPositions(POSITION_LIMIT);
  return items.map((p) => ({ terminal: p.terminal, lat: p.lat, lon: p.lon, state: 'position' }));
}

export function renderOverview(content: HTMLElement): () => void {
  clear(content);
  document.body.classList.add(BODY_CLASS);
  let live = true;
  let timer: number | undefined;

  const counter = (testid: string, label: string) => {
    const value = el('div', { class: 'ov-value', testid: `${testid}-value` }, '—');
    return {
      value,
      node: el(
        'div',
        { class: 'ov-counter', testid },
        value,
        el('div', { class: 'ov-label' }, label),
      ),
    };
  };
  const inCity = counter('ov-in-city', t('ov_in_city'));
  const entered = counter('ov-entered', t('ov_entered_today'));
  const exited = counter('ov-exited', t('ov_exited_today'));
  const severityValues = new Map<number, HTMLElement>();
  const alarmsNode = el(
    'div',
    { class: 'ov-counter ov-alarms', testid: 'ov-alarms' },
    el(
      'div',
      { class: 'ov-severities' },
      ...SEVERITIES.map((level) => {
        const value = el('span', { class: 'ov-severity-value' }, '—');
        severityValues.set(level, value);
        return el(
          'div',
          { class: `ov-severity ov-severity-${level}`, testid: `ov-alarms-${level}` },
          value,
          el('span', { class: 'ov-severity-name' }, t(`severity_${level}`)),
        );
      }),
    ),
    el('div', { class: 'ov-label' }, t('ov_open_alarms')),
  );
  const counters = el(
    'div',
    { class: 'ov-counters', testid: 'ov-counters', 'data-state': 'loading' },
    inCity.node,
    entered.node,
    exited.node,
    alarmsNode,
  );
  const clock = el('span', { class: 'ov-clock', testid: 'ov-clock' });
  const updated = el('span', { class: 'ov-updated', testid: 'ov-updated' });
  const error = errorBox('ov-error');
  const mapNode = el('div', { class: 'ov-map', testid: 'ov-map' });
  const trends = chart('ov-chart-hourly', { dark: true, className: 'ov-chart' });
  content.append(
    el(
      'div',
      { class: 'overview', testid: 'overview' },
      el(
        'div',
        { class: 'ov-head' },
        el('a', { href: landingRoute(), class: 'ov-back', testid: 'ov-back' }, `← ${t('ov_back')}`),
        el('h1', { class: 'ov-title' }, t('ov_title')),
        el('div', { class: 'header-spacer' }),
        updated,
        clock,
      ),
      error,
      counters,
      el(
        'div',
        { class: 'ov-body' },
        mapNode,
        el('div', { class: 'ov-side' }, el('h3', {}, t('ov_hourly')), trends.node),
      ),
    ),
  );

  const map = baseMap(mapNode, { zoomControl: false, attributionControl: false });
  const renderer = L.canvas({ padding: 0.5 });
  const markers = new Map<string, L.CircleMarker>();
  cityOutline(map, { isLive: () => live, dark: true });

  const showDots = (dots: Dot[]) => {
    const seen = new Set<string>();
    for (const dot of dots) {
      if (!Number.isFinite(dot.lat) || !Number.isFinite(dot.lon)) continue;
      seen.add(dot.terminal);
      const colour = STATE_COLOURS[dot.state] ?? '#29b6f6';
      const existing = markers.get(dot.terminal);
      if (existing) {
        existing.setLatLng([dot.lat, dot.lon]);
        existing.setStyle({ fillColor: colour });
      } else {
        markers.set(
          dot.terminal,
          L.circleMarker([dot.lat, dot.lon], {
            renderer,
            radius: dot.state === 'alarm' ? 6 : 4,
            weight: 0,
            fillColor: colour,
            fillOpacity: 0.9,
          }).addTo(map),
        );
      }
    }
    for (const [terminal, marker] of markers) {
      if (seen.has(terminal)) continue;
      marker.remove();
      markers.delete(terminal);
    }
    mapNode.dataset.markers = String(markers.size);
  };

  const showOverview = (o: Overview) => {
    inCity.value.textContent = String(o.in_city_now ?? 0);
    entered.value.textContent = String(o.entered_today ?? 0);
    exited.value.textContent = String(o.exited_today ?? 0);
    let open = 0;
    for (const level of SEVERITIES) {
      const n = o.open_alarms?.[String(level)] ?? 0;
      open += n;
      severityValues.get(level)!.textContent = String(n);
    }
    alarmsNode.dataset.total = String(open);
    counters.dataset.state = 'ready';
    const hours = (o.hourly?.hours ?? []).map((h) => `${String(h).padStart(2, '0')}:00`);
    trends.set({
      tooltip: { trigger: 'axis' },
      legend: { top: 0, textStyle: { color: '#cfd8dc' } },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: hours },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        {
          type: 'line',
          name: t('ov_entries'),
          data: o.hourly?.entries ?? [],
          smooth: true,
          itemStyle: { color: '#4fc3f7' },
        },
        {
          type: 'line',
          name: t('ov_exits'),
          data: o.hourly?.exits ?? [],
          smooth: true,
          itemStyle: { color: '#81c784' },
        },
        {
          type: 'bar',
          name: t('ov_alarms'),
          data: o.hourly?.alarms ?? [],
          itemStyle: { color: '#ff7043' },
        },
      ],
    });
  };

  const refresh = async () => {
    clock.textContent = formatTime(Date.now());
    const [overview, dots] = await Promise.allSettled([analysisApi.overview(), fetchDots()]);
    if (!live) return;
    const failed = [overview, dots].find((r) => r.status === 'rejected');
    if (overview.status === 'fulfilled') showOverview(overview.value);
    if (dots.status === 'fulfilled') showDots(dots.value);
    if (failed) {
      error.textContent = errorText(failed.reason);
      error.hidden = false;
      if (overview.status === 'rejected') counters.dataset.state = 'error';
    } else {
      error.hidden = true;
      updated.textContent = t('ov_updated', { time: formatTime(Date.now()) });
    }
    timer = window.setTimeout(() => void refresh(), REFRESH_MS);
  };
  void refresh();

  return () => {
    live = false;
    window.clearTimeout(timer);
    document.body.classList.remove(BODY_CLASS);
    trends.dispose();
    disposeMap(map);
  };
}
