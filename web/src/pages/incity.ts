// 在城车辆: the vehicles in the city now, since when and for how long, at which checkpoint they
// entered and on which pass; those past their pass (overdue) first and highlighted. Refreshed
// every 30 s; the durations tick every minute between refreshes.
import { api, type InCityVehicle } from '../api';
import { clear, el } from '../dom';
import { formatTime } from '../fields';
import { t } from '../i18n';
import { errorText, formatDuration, plateColorName } from '../pass-ui';
import { emptyRow, errorBox, listTable } from '../widgets';

const REFRESH_MS = 30_000;
const LIMIT = 1000;

export function renderInCity(content: HTMLElement): () => void {
  clear(content);
  let live = true;
  let timer: number | undefined;
  let tick: number | undefined;

  const total = el('span', { class: 'stat-value', testid: 'incity-total' }, '—');
  const overdueCount = el('span', {
    class: 'badge badge-overdue',
    testid: 'incity-overdue-count',
    hidden: true,
  });
  const updated = el('span', { class: 'stat-muted', testid: 'incity-updated' });
  const error = errorBox('incity-error');
  const columns = [
    t('plate'),
    t('entered_at'),
    t('duration'),
    t('checkpoint'),
    t('pass_id'),
    t('valid_until'),
    t('planned_exit'),
    t('status'),
  ];
  const { table, tbody } = listTable('incity-table', columns);
  content.append(
    el(
      'div',
      { class: 'map-bar' },
      el('h2', { class: 'page-title' }, t('incity_title')),
      el('span', { class: 'stat' }, t('vehicle'), ': ', total),
      overdueCount,
      updated,
    ),
    error,
    el('div', { class: 'table-wrap' }, table),
  );

  const durations: Array<[HTMLElement, number]> = [];
  const isOverdue = (v: InCityVehicle, now: number) =>
    Boolean(v.overdue) || (v.valid_until_ms ? now > v.valid_until_ms : false);

  const render = (items: InCityVehicle[]) => {
    const now = Date.now();
    // Overdue first, then the longest in the city.
    const sorted = [...items].sort(
      (a, b) =>
        Number(isOverdue(b, now)) - Number(isOverdue(a, now)) || a.entered_at_ms - b.entered_at_ms,
    );
    clear(tbody);
    durations.length = 0;
    if (sorted.length === 0) tbody.append(emptyRow(columns.length, t('no_records')));
    let overdue = 0;
    for (const v of sorted) {
      const late = isOverdue(v, now);
      if (late) overdue++;
      const duration = el(
        'td',
        { 'data-field': 'duration' },
        formatDuration(now - v.entered_at_ms),
      );
      durations.push([duration, v.entered_at_ms]);
      tbody.append(
        el(
          'tr',
          {
            testid: 'incity-row',
            class: late ? 'overdue' : '',
            'data-plate': v.plate,
            'data-overdue': String(late),
          },
          el(
            'td',
            { 'data-field': 'plate' },
            v.plate,
            v.plate_color !== undefined && v.plate_color !== null
              ? el('span', { class: 'stat-muted' }, ` ${plateColorName(v.plate_color)}`)
              : null,
          ),
          el('td', { 'data-field': 'entered_at' }, formatTime(v.entered_at_ms)),
          duration,
          el('td', { 'data-field': 'checkpoint' }, v.checkpoint_id ?? '—'),
          el(
            'td',
            { 'data-field': 'pass' },
            v.pass_id ? el('a', { href: `#/passes/${v.pass_id}` }, String(v.pass_id)) : '—',
          ),
          el('td', { 'data-field': 'valid_until' }, formatTime(v.valid_until_ms)),
          el('td', { 'data-field': 'planned_exit' }, formatTime(v.planned_exit_ms)),
          el(
            'td',
            { 'data-field': 'status' },
            el(
              'span',
              { class: `badge ${late ? 'badge-overdue' : 'badge-valid'}`, testid: 'incity-status' },
              late ? t('overdue') : t('on_time'),
            ),
          ),
        ),
      );
    }
    overdueCount.hidden = overdue === 0;
    overdueCount.textContent = t('overdue_n', { n: overdue });
    overdueCount.dataset.value = String(overdue);
  };

  const refresh = async () => {
    try {
      const page = await api.inCity(0, LIMIT);
      if (!live) return;
      render(page.items ?? []);
      total.textContent = String(page.total ?? page.items.length);
      total.dataset.total = String(page.total ?? page.items.length);
      updated.textContent = `${t('map_updated')} ${formatTime(Date.now())}`;
      table.dataset.state = 'ready';
      error.hidden = true;
    } catch (e) {
      if (!live) return;
      table.dataset.state = 'error';
      error.textContent = errorText(e);
      error.hidden = false;
    } finally {
      if (live) timer = window.setTimeout(refresh, REFRESH_MS);
    }
  };
  void refresh();
  tick = window.setInterval(() => {
    const now = Date.now();
    for (const [cell, since] of durations) cell.textContent = formatDuration(now - since);
  }, 60_000);

  return () => {
    live = false;
    window.clearTimeout(timer);
    window.clearInterval(tick);
  };
}
