// 我的通行证 / 通行证列表: passes with a status filter and a plate search (a carrier sees its own);
// the detail of one pass: status, checks, review and revocation, and once approved the QR code
// with SVG/PNG downloads and the signed token to copy. Reviewers act on it here as well.
import { api, type PassApplication } from '../api';
import { clear, el } from '../dom';
import { formatTime } from '../fields';
import { named, t } from '../i18n';
import {
  siteNamesNode,
  PASS_STATUSES,
  checksTable,
  effectiveStatus,
  errorText,
  openDialog,
  passStatusBadge,
  plateColorName,
  routeId,
  routeName,
} from '../pass-ui';
import { canReviewPasses, session } from '../state';
import { emptyRow, errorBox, listTable, openOnActivate, pager } from '../widgets';

const PAGE_SIZE = 50;

export function vehicleText(pass: PassApplication): string {
  return pass.plate || '—';
}

export function windowText(pass: PassApplication): string {
  return `${formatTime(pass.entry_from_ms)} – ${formatTime(pass.entry_until_ms)}`;
}

export function renderPassList(content: HTMLElement, initial: URLSearchParams): () => void {
  clear(content);
  const filters = {
    status: initial.get('status') ?? '',
    plate: initial.get('plate') ?? '',
    offset: Math.max(0, Number(initial.get('offset') ?? 0) || 0),
  };
  let generation = 0;
  const title = session.user?.carrier_credit_code ? t('nav_my_passes') : t('nav_passes');

  const statusSelect = el(
    'select',
    { class: 'input', testid: 'passes-filter-status' },
    el('option', { value: '' }, t('all_pass_statuses')),
    ...PASS_STATUSES.map((s) => el('option', { value: s }, t(`pass_status_${s}`))),
  );
  statusSelect.value = filters.status;
  const search = el('input', {
    type: 'search',
    class: 'input',
    testid: 'passes-search',
    placeholder: t('pass_search'),
    value: filters.plate,
  });
  const toolbar = el(
    'form',
    { class: 'toolbar' },
    search,
    statusSelect,
    el(
      'button',
      { class: 'btn btn-primary', type: 'submit', testid: 'passes-search-submit' },
      t('search'),
    ),
  );
  const error = errorBox('passes-error');
  const columns = [
    t('pass_id'),
    t('plate'),
    t('pass_kind'),
    t('status'),
    t('window'),
    t('applicant'),
    t('created_at'),
  ];
  const { table, tbody } = listTable('passes-table', columns);
  const paging = pager('passes', PAGE_SIZE, filters, () => load());
  content.append(
    el('h2', { class: 'page-title' }, title),
    toolbar,
    error,
    el('div', { class: 'table-wrap' }, table),
    paging.node,
  );

  const load = async () => {
    const mine = ++generation;
    const params: Record<string, string | number> = { offset: filters.offset, limit: PAGE_SIZE };
    if (filters.status) params.status = filters.status;
    if (filters.plate) params.plate = filters.plate;
    const hashQuery = new URLSearchParams(
      Object.entries(params)
        .filter(([k, v]) => k !== 'limit' && !(k === 'offset' && v === 0))
        .map(([k, v]) => [k, String(v)]),
    ).toString();
    history.replaceState(null, '', `#/passes${hashQuery ? `?${hashQuery}` : ''}`);
    table.dataset.state = 'loading';
    error.hidden = true;
    try {
      const page = await api.passes(params);
      if (mine !== generation) return;
      clear(tbody);
      if (page.items.length === 0) {
        tbody.append(emptyRow(columns.length, t('no_records')));
      }
      for (const pass of page.items) {
        const status = effectiveStatus(pass);
        const row = el(
          'tr',
          {
            class: 'clickable',
            testid: 'pass-row',
            'data-id': pass.id,
            'data-status': status,
            tabindex: 0,
          },
          el('td', { 'data-field': 'id' }, String(pass.id)),
          el('td', { 'data-field': 'plate' }, vehicleText(pass)),
          el(
            'td',
            { 'data-field': 'kind' },
            t(`pass_kind_${pass.kind === 'standing' ? 'standing' : 'trip'}`),
          ),
          el('td', { 'data-field': 'status' }, passStatusBadge(status, 'pass-row-status')),
          el('td', { 'data-field': 'window' }, windowText(pass)),
          el('td', { 'data-field': 'applicant' }, pass.applicant ?? '—'),
          el('td', { 'data-field': 'created_at' }, formatTime(pass.created_at_ms)),
        );
        openOnActivate(row, () => {
          location.hash = `#/passes/${pass.id}`;
        });
        tbody.append(row);
      }
      paging.show(page.total, filters.offset, page.items.length);
      table.dataset.state = 'ready';
    } catch (e) {
      if (mine !== generation) return;
      table.dataset.state = 'error';
      error.textContent = errorText(e);
      error.hidden = false;
    }
  };
  toolbar.addEventListener('submit', (event) => {
    event.preventDefault();
    filters.plate = search.value.trim().toUpperCase();
    filters.status = statusSelect.value;
    filters.offset = 0;
    void load();
  });
  statusSelect.addEventListener('change', () => toolbar.requestSubmit());
  void load();
  return () => {
    generation++;
  };
}

function row(label: string, value: Node | string, testid?: string): HTMLElement {
  return el('tr', { testid }, el('th', {}, label), el('td', {}, value));
}

// Copies a text; the clipboard API needs a secure context, so a selected textarea is the fallback.
export async function copyText(text: string, source?: HTMLTextAreaElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!source) return false;
    source.select();
    return document.execCommand('copy');
  }
}

export function renderPassDetail(content: HTMLElement, id: string): () => void {
  clear(content);
  let live = true;
  const body = el('div', { testid: 'pass-detail', 'data-state': 'loading' }, t('loading'));
  content.append(
    el(
      'div',
      { class: 'page-head' },
      el(
        'a',
        { href: '#/passes', class: 'btn btn-link', testid: 'detail-back' },
        `← ${t('back_to_list')}`,
      ),
    ),
    el('h2', { class: 'page-title' }, t('pass_detail'), ' · ', id),
    body,
  );

  const load = () =>
    api.pass(id).then(
      (pass) => live && show(pass),
      (e) => {
        if (!live) return;
        body.dataset.state = 'error';
        clear(body);
        body.append(
          el('div', { class: 'form-error', role: 'alert', testid: 'pass-error' }, errorText(e)),
        );
      },
    );

  const show = (pass: PassApplication) => {
    clear(body);
    const status = effectiveStatus(pass);
    body.dataset.state = 'ready';
    body.dataset.status = status;
    body.dataset.id = String(pass.id);
    const cargo = pass.cargo
      ? [
          pass.cargo.category,
          pass.cargo.name,
          `${pass.cargo.weight_kg} kg`,
          pass.cargo.dangerous
            ? `${t('cargo_dangerous')} ${pass.cargo.un_number ?? ''} ${pass.cargo.hazard_class ?? ''}`
            : '',
        ]
          .filter(Boolean)
          .join(' · ')
      : '—';
    const route =
      pass.route_id !== undefined && pass.route_id !== null
        ? String(pass.route_id)
        : pass.waypoints
          ? t('waypoints_n', { n: pass.waypoints.length })
          : '—';
    // The route's name where the published routes can be read.
    const routeCell = el('span', { testid: 'pass-route' }, route);
    if (pass.route_id !== undefined && pass.route_id !== null) {
      api.routes().then(
        (routes) => {
          const feature = routes.features.find((f) => routeId(f) === String(pass.route_id));
          if (feature) routeCell.textContent = routeName(feature);
        },
        () => {},
      );
    }
    const info = el(
      'table',
      { class: 'table detail-table' },
      el(
        'tbody',
        {},
        row(t('status'), passStatusBadge(status)),
        row(t('pass_kind'), t(`pass_kind_${pass.kind === 'standing' ? 'standing' : 'trip'}`)),
        row(
          t('plate'),
          `${pass.plate} ${pass.plate_color_name ?? plateColorName(pass.plate_color)}`.trim(),
          'pass-plate',
        ),
        row(
          t('carrier_code'),
          pass.carrier_name
            ? `${pass.carrier_name} (${pass.carrier_credit_code ?? ''})`
            : (pass.carrier_credit_code ?? '—'),
        ),
        row(
          t('drivers'),
          (pass.driver_id_numbers ?? [])
            .map((id, i) => (pass.driver_names?.[i] ? `${pass.driver_names[i]} (${id})` : id))
            .join('，') || '—',
        ),
        row(t('cargo'), cargo),
        row(t('origin'), pass.origin || '—'),
        row(t('destination_sites'), siteNamesNode(pass.destination_site_codes)),
        row(t('route'), routeCell),
        row(t('window'), windowText(pass)),
        row(t('planned_exit'), formatTime(pass.planned_exit_ms)),
        row(t('valid_from'), formatTime(pass.valid_from_ms)),
        row(t('valid_until'), formatTime(pass.valid_until_ms)),
        row(
          t('applicant'),
          [pass.applicant, pass.applicant_role ? named('role_', pass.applicant_role) : '']
            .filter(Boolean)
            .join(' · ') || '—',
        ),
        row(t('created_at'), formatTime(pass.created_at_ms)),
      ),
    );
    body.append(info);

    if (pass.status === 'approved') body.append(qrBlock(pass));

    body.append(
      el(
        'section',
        { class: 'card', testid: 'pass-checks' },
        el('h3', {}, t('checks')),
        checksTable(pass.checks),
      ),
    );
    if (pass.review) {
      body.append(
        el(
          'section',
          { class: 'card', testid: 'pass-review' },
          el('h3', {}, t('review_info')),
          el(
            'table',
            { class: 'table detail-table' },
            el(
              'tbody',
              {},
              row(t('reviewed_by'), pass.review.by || '—'),
              row(t('reviewed_at'), formatTime(pass.review.at_ms)),
              row(t('comment'), pass.review.comment || '—'),
            ),
          ),
        ),
      );
    }
    if (pass.revocation) {
      body.append(
        el(
          'section',
          { class: 'card', testid: 'pass-revocation' },
          el('h3', {}, t('revocation_info')),
          el(
            'table',
            { class: 'table detail-table' },
            el(
              'tbody',
              {},
              row(t('revoked_by'), pass.revocation.by || '—'),
              row(t('revoked_at'), formatTime(pass.revocation.at_ms)),
              row(t('revoke_reason'), pass.revocation.reason || '—'),
            ),
          ),
        ),
      );
    }
    if (canReviewPasses()) {
      const actions = reviewActions(pass, () => void load());
      if (actions) body.append(actions);
    }
  };

  void load();
  return () => {
    live = false;
  };
}

function qrBlock(pass: PassApplication): HTMLElement {
  const token = pass.token ?? '';
  const tokenText = el(
    'textarea',
    { class: 'input token', testid: 'pass-token', readonly: true, rows: 4 },
    token,
  );
  const copied = el(
    'span',
    { class: 'stat-muted', testid: 'pass-token-copied', hidden: true },
    t('copied'),
  );
  const copy = el(
    'button',
    { class: 'btn btn-secondary', type: 'button', testid: 'pass-token-copy' },
    t('copy'),
  );
  copy.addEventListener('click', async () => {
    copied.hidden = !(await copyText(token, tokenText));
  });
  const svg = api.passQrUrl(pass.id, 'svg');
  const img = el('img', {
    class: 'qr',
    testid: 'pass-qr',
    src: svg,
    alt: `${t('qr_pass')} ${pass.plate}`,
    width: 240,
    height: 240,
  });
  return el(
    'section',
    { class: 'card qr-card', testid: 'pass-qr-block' },
    el('h3', {}, t('qr_pass'), ' · ', pass.plate),
    el(
      'div',
      { class: 'qr-layout' },
      img,
      el(
        'div',
        { class: 'qr-side' },
        el(
          'div',
          { class: 'toolbar' },
          el(
            'a',
            {
              class: 'btn btn-secondary',
              href: svg,
              download: `pass-${pass.id}.svg`,
              testid: 'pass-qr-svg',
            },
            t('qr_download_svg'),
          ),
          el(
            'a',
            {
              class: 'btn btn-secondary',
              href: api.passQrUrl(pass.id, 'png'),
              download: `pass-${pass.id}.png`,
              testid: 'pass-qr-png',
            },
            t('qr_download_png'),
          ),
        ),
        el(
          'label',
          { class: 'field' },
          el('span', { class: 'field-label' }, t('token')),
          tokenText,
        ),
        el('div', { class: 'toolbar' }, copy, copied),
      ),
    ),
  );
}

// Approve / reject on a pending application, revoke on an approved one; null otherwise.
export function reviewActions(pass: PassApplication, done: () => void): HTMLElement | null {
  const buttons: HTMLElement[] = [];
  if (pass.status === 'pending_review') {
    const approve = el(
      'button',
      { class: 'btn btn-primary', type: 'button', testid: 'review-approve', 'data-id': pass.id },
      t('approve'),
    );
    approve.addEventListener('click', () =>
      openDialog({
        title: `${t('approve_title')} · ${pass.plate}`,
        label: t('comment'),
        required: t('comment_required'),
        confirmLabel: t('approve'),
        optional: true,
        onConfirm: async ({ text }) => {
          await api.approvePass(pass.id, text);
          done();
        },
      }),
    );
    const reject = el(
      'button',
      { class: 'btn btn-danger', type: 'button', testid: 'review-reject', 'data-id': pass.id },
      t('reject'),
    );
    reject.addEventListener('click', () =>
      openDialog({
        title: `${t('reject_title')} · ${pass.plate}`,
        label: t('comment'),
        required: t('comment_required'),
        confirmLabel: t('reject'),
        danger: true,
        onConfirm: async ({ text }) => {
          await api.rejectPass(pass.id, text);
          done();
        },
      }),
    );
    buttons.push(approve, reject);
  } else if (effectiveStatus(pass) === 'approved') {
    const revoke = el(
      'button',
      { class: 'btn btn-danger', type: 'button', testid: 'review-revoke', 'data-id': pass.id },
      t('revoke'),
    );
    revoke.addEventListener('click', () =>
      openDialog({
        title: `${t('revoke_title')} · ${pass.plate}`,
        label: t('revoke_reason'),
        required: t('reason_required'),
        confirmLabel: t('revoke'),
        danger: true,
        onConfirm: async ({ text }) => {
          await api.revokePass(pass.id, text);
          done();
        },
      }),
    );
    buttons.push(revoke);
  }
  return buttons.length ? el('div', { class: 'form-actions review-actions' }, ...buttons) : null;
}
