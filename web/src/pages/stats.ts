// 统计: the freight figures for a date range (the last 30 days by default), by day or by week,
// filtered by vehicle class and cargo category (the options come with the answer), drawn with
// ECharts: entries and exits, per checkpoint, vehicles in the city, tonnage by cargo, the
// origin-destination flows (top 10 and a table), dwell times, alarms by kind and how fast they
// closed; 导出 Excel downloads the same query. 经济指标: the imported indicator series, an import
// form (indicators.import), and an indicator beside a freight series by month with the
// correlation per lag, so staff can read whether freight leads or lags the economy.
import {
  type Correlation,
  type FreightParams,
  type FreightStats,
  type Indicator,
  type StatsSeries,
  analysisApi,
  canImportIndicators,
} from '../analysis-api';
import { type Chart, type ChartOption, chart, periodChart } from '../charts';
import { clear, el } from '../dom';
import { t } from '../i18n';
import { button, emptyRow, errorBox, errorText, listTable } from '../widgets';

const DAY_MS = 24 * 3600 * 1000;
const CHINA_OFFSET_MS = 8 * 3600 * 1000;
const CORRELATION_SERIES = ['entries', 'exits', 'tonnage'] as const;

// "YYYY-MM-DD" of a China day.
function chinaDate(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

function seriesValues(stats: FreightStats, id: string): StatsSeries | undefined {
  return stats.series?.find((s) => s.id === id);
}

function sum(values: Array<number | null> | undefined): number {
  return (values ?? []).reduce<number>((total, v) => total + (v ?? 0), 0);
}

function figure(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

function panel(title: string, testid: string, ...children: Array<Node | null>): HTMLElement {
  return el('div', { class: 'card chart-card', testid }, el('h3', {}, title), ...children);
}

function selectOf(testid: string, options: Array<[string, string]>): HTMLSelectElement {
  return el(
    'select',
    { class: 'input', testid },
    ...options.map(([value, label]) => el('option', { value }, label)),
  );
}

// Replaces a select's options and keeps the chosen value where it is still offered.
function setOptions(select: HTMLSelectElement, options: Array<[string, string]>): void {
  const chosen = select.value;
  select.replaceChildren(...options.map(([value, label]) => el('option', { value }, label)));
  if (options.some(([value]) => value === chosen)) select.value = chosen;
}

export function renderStats(content: HTMLElement): () => void {
  clear(content);
  let live = true;
  let loading = 0;
  const charts: Chart[] = [];
  const track = (c: Chart) => {
    charts.push(c);
    return c;
  };

  // ---- the query
  const today = chinaDate(Date.now());
  const from = el('input', {
    class: 'input',
    type: 'date',
    value: chinaDate(Date.now() - 29 * DAY_MS),
    testid: 'stats-from',
  });
  const to = el('input', { class: 'input', type: 'date', value: today, testid: 'stats-to' });
  const by = selectOf('stats-by', [
    ['day', t('stats_by_day')],
    ['week', t('stats_by_week')],
  ]);
  const vehicleClass = selectOf('stats-class', [['', t('all_classes')]]);
  const cargo = selectOf('stats-cargo', [['', t('stats_all_cargo')]]);
  const submit = el(
    'button',
    { class: 'btn btn-primary', type: 'submit', testid: 'stats-submit' },
    t('inv_query'),
  );
  const exportLink = el(
    'a',
    { class: 'btn btn-secondary', testid: 'stats-export', download: '' },
    t('export_excel'),
  );
  const error = errorBox('stats-error');
  const form = el(
    'form',
    { class: 'card stats-form', testid: 'stats-form', novalidate: true },
    el(
      'div',
      { class: 'toolbar' },
      el('label', { class: 'field' }, t('stats_from'), from),
      el('label', { class: 'field' }, t('stats_to'), to),
      el('label', { class: 'field' }, t('stats_by'), by),
      el('label', { class: 'field' }, t('inv_vehicle_class'), vehicleClass),
      el('label', { class: 'field' }, t('stats_cargo'), cargo),
      el('div', { class: 'toolbar-spacer' }),
      submit,
      exportLink,
    ),
  );

  // ---- the figures
  const totals = el('div', { class: 'stats-totals', testid: 'stats-totals' });
  const flows = chart('stats-chart-od');
  const odColumns = [t('stats_origin'), t('stats_destination'), t('stats_trips'), t('stats_tons')];
  const od = listTable('stats-od-table', odColumns);
  const dwellFigures = el('div', { class: 'stat-muted', testid: 'stats-dwell-figures' });
  const alarmColumns = [
    t('stats_alarm_kind'),
    t('stats_alarm_count'),
    t('stats_alarm_closed'),
    t('stats_close_median'),
    t('stats_close_p90'),
  ];
  const alarmTable = listTable('stats-alarm-table', alarmColumns);
  const entries = track(chart('stats-chart-entries'));
  const checkpoints = track(chart('stats-chart-checkpoints'));
  const inCity = track(chart('stats-chart-in-city'));
  const tonnage = track(chart('stats-chart-tonnage'));
  track(flows);
  const dwell = track(chart('stats-chart-dwell'));
  const alarms = track(chart('stats-chart-alarms'));
  const grid = el(
    'div',
    { class: 'stats-grid', testid: 'stats-charts' },
    panel(t('stats_entries_exits'), 'stats-panel-entries', entries.node),
    panel(t('stats_per_checkpoint'), 'stats-panel-checkpoints', checkpoints.node),
    panel(t('stats_in_city'), 'stats-panel-in-city', inCity.node),
    panel(t('stats_tonnage_by_cargo'), 'stats-panel-tonnage', tonnage.node),
    panel(
      t('stats_od_flows'),
      'stats-panel-od',
      flows.node,
      el('div', { class: 'table-wrap stats-table' }, od.table),
    ),
    panel(t('stats_dwell'), 'stats-panel-dwell', dwellFigures, dwell.node),
    panel(
      t('stats_alarms_by_kind'),
      'stats-panel-alarms',
      alarms.node,
      el('div', { class: 'table-wrap stats-table' }, alarmTable.table),
    ),
  );

  // ---- 经济指标
  const indicatorError = errorBox('indicator-error');
  const indicatorColumns = [
    t('indicator_name'),
    t('indicator_unit'),
    t('indicator_periods'),
    t('indicator_latest'),
  ];
  const indicatorTable = listTable('indicator-table', indicatorColumns);
  const indicatorSelect = selectOf('indicator-select', []);
  const seriesSelect = selectOf(
    'indicator-series',
    CORRELATION_SERIES.map((id) => [id, t(`stats_series_${id}`)]),
  );
  const analyse = button('indicator-analyse', t('indicator_analyse'), 'btn btn-primary');
  const reading = el('div', { class: 'indicator-reading', testid: 'indicator-reading' });
  const dual = track(chart('indicator-chart'));
  const lags = track(chart('indicator-lags'));
  const importPanel = canImportIndicators() ? indicatorImport() : null;
  const economy = el(
    'section',
    { class: 'card', testid: 'indicators' },
    el('h3', {}, t('indicators_title')),
    indicatorError,
    el('div', { class: 'table-wrap stats-table' }, indicatorTable.table),
    importPanel?.node ?? null,
    el(
      'div',
      { class: 'toolbar indicator-toolbar' },
      el('label', { class: 'field' }, t('indicator_name'), indicatorSelect),
      el('label', { class: 'field' }, t('indicator_series'), seriesSelect),
      analyse,
    ),
    reading,
    el('div', { class: 'stats-grid' }, dual.node, lags.node),
  );

  content.append(
    el('h2', { class: 'page-title' }, t('nav_stats')),
    form,
    error,
    totals,
    grid,
    economy,
  );

  const params = (): FreightParams => ({
    from: from.value,
    to: to.value,
    by: by.value === 'week' ? 'week' : 'day',
    class: vehicleClass.value || undefined,
    cargo: cargo.value || undefined,
  });

  const showTotals = (stats: FreightStats) => {
    const fact = (label: string, value: string, unit: string, testid: string) =>
      el(
        'div',
        { class: 'stats-total', testid },
        el('div', { class: 'stats-total-value' }, value, el('small', {}, ` ${unit}`)),
        el('div', { class: 'stat-muted' }, label),
      );
    const entriesSeries = seriesValues(stats, 'entries');
    const exitsSeries = seriesValues(stats, 'exits');
    const tonnageSeries = seriesValues(stats, 'tonnage');
    const alarmSeries = seriesValues(stats, 'alarms');
    const total = (s: StatsSeries | undefined, id: string) =>
      fact(
        s?.name || t(`stats_series_${id}`),
        figure(sum(s?.values)),
        s?.unit ?? '',
        `stats-total-${id}`,
      );
    totals.replaceChildren(
      total(entriesSeries, 'entries'),
      total(exitsSeries, 'exits'),
      total(tonnageSeries, 'tonnage'),
      fact(
        t('stats_dwell_median'),
        figure(stats.dwell?.median_h),
        t('stats_hours'),
        'stats-total-dwell',
      ),
      total(alarmSeries, 'alarms'),
    );
  };

  const showCharts = (stats: FreightStats) => {
    const periods = stats.periods ?? [];
    const unitOf = (id: string) => seriesValues(stats, id)?.unit ?? '';
    const line = (s: StatsSeries | undefined, area = false) =>
      s
        ? {
            type: 'line' as const,
            name: s.name,
            data: s.values,
            smooth: true,
            ...(area ? { areaStyle: { opacity: 0.15 } } : {}),
          }
        : null;
    const present = <T>(items: Array<T | null>) => items.filter((x): x is T => x !== null);
    entries.set(
      periodChart(
        periods,
        present([line(seriesValues(stats, 'entries')), line(seriesValues(stats, 'exits'))]),
        unitOf('entries'),
      ),
    );
    checkpoints.set(
      periodChart(
        periods,
        (stats.by_checkpoint ?? []).flatMap((c) => [
          {
            type: 'bar' as const,
            stack: 'entries',
            name: `${c.name}·${t('direction_in')}`,
            data: c.entries,
          },
          {
            type: 'bar' as const,
            stack: 'exits',
            name: `${c.name}·${t('direction_out')}`,
            data: c.exits,
          },
        ]),
        unitOf('entries'),
      ),
    );
    inCity.set(
      periodChart(
        periods,
        present([line(seriesValues(stats, 'in_city'), true)]),
        unitOf('in_city'),
      ),
    );
    tonnage.set(
      periodChart(
        periods,
        (stats.tonnage_by_cargo ?? []).map((c) => ({
          type: 'line' as const,
          name: c.category,
          stack: 'tonnage',
          areaStyle: {},
          data: c.values,
        })),
        unitOf('tonnage'),
      ),
    );

    const flowsTop = (stats.od_flows ?? []).slice(0, 10);
    const flowName = (f: FreightStats['od_flows'][number]) =>
      `${f.origin} → ${f.destination_name || f.destination}`;
    flows.set({
      tooltip: { trigger: 'axis' },
      grid: { left: 160, right: 24, top: 10, bottom: 24 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: flowsTop.map(flowName).reverse() },
      series: [
        { type: 'bar', name: t('stats_trips'), data: flowsTop.map((f) => f.trips).reverse() },
      ],
    });
    clear(od.tbody);
    if ((stats.od_flows ?? []).length === 0)
      od.tbody.append(emptyRow(odColumns.length, t('no_records')));
    for (const f of stats.od_flows ?? []) {
      od.tbody.append(
        el(
          'tr',
          { testid: 'stats-od-row' },
          el('td', {}, f.origin || '—'),
          el('td', {}, f.destination_name || f.destination || '—'),
          el('td', {}, String(f.trips)),
          el('td', {}, figure(f.tonnage_t)),
        ),
      );
    }
    od.table.dataset.state = 'ready';

    const histogram = stats.dwell?.histogram ?? [];
    dwell.set({
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 20, top: 20, bottom: 28 },
      xAxis: { type: 'category', data: histogram.map((b) => b.label) },
      yAxis: { type: 'value', minInterval: 1, name: unitOf('exits') },
      series: [{ type: 'bar', name: t('stats_dwell'), data: histogram.map((b) => b.count) }],
    });
    dwellFigures.textContent = t('stats_dwell_figures', {
      n: stats.dwell?.count ?? 0,
      median: figure(stats.dwell?.median_h),
      p90: figure(stats.dwell?.p90_h),
    });

    const kinds = stats.alarms_by_kind ?? [];
    alarms.set({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: kinds.map((k) => k.name || k.kind) },
      yAxis: [
        { type: 'value', name: unitOf('alarms'), minInterval: 1 },
        { type: 'value', name: t('stats_minutes'), splitLine: { show: false } },
      ],
      series: [
        { type: 'bar', name: t('stats_alarm_count'), data: kinds.map((k) => k.count) },
        { type: 'bar', name: t('stats_alarm_closed'), data: kinds.map((k) => k.closed) },
        {
          type: 'line',
          name: t('stats_close_median'),
          yAxisIndex: 1,
          data: kinds.map((k) => k.median_close_min),
        },
      ],
    });
    clear(alarmTable.tbody);
    if (kinds.length === 0) alarmTable.tbody.append(emptyRow(alarmColumns.length, t('no_records')));
    for (const k of kinds) {
      alarmTable.tbody.append(
        el(
          'tr',
          { 'data-kind': k.kind },
          el('td', {}, k.name || k.kind),
          el('td', {}, String(k.count)),
          el('td', {}, String(k.closed)),
          el('td', {}, figure(k.median_close_min)),
          el('td', {}, figure(k.p90_close_min)),
        ),
      );
    }
    alarmTable.table.dataset.state = 'ready';
  };

  const load = async () => {
    const mine = ++loading;
    const query = params();
    error.hidden = true;
    submit.disabled = true;
    grid.dataset.state = 'loading';
    exportLink.href = analysisApi.freightXlsxUrl(query);
    try {
      const stats = await analysisApi.freight(query);
      if (!live || mine !== loading) return;
      setOptions(vehicleClass, [
        ['', t('all_classes')],
        ...(stats.filters?.classes ?? []).map((c) => [c.id, c.name] as [string, string]),
      ]);
      setOptions(cargo, [
        ['', t('stats_all_cargo')],
        ...(stats.filters?.cargo_categories ?? []).map((c) => [c, c] as [string, string]),
      ]);
      showTotals(stats);
      showCharts(stats);
      grid.dataset.state = 'ready';
    } catch (e) {
      if (!live || mine !== loading) return;
      grid.dataset.state = 'error';
      error.textContent = errorText(e);
      error.hidden = false;
    } finally {
      if (mine === loading) submit.disabled = false;
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  for (const input of [by, vehicleClass, cargo])
    input.addEventListener('change', () => void load());

  // ---- 经济指标
  let indicators: Indicator[] = [];
  const showIndicators = () => {
    clear(indicatorTable.tbody);
    if (indicators.length === 0) {
      indicatorTable.tbody.append(emptyRow(indicatorColumns.length, t('indicator_none')));
    }
    for (const i of indicators) {
      const n = i.periods?.length ?? 0;
      indicatorTable.tbody.append(
        el(
          'tr',
          { testid: 'indicator-row', 'data-name': i.name },
          el('td', {}, i.name),
          el('td', {}, i.unit || '—'),
          el('td', {}, n ? `${i.periods[0]} – ${i.periods[n - 1]}（${n}）` : '—'),
          el('td', {}, n ? figure(i.values[n - 1], 2) : '—'),
        ),
      );
    }
    indicatorTable.table.dataset.state = 'ready';
    setOptions(
      indicatorSelect,
      indicators.map((i) => [i.name, i.name]),
    );
    analyse.disabled = indicators.length === 0;
  };
  const loadIndicators = async () => {
    try {
      const result = await analysisApi.indicators();
      if (!live) return;
      indicators = result.indicators ?? [];
      showIndicators();
    } catch (e) {
      if (!live) return;
      indicatorTable.table.dataset.state = 'error';
      indicatorError.textContent = errorText(e);
      indicatorError.hidden = false;
    }
  };

  const showCorrelation = (c: Correlation) => {
    const indicator = indicators.find((i) => i.name === c.indicator);
    const option: ChartOption = {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 56, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: c.periods },
      yAxis: [
        { type: 'value', name: indicator?.unit || c.indicator },
        { type: 'value', name: t(`stats_series_${c.series}`), splitLine: { show: false } },
      ],
      series: [
        { type: 'line', name: c.indicator, data: c.indicator_values, smooth: true },
        {
          type: 'bar',
          name: t(`stats_series_${c.series}`),
          yAxisIndex: 1,
          data: c.freight_values,
          itemStyle: { opacity: 0.6 },
        },
      ],
    };
    dual.set(option);
    const best = c.best?.lag;
    lags.set({
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 20, top: 20, bottom: 40 },
      xAxis: {
        type: 'category',
        name: t('indicator_lag_axis'),
        nameLocation: 'middle',
        nameGap: 26,
        data: (c.lags ?? []).map((l) => String(l.lag)),
      },
      yAxis: { type: 'value', min: -1, max: 1, name: 'r' },
      series: [
        {
          type: 'bar',
          name: 'r',
          data: (c.lags ?? []).map((l) => ({
            value: l.r,
            itemStyle: { color: l.lag === best ? '#c62828' : '#1d5a9e' },
          })),
        },
      ],
    });
    reading.textContent = c.reading;
    reading.dataset.state = 'ready';
  };

  analyse.addEventListener('click', async () => {
    if (!indicatorSelect.value) return;
    indicatorError.hidden = true;
    analyse.disabled = true;
    reading.dataset.state = 'loading';
    try {
      const result = await analysisApi.correlation(indicatorSelect.value, seriesSelect.value);
      if (live) showCorrelation(result);
    } catch (e) {
      if (!live) return;
      reading.dataset.state = 'error';
      indicatorError.textContent = errorText(e);
      indicatorError.hidden = false;
    } finally {
      analyse.disabled = false;
    }
  });

  // The import form: the file's bytes as they are (UTF-8 or GBK: the server tells them apart).
  function indicatorImport() {
    const file = el('input', {
      class: 'input',
      type: 'file',
      accept: '.csv,text/csv',
      testid: 'indicator-file',
    });
    const upload = button('indicator-import', t('indicator_import'), 'btn btn-primary');
    const result = el('div', {
      class: 'indicator-import-result',
      testid: 'indicator-import-result',
    });
    upload.addEventListener('click', async () => {
      const chosen = file.files?.[0];
      indicatorError.hidden = true;
      if (!chosen) {
        indicatorError.textContent = t('indicator_file_required');
        indicatorError.hidden = false;
        return;
      }
      upload.disabled = true;
      try {
        const answer = await analysisApi.importIndicators(chosen);
        if (!live) return;
        const rejected = answer.rejected ?? [];
        result.replaceChildren(
          el(
            'div',
            { testid: 'indicator-import-summary', 'data-imported': answer.imported },
            t('indicator_import_done', {
              imported: answer.imported,
              replaced: answer.replaced,
              rejected: rejected.length,
            }),
          ),
        );
        if (rejected.length > 0) {
          const { table, tbody } = listTable('indicator-rejections', [
            t('indicator_row'),
            t('reasons'),
          ]);
          table.dataset.state = 'ready';
          for (const r of rejected) {
            tbody.append(el('tr', {}, el('td', {}, String(r.row)), el('td', {}, r.reason)));
          }
          result.append(el('div', { class: 'table-wrap stats-table' }, table));
        }
        file.value = '';
        await loadIndicators();
      } catch (e) {
        if (!live) return;
        indicatorError.textContent = errorText(e);
        indicatorError.hidden = false;
      } finally {
        upload.disabled = false;
      }
    });
    return {
      node: el(
        'div',
        { class: 'indicator-import', testid: 'indicator-import-form' },
        el('h4', {}, t('indicator_import_title')),
        el(
          'div',
          { class: 'toolbar' },
          file,
          upload,
          el('span', { class: 'field-hint' }, t('indicator_import_hint')),
        ),
        result,
      ),
    };
  }

  void load();
  void loadIndicators();

  return () => {
    live = false;
    for (const c of charts) c.dispose();
  };
}
