// 数据导入: upload a CSV/JSON file of one kind, follow its progress (polled every 300 ms), then the
// counts and the rejected rows; templates to start from; the past imports.
import { ApiError, api, type ImportJob } from '../api';
import { clear, el } from '../dom';
import { formatTime } from '../fields';
import { t } from '../i18n';
import { type Kind, importableKinds } from '../state';

const POLL_MS = 300;

export function renderImports(content: HTMLElement): () => void {
  clear(content);
  let live = true;
  let pollTimer: number | undefined;
  const kinds = importableKinds();
  content.append(el('h2', { class: 'page-title' }, t('import_title')));
  if (kinds.length === 0) {
    content.append(el('div', { class: 'card' }, t('import_none_allowed')));
    return () => {};
  }

  const kindSelect = el(
    'select',
    { class: 'input', testid: 'import-kind', id: 'import-kind' },
    ...kinds.map((kind) => el('option', { value: kind }, t(`kind_${kind}`))),
  );
  const fileInput = el('input', {
    type: 'file',
    class: 'input',
    testid: 'import-file',
    id: 'import-file',
    accept: '.csv,.json,text/csv,application/json',
  });
  const upload = el(
    'button',
    { class: 'btn btn-primary', type: 'submit', testid: 'import-submit' },
    t('import_upload'),
  );
  const template = el(
    'a',
    { class: 'btn btn-link', testid: 'import-template', download: '' },
    t('import_template'),
  );
  const formError = el('div', {
    class: 'form-error',
    testid: 'import-error',
    role: 'alert',
    hidden: true,
  });
  const setTemplate = () => {
    template.href = api.templateUrl(kindSelect.value);
  };
  setTemplate();
  kindSelect.addEventListener('change', setTemplate);

  const form = el(
    'form',
    { class: 'card import-form', testid: 'import-form' },
    el(
      'div',
      { class: 'form-row' },
      el('label', { for: 'import-kind' }, t('import_kind')),
      kindSelect,
      el('label', { for: 'import-file' }, t('import_file')),
      fileInput,
      upload,
      template,
    ),
    formError,
  );
  const job = el('section', { class: 'card import-job', testid: 'import-job', hidden: true });
  const historyBody = el('tbody', {});
  const history = el(
    'section',
    { class: 'card' },
    el('h3', {}, t('import_history')),
    el(
      'table',
      { class: 'table', testid: 'import-history' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...[
            'import_id',
            'import_kind',
            'import_file_name',
            'import_status',
            'import_inserted',
            'import_updated',
            'import_unchanged',
            'import_rejected',
            'import_user',
            'import_started',
          ].map((k) => el('th', {}, t(k))),
        ),
      ),
      historyBody,
    ),
  );
  content.append(form, job, history);

  const loadHistory = async () => {
    try {
      const jobs = await api.imports(0, 20);
      if (!live) return;
      clear(historyBody);
      for (const j of jobs) {
        const row = el(
          'tr',
          { class: 'clickable', testid: 'import-history-row', 'data-id': j.id },
          el('td', {}, j.id),
          el('td', {}, t(`kind_${j.kind}`)),
          el('td', {}, j.file_name),
          el('td', {}, statusText(j)),
          el('td', {}, j.inserted),
          el('td', {}, j.updated),
          el('td', {}, j.unchanged),
          el('td', {}, j.rejected),
          el('td', {}, [j.user, j.department].filter(Boolean).join(' · ')),
          el('td', {}, formatTime(j.started_at)),
        );
        row.addEventListener('click', () => follow(j.id));
        historyBody.append(row);
      }
    } catch {
      // The history is a convenience; the upload works without it.
    }
  };

  const follow = (id: number) => {
    window.clearTimeout(pollTimer);
    const poll = async () => {
      try {
        const current = await api.importJob(id);
        if (!live) return;
        showJob(job, current);
        if (current.status === 'running') {
          pollTimer = window.setTimeout(poll, POLL_MS);
        } else {
          void loadHistory();
        }
      } catch (e) {
        if (!live) return;
        showError(e);
      }
    };
    void poll();
  };

  const showError = (e: unknown) => {
    formError.textContent = e instanceof ApiError ? e.message : t('error_generic');
    formError.hidden = false;
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.hidden = true;
    const file = fileInput.files?.[0];
    if (!file) {
      showError(new ApiError(400, 'no_file', t('import_no_file')));
      return;
    }
    upload.disabled = true;
    try {
      const { id } = await api.startImport(kindSelect.value as Kind, file);
      follow(id);
    } catch (e) {
      showError(e);
    } finally {
      upload.disabled = false;
    }
  });

  void loadHistory();
  return () => {
    live = false;
    window.clearTimeout(pollTimer);
  };
}

function statusText(job: ImportJob): string {
  return job.status === 'running'
    ? t('import_running')
    : job.status === 'done'
      ? t('import_done')
      : t('import_failed');
}

function showJob(container: HTMLElement, job: ImportJob): void {
  clear(container);
  container.hidden = false;
  const total = job.rows_total || 0;
  const done = job.rows_done || 0;
  const percent =
    job.status === 'done' ? 100 : total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  container.dataset.id = String(job.id);
  container.dataset.status = job.status;
  container.append(
    el(
      'h3',
      {},
      `${t('import_id')} ${job.id} · ${job.file_name} · `,
      el(
        'span',
        { class: `badge badge-job-${job.status}`, testid: 'import-status' },
        statusText(job),
      ),
    ),
    el(
      'div',
      {
        class: 'progress',
        testid: 'import-progress',
        role: 'progressbar',
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-valuenow': percent,
        'data-status': job.status,
        'data-rows-done': done,
        'data-rows-total': total,
      },
      el('div', {
        class: 'progress-bar',
        testid: 'import-progress-bar',
        style: `width: ${percent}%`,
      }),
      el('span', { class: 'progress-text' }, `${done} / ${total}`),
    ),
  );
  if (job.status === 'failed') {
    container.append(
      el('div', { class: 'form-error', testid: 'import-failed' }, job.error || t('import_failed')),
    );
  }
  if (job.status === 'running') return;
  const count = (key: string, value: number) =>
    el(
      'div',
      { class: `count count-${key}`, testid: `import-count-${key}`, 'data-value': value },
      el('div', { class: 'count-value' }, value ?? 0),
      el('div', { class: 'count-label' }, t(`import_${key}`)),
    );
  container.append(
    el(
      'div',
      { class: 'counts', testid: 'import-result' },
      count('inserted', job.inserted),
      count('updated', job.updated),
      count('unchanged', job.unchanged),
      count('rejected', job.rejected),
    ),
  );
  const rejections = job.rejections ?? [];
  if (job.rejected > 0 || rejections.length > 0) {
    container.append(
      el(
        'div',
        { class: 'section-head' },
        el('h4', {}, t('import_rejections')),
        el(
          'a',
          {
            class: 'btn btn-link',
            href: api.rejectionsCsvUrl(job.id),
            download: '',
            testid: 'import-rejections-csv',
          },
          t('import_rejections_csv'),
        ),
      ),
      el(
        'table',
        { class: 'table', testid: 'import-rejections' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', {}, t('import_row')),
            el('th', {}, t('import_column')),
            el('th', {}, t('import_reason')),
          ),
        ),
        el(
          'tbody',
          {},
          ...rejections.map((r) =>
            el(
              'tr',
              { testid: 'rejection-row', 'data-row': r.row, 'data-column': r.column },
              el('td', { 'data-col': 'row' }, r.row),
              el('td', { 'data-col': 'column' }, r.column),
              el('td', { 'data-col': 'reason' }, r.reason),
            ),
          ),
        ),
      ),
    );
  }
}
