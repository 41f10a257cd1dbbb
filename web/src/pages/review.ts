// 审核队列: applications waiting for a reviewer in a dense table, each with the checks that sent it
// to review; a filter by check, batch approval of the ticked rows with one comment, and links to
// the vehicle's and drivers' records. A second tab lists approved passes to revoke with a reason.
import { api, type PassApplication, type PassCheck } from '../api';
import { clear, el } from '../dom';
import { formatTime } from '../fields';
import { localText, t } from '../i18n';
import { errorText, passStatusBadge, siteNamesNode } from '../pass-ui';
import { button } from '../widgets';
import { reviewActions, windowText } from './passes';

const PAGE_SIZE = 200;

// The findings that are not "ok": what the reviewer has to look at.
function concerns(pass: PassApplication): PassCheck[] {
  return (pass.checks ?? []).filter((c) => c.outcome !== 'ok');
}

function registryLink(kind: 'vehicles' | 'drivers', key: string, text: string, testid: string) {
  return el(
    'a',
    { href: `#/registry/${kind}/${encodeURIComponent(key)}`, testid, class: 'record-link' },
    text,
  );
}

export function renderReview(content: HTMLElement, initial: URLSearchParams): () => void {
  clear(content);
  let generation = 0;
  let tab: 'pending' | 'approved' = initial.get('tab') === 'approved' ? 'approved' : 'pending';
  let checkFilter = initial.get('check') ?? '';
  let items: PassApplication[] = [];
  const selected = new Set<number>();

  const tabButton = (id: typeof tab, label: string) => {
    const tabNode = el(
      'button',
      { class: 'tab', type: 'button', testid: `review-tab-${id}` },
      label,
    );
    tabNode.addEventListener('click', () => {
      tab = id;
      selected.clear();
      history.replaceState(null, '', `#/review${id === 'approved' ? '?tab=approved' : ''}`);
      void load();
    });
    return tabNode;
  };
  const tabs = [
    tabButton('pending', t('review_pending')),
    tabButton('approved', t('review_approved')),
  ];
  const total = el('span', { class: 'total', testid: 'review-total' });
  const error = el('div', {
    class: 'form-error',
    testid: 'review-error',
    role: 'alert',
    hidden: true,
  });

  // ---- filter by check and batch approval
  const checkSelect = el('select', {
    class: 'input',
    testid: 'review-check-filter',
    'aria-label': t('review_filter_check'),
  });
  checkSelect.addEventListener('change', () => {
    checkFilter = checkSelect.value;
    render();
  });
  const selectAll = el('input', {
    type: 'checkbox',
    testid: 'review-select-all',
    title: t('alarm_select_all'),
    'aria-label': t('alarm_select_all'),
  });
  const count = el(
    'span',
    { class: 'stat-muted', testid: 'review-selected', 'data-count': 0 },
    t('alarm_selected_n', { n: 0 }),
  );
  const note = el('input', {
    class: 'input wide',
    testid: 'review-bulk-note',
    placeholder: t('review_bulk_note'),
  });
  const approveSelected = button(
    'review-bulk-approve',
    t('review_bulk_approve'),
    'btn btn-primary',
  );
  const result = el('div', { class: 'bulk-result', testid: 'review-bulk-result', hidden: true });
  const bulkBar = el(
    'div',
    { class: 'toolbar bulk-bar', testid: 'review-bulk' },
    el('label', { class: 'inline-label' }, t('review_filter_check'), ' ', checkSelect),
    el('div', { class: 'toolbar-spacer' }),
    count,
    note,
    approveSelected,
  );

  const tbody = el('tbody', {});
  const headRow = el('tr', {});
  const table = el(
    'table',
    { class: 'table dense review-table', testid: 'review-list', 'data-state': 'loading' },
    el('thead', {}, headRow),
    tbody,
  );
  content.append(
    el('h2', { class: 'page-title' }, t('nav_review')),
    el('div', { class: 'tabs' }, ...tabs, el('div', { class: 'toolbar-spacer' }), total),
    bulkBar,
    result,
    error,
    el('div', { class: 'table-wrap' }, table),
  );

  const shownItems = () =>
    tab === 'pending' && checkFilter
      ? items.filter((p) => concerns(p).some((c) => c.code === checkFilter))
      : items;

  const showSelection = () => {
    const visible = shownItems();
    count.textContent = t('alarm_selected_n', { n: selected.size });
    count.dataset.count = String(selected.size);
    selectAll.checked = visible.length > 0 && visible.every((p) => selected.has(p.id));
  };
  selectAll.addEventListener('change', () => {
    for (const pass of shownItems()) {
      if (selectAll.checked) selected.add(pass.id);
      else selected.delete(pass.id);
    }
    for (const box of tbody.querySelectorAll<HTMLInputElement>('input[data-select]'))
      box.checked = selectAll.checked;
    showSelection();
  });

  const selectBox = (pass: PassApplication) => {
    const box = el('input', {
      type: 'checkbox',
      'data-select': pass.id,
      testid: 'review-select',
      'aria-label': pass.plate,
    });
    box.checked = selected.has(pass.id);
    box.addEventListener('change', () => {
      if (box.checked) selected.add(pass.id);
      else selected.delete(pass.id);
      showSelection();
    });
    return box;
  };

  const driversCell = (pass: PassApplication) => {
    const names = pass.driver_names ?? [];
    const keys = pass.driver_keys ?? [];
    const shown = Math.max(names.length, keys.length, pass.driver_id_numbers?.length ?? 0);
    const links: Array<HTMLElement | string> = [];
    for (let i = 0; i < shown; i++) {
      const text = names[i] || pass.driver_id_numbers?.[i] || '—';
      if (i > 0) links.push('，');
      links.push(keys[i] ? registryLink('drivers', keys[i], text, 'review-driver-link') : text);
    }
    return links.length > 0 ? links : ['—'];
  };

  const row = (pass: PassApplication): HTMLTableRowElement => {
    const cargo = pass.cargo
      ? `${pass.cargo.category} · ${pass.cargo.name} · ${pass.cargo.weight_kg} kg${pass.cargo.dangerous ? ` · ${t('cargo_dangerous')} ${pass.cargo.un_number ?? ''}` : ''}`
      : t('pass_kind_standing');
    const findings = concerns(pass);
    return el(
      'tr',
      {
        class: 'review-item',
        testid: 'review-item',
        'data-id': pass.id,
        'data-status': pass.status,
        'data-plate': pass.plate,
        'data-checks': findings.map((c) => c.code).join(' '),
      },
      tab === 'pending' ? el('td', { class: 'select-cell' }, selectBox(pass)) : null,
      el(
        'td',
        { 'data-field': 'plate' },
        registryLink(
          'vehicles',
          `${pass.plate}-${pass.plate_color ?? ''}`,
          pass.plate,
          'review-vehicle-link',
        ),
        el('div', {}, passStatusBadge(pass.status, 'review-status')),
      ),
      el(
        'td',
        { 'data-field': 'id' },
        el('a', { href: `#/passes/${pass.id}`, testid: 'review-open' }, `#${pass.id}`),
      ),
      el('td', { 'data-field': 'drivers' }, ...driversCell(pass)),
      el(
        'td',
        { 'data-field': 'applicant', class: 'stat-muted' },
        pass.applicant ?? '—',
        el('div', {}, formatTime(pass.created_at_ms)),
      ),
      el('td', { 'data-field': 'window' }, windowText(pass)),
      el('td', { 'data-field': 'cargo' }, cargo),
      el(
        'td',
        { 'data-field': 'sites' },
        siteNamesNode(pass.destination_site_codes, 'review-sites'),
      ),
      tab === 'pending'
        ? el(
            'td',
            { 'data-field': 'checks' },
            findings.length === 0
              ? '—'
              : el(
                  'ul',
                  { class: 'check-list' },
                  ...findings.map((c) =>
                    el(
                      'li',
                      {
                        testid: 'check-row',
                        'data-code': c.code,
                        'data-outcome': c.outcome,
                        title: localText(c.message),
                        class: `check-${c.outcome}`,
                      },
                      c.name || c.code,
                    ),
                  ),
                ),
          )
        : null,
      el(
        'td',
        { 'data-field': 'actions', class: 'row-actions' },
        reviewActions(pass, () => void load()),
      ),
    );
  };

  const render = () => {
    clear(headRow);
    const columns = [
      tab === 'pending' ? selectAll : null,
      t('plate'),
      t('pass_id'),
      t('drivers'),
      t('applicant'),
      t('window'),
      t('cargo'),
      t('sites'),
      tab === 'pending' ? t('review_reasons') : null,
      '',
    ].filter((c) => c !== null);
    headRow.append(...columns.map((c) => el('th', {}, c)));
    bulkBar.hidden = tab !== 'pending';
    // The check filter: every check among the waiting applications, with how many have it.
    const counts = new Map<string, { name: string; n: number }>();
    for (const pass of items)
      for (const c of concerns(pass)) {
        const entry = counts.get(c.code) ?? { name: c.name || c.code, n: 0 };
        entry.n++;
        counts.set(c.code, entry);
      }
    clear(checkSelect);
    checkSelect.append(el('option', { value: '' }, t('review_filter_all')));
    for (const [code, { name, n }] of [...counts].sort((a, b) => b[1].n - a[1].n))
      checkSelect.append(el('option', { value: code }, `${name}（${n}）`));
    if (checkFilter && !counts.has(checkFilter)) checkFilter = '';
    checkSelect.value = checkFilter;
    const visible = shownItems();
    for (const id of [...selected]) if (!visible.some((p) => p.id === id)) selected.delete(id);
    clear(tbody);
    if (visible.length === 0)
      tbody.append(
        el(
          'tr',
          { class: 'empty', testid: 'review-empty' },
          el(
            'td',
            { colspan: columns.length },
            tab === 'pending' && items.length === 0 ? t('review_empty') : t('no_records'),
          ),
        ),
      );
    for (const pass of visible) tbody.append(row(pass));
    showSelection();
  };

  approveSelected.addEventListener('click', async () => {
    result.hidden = true;
    const ids = [...selected];
    if (ids.length === 0) {
      result.textContent = t('review_bulk_none');
      result.hidden = false;
      return;
    }
    approveSelected.disabled = true;
    try {
      const answer = await api.bulkApprovePasses(ids, note.value.trim());
      clear(result);
      result.dataset.succeeded = String(answer.succeeded);
      result.dataset.failed = String(answer.failed);
      const plates = new Map(items.map((p) => [p.id, p.plate]));
      result.append(
        el('strong', {}, t('alarm_bulk_done', { ok: answer.succeeded, failed: answer.failed })),
        ...answer.results
          .filter((r) => !r.ok)
          .map((r) =>
            el(
              'div',
              { class: 'form-error', testid: 'review-bulk-failure', 'data-id': r.id },
              `${plates.get(r.id) ?? `#${r.id}`}: ${localText(r.error?.message) || t('error_generic')}`,
            ),
          ),
      );
      result.hidden = false;
      for (const r of answer.results) if (r.ok) selected.delete(r.id);
      note.value = '';
      void load();
    } catch (e) {
      result.textContent = errorText(e);
      result.hidden = false;
    } finally {
      approveSelected.disabled = false;
    }
  });

  const load = async () => {
    const mine = ++generation;
    for (const tabNode of tabs)
      tabNode.classList.toggle('active', tabNode.dataset.testid === `review-tab-${tab}`);
    table.dataset.state = 'loading';
    table.dataset.tab = tab;
    error.hidden = true;
    try {
      const page = await api.passes({
        status: tab === 'pending' ? 'pending_review' : 'approved',
        offset: 0,
        limit: PAGE_SIZE,
      });
      if (mine !== generation) return;
      // Oldest first: the queue is worked in order of arrival.
      items = [...page.items].sort((a, b) => (a.created_at_ms ?? a.id) - (b.created_at_ms ?? b.id));
      render();
      total.textContent = t('total_n', { n: page.total });
      total.dataset.total = String(page.total);
      table.dataset.state = 'ready';
    } catch (e) {
      if (mine !== generation) return;
      table.dataset.state = 'error';
      error.textContent = errorText(e);
      error.hidden = false;
    }
  };
  void load();
  return () => {
    generation++;
  };
}
