// 登记信息: the list of one kind (search, filters, paging, masked markers, Excel export) and the
// detail of one record (all fields labelled, and for vehicles and drivers the credential block).
import { ApiError, api, type RegistryRecord } from '../api';
import { clear, el } from '../dom';
import {
  FALLBACK_DISTRICTS,
  HAS_DISTRICT,
  HAS_STATUS,
  LIST_COLUMNS,
  STATUSES,
  VEHICLE_CLASSES,
  detailFields,
  fieldLabel,
  keyTitle,
  recordKey,
  statusBadge,
  valueNode,
} from '../fields';
import { pick, t } from '../i18n';
import { type Kind, canExportKind } from '../state';
import { emptyRow, errorBox, listTable, openOnActivate, pager } from '../widgets';

const PAGE_SIZE = 50;

let districtNames: Promise<string[]> | null = null;
const lastListHash = new Map<Kind, string>();

// District names for the filter, from the map's district layer; Anshan's list if that fails.
function districts(): Promise<string[]> {
  districtNames ??= api
    .mapLayers()
    .then((layers) => {
      const names = layers.features
        .filter((f) => f.properties?.layer === 'district' && f.properties?.name)
        .map((f) => String(f.properties!.name));
      return names.length > 0 ? names : FALLBACK_DISTRICTS;
    })
    .catch(() => FALLBACK_DISTRICTS);
  return districtNames;
}

export function renderRegistryList(
  content: HTMLElement,
  kind: Kind,
  initial: URLSearchParams,
): () => void {
  clear(content);
  const filters = {
    q: initial.get('q') ?? '',
    status: initial.get('status') ?? '',
    vehicle_class: initial.get('vehicle_class') ?? '',
    district: initial.get('district') ?? '',
    offset: Math.max(0, Number(initial.get('offset') ?? 0) || 0),
  };
  let generation = 0;

  const search = el('input', {
    type: 'search',
    class: 'input',
    testid: 'registry-search',
    placeholder: t('search_placeholder'),
    value: filters.q,
  });
  const searchButton = el(
    'button',
    { class: 'btn btn-primary', type: 'submit', testid: 'registry-search-submit' },
    t('search'),
  );
  const toolbar = el('form', { class: 'toolbar', testid: 'registry-toolbar' }, search);

  const select = (
    testid: string,
    allLabel: string,
    options: Array<[string, string]>,
    value: string,
  ) => {
    const node = el('select', { class: 'input', testid }, el('option', { value: '' }, allLabel));
    for (const [id, label] of options) node.append(el('option', { value: id }, label));
    node.value = value;
    return node;
  };
  let statusSelect: HTMLSelectElement | null = null;
  let classSelect: HTMLSelectElement | null = null;
  let districtSelect: HTMLSelectElement | null = null;
  if (HAS_STATUS.has(kind)) {
    statusSelect = select(
      'registry-filter-status',
      t('all_statuses'),
      STATUSES.map((s) => [s, t(`status_${s}`)]),
      filters.status,
    );
    toolbar.append(statusSelect);
  }
  if (kind === 'vehicles') {
    classSelect = select(
      'registry-filter-class',
      t('all_classes'),
      VEHICLE_CLASSES.map(([id, label]) => [id, pick(label)]),
      filters.vehicle_class,
    );
    toolbar.append(classSelect);
  }
  if (HAS_DISTRICT.has(kind)) {
    districtSelect = select('registry-filter-district', t('all_districts'), [], filters.district);
    toolbar.append(districtSelect);
    void districts().then((names) => {
      for (const name of names) districtSelect!.append(el('option', { value: name }, name));
      districtSelect!.value = filters.district;
    });
  }
  toolbar.append(searchButton);
  const exportLink = canExportKind(kind)
    ? el(
        'a',
        { class: 'btn btn-secondary', testid: 'registry-export', download: '' },
        t('export_excel'),
      )
    : null;
  if (exportLink) toolbar.append(el('div', { class: 'toolbar-spacer' }), exportLink);

  const range = el('span', { class: 'range' });
  const paging = pager('registry', PAGE_SIZE, filters, () => load(), range);
  const error = errorBox('registry-error');
  const { table, tbody } = listTable(
    'registry-table',
    LIST_COLUMNS[kind].map((f) => fieldLabel(kind, f)),
    { 'data-kind': kind },
  );

  content.append(
    el('h2', { class: 'page-title' }, t('nav_registry'), ' · ', t(`kind_${kind}`)),
    toolbar,
    error,
    el('div', { class: 'table-wrap' }, table),
    paging.node,
  );

  const params = (): Record<string, string | number> => {
    const p: Record<string, string | number> = {};
    if (filters.q) p.q = filters.q;
    if (filters.status) p.status = filters.status;
    if (filters.vehicle_class) p.vehicle_class = filters.vehicle_class;
    if (filters.district) p.district = filters.district;
    return p;
  };

  const load = async () => {
    const mine = ++generation;
    const listParams = { ...params(), offset: filters.offset, limit: PAGE_SIZE };
    // Keep the filters in the address so that 返回 from a record lands on the same page.
    const hashQuery = new URLSearchParams(
      Object.entries({ ...params(), ...(filters.offset ? { offset: filters.offset } : {}) }).map(
        ([k, v]) => [k, String(v)],
      ),
    ).toString();
    const listHash = `#/registry/${kind}${hashQuery ? `?${hashQuery}` : ''}`;
    history.replaceState(null, '', listHash);
    lastListHash.set(kind, listHash);
    if (exportLink) exportLink.href = api.exportUrl(kind, params());
    table.dataset.state = 'loading';
    error.hidden = true;
    try {
      const page = await api.list(kind, listParams);
      if (mine !== generation) return;
      renderRows(page.items);
      paging.show(page.total, page.offset, page.items.length);
      range.textContent = page.items.length
        ? ` · ${t('page_n', { from: page.offset + 1, to: page.offset + page.items.length })}`
        : '';
      table.dataset.state = 'ready';
    } catch (e) {
      if (mine !== generation) return;
      table.dataset.state = 'error';
      error.textContent = e instanceof ApiError ? e.message : t('error_generic');
      error.hidden = false;
    }
  };

  const renderRows = (items: RegistryRecord[]) => {
    clear(tbody);
    if (items.length === 0) {
      tbody.append(emptyRow(LIST_COLUMNS[kind].length, t('no_records')));
      return;
    }
    for (const record of items) {
      const key = recordKey(kind, record);
      const row = el('tr', {
        class: 'clickable',
        testid: 'registry-row',
        'data-key': key,
        tabindex: 0,
      });
      for (const field of LIST_COLUMNS[kind]) {
        row.append(el('td', { 'data-field': field }, valueNode(field, record)));
      }
      openOnActivate(row, () => {
        location.hash = `#/registry/${kind}/${encodeURIComponent(key)}`;
      });
      tbody.append(row);
    }
  };

  toolbar.addEventListener('submit', (event) => {
    event.preventDefault();
    filters.q = search.value.trim();
    filters.offset = 0;
    void load();
  });
  for (const [node, name] of [
    [statusSelect, 'status'],
    [classSelect, 'vehicle_class'],
    [districtSelect, 'district'],
  ] as const) {
    node?.addEventListener('change', () => {
      filters[name] = node.value;
      filters.q = search.value.trim();
      filters.offset = 0;
      void load();
    });
  }
  void load();
  return () => {
    generation++;
  };
}

export function renderRegistryDetail(content: HTMLElement, kind: Kind, key: string): () => void {
  clear(content);
  let live = true;
  // Back to the list as it was left (filters, page).
  const back = el(
    'a',
    {
      href: lastListHash.get(kind) ?? `#/registry/${kind}`,
      class: 'btn btn-link',
      testid: 'detail-back',
    },
    `← ${t('back_to_list')}`,
  );
  const body = el(
    'div',
    { testid: 'record-detail', 'data-state': 'loading', 'data-kind': kind },
    t('loading'),
  );
  content.append(
    el('div', { class: 'page-head' }, back),
    el(
      'h2',
      { class: 'page-title' },
      t(`kind_${kind}`),
      ' · ',
      t('record_detail'),
      ' · ',
      keyTitle(kind, key),
    ),
    body,
  );

  api.record(kind, key).then(
    (record) => {
      if (!live) return;
      clear(body);
      body.dataset.state = 'ready';
      const rows = detailFields(kind, record).map((field) =>
        el(
          'tr',
          { testid: `field-${field}`, 'data-field': field },
          el('th', {}, fieldLabel(kind, field)),
          el('td', {}, valueNode(field, record)),
        ),
      );
      body.append(el('table', { class: 'table detail-table' }, el('tbody', {}, ...rows)));
      if ((kind === 'vehicles' || kind === 'drivers') && record.credential) {
        body.append(credentialBlock(record.credential as Credential));
      }
    },
    (e) => {
      if (!live) return;
      body.dataset.state = 'error';
      clear(body);
      body.append(
        el(
          'div',
          { class: 'form-error', role: 'alert', testid: 'detail-error' },
          e instanceof ApiError ? e.message : t('error_generic'),
        ),
      );
    },
  );
  return () => {
    live = false;
  };
}

interface Credential {
  status: string;
  reasons?: Array<{ code: string; message: string }>;
  items?: Array<{ name: string; status: string; valid_until?: string | null; message?: string }>;
}

function credentialBlock(credential: Credential): HTMLElement {
  const items = (credential.items ?? []).map((item) =>
    el(
      'tr',
      { testid: 'credential-item' },
      el('td', {}, item.name),
      el('td', {}, statusBadge(item.status, 'credential-item-status')),
      el('td', {}, item.valid_until || '—'),
      el('td', {}, item.message || ''),
    ),
  );
  const reasons = credential.reasons ?? [];
  return el(
    'section',
    { class: 'card credential', testid: 'credential-block', 'data-status': credential.status },
    el('h3', {}, t('credential_status'), ' ', statusBadge(credential.status, 'credential-status')),
    el(
      'table',
      { class: 'table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', {}, t('credential_item')),
          el('th', {}, t('import_status')),
          el('th', {}, t('valid_until')),
          el('th', {}, t('note')),
        ),
      ),
      el('tbody', {}, ...items),
    ),
    reasons.length
      ? el(
          'div',
          { class: 'reasons' },
          el('h4', {}, t('reasons')),
          el(
            'ul',
            {},
            ...reasons.map((r) =>
              el('li', { testid: 'credential-reason', 'data-code': r.code }, r.message),
            ),
          ),
        )
      : null,
  );
}
