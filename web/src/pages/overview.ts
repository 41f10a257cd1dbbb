// 总览: the command centre's big screen, laid out for a 1920×1080 wall with no scrolling. Dark,
// large type (body.overview-mode hides the menu; a small link leads back). The counters (在城车辆,
// 今日入城, 今日出城 from /api/stats/overview, 在线车辆 from the monitor as the live map counts them,
// 未结报警 by severity), the live map of vehicles and open alarms, open alarms by kind and by
// district (the alarm centre's own listing, status=open), today's entries and exits by hour, and
// today's top flows and destination sites (/api/stats/freight for today, as the statistics page
// reads it). Everything refreshes every 10 s until the page is left.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { type FreightStats, type Overview, analysisApi, canReadStats } from '../analysis-api';
import { type Alarm, api } from '../api';
import { type ChartOption, chart } from '../charts';
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

// Every open alarm the caller may see, as the alarm centre lists them (status=open).
const ALARM_PAGE = 500;
const ALARM_MAX = 5000;
async function fetchOpenAlarms(): Promise<Alarm[]> {
  if (!canReadAlarms()) return [];
  const all: Alarm[] = [];
  for (let offset = 0; offset < ALARM_MAX; offset += ALARM_PAGE) {
    const page = await api.alarms({ status: 'open', offset, limit: ALARM_PAGE });
    all.push(...page.items);
    if (page.items.length < ALARM_PAGE || all.length >= page.total) break;
  }
  return all;
}

// Today's date in China (the server's day for the statistics).
function chinaToday(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
}

function countBy<T>(items: T[], key: (item: T) => string): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], 'zh'));
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
  const online = counter('ov-online', t('ov_online'));
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
    online.node,
    alarmsNode,
  );
  const clock = el('span', { class: 'ov-clock', testid: 'ov-clock' });
  const updated = el('span', { class: 'ov-updated', testid: 'ov-updated' });
  const error = errorBox('ov-error');
  const mapNode = el('div', { class: 'ov-map', testid: 'ov-map' });
  const trends = chart('ov-chart-hourly', { dark: true, className: 'ov-chart' });
  const byKind = chart('ov-chart-kind', { dark: true, className: 'ov-chart' });
  const byDistrict = chart('ov-chart-district', { dark: true, className: 'ov-chart' });
  const topFlows = el('ol', { class: 'ov-top', testid: 'ov-top-routes' });
  const topSites = el('ol', { class: 'ov-top', testid: 'ov-top-sites' });
  const panel = (title: string, ...body: Node[]) =>
    el('section', { class: 'ov-panel' }, el('h3', {}, title), ...body);
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
        error,
        updated,
        clock,
      ),
      counters,
      el(
        'div',
        { class: 'ov-body' },
        el(
          'div',
          { class: 'ov-column' },
          panel(t('ov_alarms_by_kind'), byKind.node),
          panel(t('ov_alarms_by_district'), byDistrict.node),
        ),
        mapNode,
        el(
          'div',
          { class: 'ov-column' },
          panel(t('ov_hourly'), trends.node),
          panel(t('ov_top_routes'), topFlows),
          panel(t('ov_top_sites'), topSites),
        ),
      ),
    ),
  );

  const map = baseMap(mapNode, { zoomControl: false, attributionControl: false });
  const renderer = L.canvas({ padding: 0.5 });
  const markers = new Map<string, L.CircleMarker>();
  const alarmLayer = L.layerGroup().addTo(map);
  cityOutline(map, { isLive: () => live, dark: true });

  const showDots = (dots: Dot[]) => {
    const seen = new Set<string>();
    let onlineCount = 0;
    for (const dot of dots) {
      if (dot.state !== 'offline') onlineCount++;
      if (!Number.isFinite(dot.lat) || !Number.isFinite(dot.lon)) continue;
      seen.add(dot.terminal);
      const colour = STATE_COLOURS[dot.state] ?? '#29b6f6';
      const existing = markers.get(dot.terminal);
      if (existing) {
        existing.setLatLng([dot.lat, dot.lon]);
        existing.setStyle({ fillColor: colour });
        existing.setRadius(dot.state === 'alarm' ? 6 : 4);
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
    // Online as the live map counts it: every monitored vehicle not offline.
    online.value.textContent = String(onlineCount);
  };

  const barOption = (rows: Array<[string, number]>, colour: string): ChartOption => {
    const shown = rows.slice(0, 8).reverse();
    return {
      grid: { left: 8, right: 36, top: 4, bottom: 4, containLabel: true },
      xAxis: { type: 'value' as const, minInterval: 1, splitLine: { show: false } },
      yAxis: {
        type: 'category',
        data: shown.map(([name]) => name),
        axisLabel: { fontSize: 14, color: '#cfd8dc' },
      },
      series: [
        {
          type: 'bar',
          data: shown.map(([, n]) => n),
          itemStyle: { color: colour },
          label: { show: true, position: 'right', color: '#e3eaf2', fontSize: 14 },
        },
      ],
    };
  };

  const showAlarms = (alarms: Alarm[]) => {
    const kinds = countBy(alarms, (a) => a.kind_name || a.kind);
    const districts = countBy(alarms, (a) => a.district || t('ov_no_district'));
    byKind.set(barOption(kinds, '#ff7043'));
    byDistrict.set(barOption(districts, '#ffb74d'));
    byKind.node.dataset.total = String(alarms.length);
    alarmLayer.clearLayers();
    for (const alarm of alarms) {
      if (!Number.isFinite(alarm.lat) || !Number.isFinite(alarm.lon)) continue;
      if (alarm.lat === 0 && alarm.lon === 0) continue;
      L.circleMarker([alarm.lat, alarm.lon], {
        renderer,
        radius: 11,
        weight: 2,
        color: '#ff3b30',
        fill: false,
        className: 'ov-alarm-ring',
      }).addTo(alarmLayer);
    }
    mapNode.dataset.alarms = String(alarmLayer.getLayers().length);
  };

  const topList = (list: HTMLElement, rows: Array<[string, number]>, unit: string) => {
    clear(list);
    for (const [name, n] of rows.slice(0, 5)) {
      list.append(
        el(
          'li',
          { testid: `${list.dataset.testid}-row` },
          el('span', { class: 'ov-top-name' }, name),
          el('span', { class: 'ov-top-value' }, `${n} ${unit}`),
        ),
      );
    }
    if (rows.length === 0) list.append(el('li', { class: 'ov-top-empty' }, t('ov_none_today')));
  };

  const showFreight = (stats: FreightStats) => {
    const flows = stats.od_flows ?? [];
    const routes = flows
      .map(
        (f) =>
          [`${f.origin} → ${f.destination_name || f.destination}`, f.trips] as [string, number],
      )
      .sort((a, b) => b[1] - a[1]);
    const sites = new Map<string, number>();
    for (const f of flows) {
      const name = f.destination_name || f.destination;
      sites.set(name, (sites.get(name) ?? 0) + f.trips);
    }
    topList(topFlows, routes, t('ov_trips'));
    topList(
      topSites,
      [...sites].sort((a, b) => b[1] - a[1]),
      t('ov_trips'),
    );
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
    const hours = (o.hourly?.hours ?? []).map((h) => `${String(h).padStart(2, '0')}`);
    trends.set({
      tooltip: { trigger: 'axis' },
      legend: { top: 0, textStyle: { color: '#cfd8dc', fontSize: 13 } },
      grid: { left: 36, right: 12, top: 30, bottom: 22 },
      xAxis: { type: 'category', data: hours },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        {
          type: 'bar',
          name: t('ov_entries'),
          data: o.hourly?.entries ?? [],
          itemStyle: { color: '#4fc3f7' },
        },
        {
          type: 'bar',
          name: t('ov_exits'),
          data: o.hourly?.exits ?? [],
          itemStyle: { color: '#81c784' },
        },
        {
          type: 'line',
          name: t('ov_alarms'),
          data: o.hourly?.alarms ?? [],
          smooth: true,
          itemStyle: { color: '#ff7043' },
        },
      ],
    });
  };

  const refresh = async () => {
    clock.textContent = formatTime(Date.now());
    const today = chinaToday();
    const results = await Promise.allSettled([
      analysisApi.overview(),
      fetchDots(),
      fetchOpenAlarms(),
      canReadStats()
        ? analysisApi.freight({ from: today, to: today, by: 'day' })
        : Promise.resolve(null),
    ]);
    if (!live) return;
    const [overview, dots, alarms, freight] = results;
    const failed = results.find((r) => r.status === 'rejected');
    if (overview.status === 'fulfilled') showOverview(overview.value);
    if (dots.status === 'fulfilled') showDots(dots.value);
    if (alarms.status === 'fulfilled') showAlarms(alarms.value);
    if (freight.status === 'fulfilled' && freight.value) showFreight(freight.value);
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
    byKind.dispose();
    byDistrict.dispose();
    disposeMap(map);
  };
}
