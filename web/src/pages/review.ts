// 审核队列: applications waiting for a reviewer, each with the checks that sent it to review;
// approve or reject with a comment. A second tab lists approved passes to revoke with a reason.
import { api, type PassApplication } from '../api';
import { clear, el } from '../dom';
import { formatTime } from '../fields';
import { t } from '../i18n';
import { checksTable, errorText, passStatusBadge } from '../pass-ui';
import { reviewActions, windowText } from './passes';

const PAGE_SIZE = 100;

export function renderReview(content: HTMLElement, initial: URLSearchParams): () => void {
  clear(content);
  let generation = 0;
  let tab: 'pending' | 'approved' = initial.get('tab') === 'approved' ? 'approved' : 'pending';

  const tabButton = (id: typeof tab, label: string) => {
    const button = el(
      'button',
      { class: 'tab', type: 'button', testid: `review-tab-${id}` },
      label,
    );
    button.addEventListener('click', () => {
      tab = id;
      history.replaceState(null, '', `#/review${id === 'approved' ? '?tab=approved' : ''}`);
      void load();
    });
    return button;
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
  const list = el('div', { class: 'review-list', testid: 'review-list', 'data-state': 'loading' });
  content.append(
    el('h2', { class: 'page-title' }, t('nav_review')),
    el('div', { class: 'tabs' }, ...tabs, el('div', { class: 'toolbar-spacer' }), total),
    error,
    list,
  );

  const card = (pass: PassApplication): HTMLElement => {
    const cargo = pass.cargo
      ? `${pass.cargo.category} · ${pass.cargo.name} · ${pass.cargo.weight_kg} kg${pass.cargo.dangerous ? ` · ${t('cargo_dangerous')} ${pass.cargo.un_number ?? ''}` : ''}`
      : t('pass_kind_standing');
    return el(
      'section',
      {
        class: 'card review-item',
        testid: 'review-item',
        'data-id': pass.id,
        'data-status': pass.status,
        'data-plate': pass.plate,
      },
      el(
        'div',
        { class: 'review-head' },
        el(
          'a',
          { href: `#/passes/${pass.id}`, class: 'review-plate', testid: 'review-open' },
          pass.plate,
        ),
        passStatusBadge(pass.status, 'review-status'),
        el('span', { class: 'stat-muted' }, `${t('pass_id')} ${pass.id}`),
        el(
          'span',
          { class: 'stat-muted' },
          `${t('applicant')} ${pass.applicant ?? '—'} · ${formatTime(pass.created_at_ms)}`,
        ),
      ),
      el(
        'div',
        { class: 'review-facts' },
        el('span', {}, `${t('window')}: ${windowText(pass)}`),
        el('span', {}, `${t('cargo')}: ${cargo}`),
        el('span', {}, `${t('sites')}: ${(pass.destination_site_codes ?? []).join('，') || '—'}`),
      ),
      tab === 'pending' ? el('h4', {}, t('review_reasons')) : null,
      tab === 'pending' ? checksTable(pass.checks, true) : null,
      reviewActions(pass, () => void load()),
    );
  };

  const load = async () => {
    const mine = ++generation;
    for (const button of tabs)
      button.classList.toggle('active', button.dataset.testid === `review-tab-${tab}`);
    list.dataset.state = 'loading';
    list.dataset.tab = tab;
    error.hidden = true;
    try {
      const page = await api.passes({
        status: tab === 'pending' ? 'pending_review' : 'approved',
        offset: 0,
        limit: PAGE_SIZE,
      });
      if (mine !== generation) return;
      clear(list);
      // Oldest first: the queue is worked in order of arrival.
      const items = [...page.items].sort(
        (a, b) => (a.created_at_ms ?? a.id) - (b.created_at_ms ?? b.id),
      );
      if (items.length === 0)
        list.append(
          el(
            'div',
            { class: 'card empty-card', testid: 'review-empty' },
            tab === 'pending' ? t('review_empty') : t('no_records'),
          ),
        );
      for (const pass of items) list.append(card(pass));
      total.textContent = t('total_n', { n: page.total });
      total.dataset.total = String(page.total);
      list.dataset.state = 'ready';
    } catch (e) {
      if (mine !== generation) return;
      list.dataset.state = 'error';
      error.textContent = errorText(e);
      error.hidden = false;
    }
  };
  void load();
  return () => {
    generation++;
  };
}
