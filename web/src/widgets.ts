// The pieces the pages build the same way: the error line, plain buttons, a listing table with its
// pager (total, 上一页/下一页) and clickable rows, and a modal dialog's shell and confirm step.
import { ApiError } from './api';
import { el } from './dom';
import { t } from './i18n';

type Attrs = Parameters<typeof el>[1];

// The text of a failed call: the server's message, else a generic one.
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : t('error_generic');
}

// A hidden error line (role=alert) that a page fills in when something fails.
export function errorBox(testid: string): HTMLDivElement {
  return el('div', { class: 'form-error', testid, role: 'alert', hidden: true });
}

// A type=button button; a secondary one unless told otherwise.
export function button(
  testid: string,
  label: string,
  className = 'btn btn-secondary',
  attrs: Attrs = {},
): HTMLButtonElement {
  return el('button', { class: className, type: 'button', testid, ...attrs }, label);
}

// A listing table: one header cell per column and an empty body, in the loading state.
export function listTable(
  testid: string,
  columns: string[],
  attrs: Attrs = {},
): { table: HTMLTableElement; tbody: HTMLTableSectionElement } {
  const tbody = el('tbody', {});
  const table = el(
    'table',
    { class: 'table', testid, ...attrs, 'data-state': 'loading' },
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', {}, c)))),
    tbody,
  );
  return { table, tbody };
}

// The one row of an empty table.
export function emptyRow(colspan: number, text: string): HTMLTableRowElement {
  return el('tr', { class: 'empty' }, el('td', { colspan }, text));
}

// Opens a row's target on a click or on Enter.
export function openOnActivate(row: HTMLElement, open: () => void): void {
  row.addEventListener('click', open);
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') open();
  });
}

export interface Pager {
  node: HTMLElement;
  total: HTMLElement;
  prev: HTMLButtonElement;
  next: HTMLButtonElement;
  // Shows the total and enables the buttons for a page of `count` items from `offset`.
  show(total: number, offset: number, count: number): void;
}

// The pager under a listing: `${prefix}-total`, `${prefix}-prev` and `${prefix}-next`; the buttons
// move `state.offset` by a page and call load.
export function pager(
  prefix: string,
  pageSize: number,
  state: { offset: number },
  load: () => unknown,
  ...extra: Node[]
): Pager {
  const total = el('span', { class: 'total', testid: `${prefix}-total` });
  const prev = button(`${prefix}-prev`, t('prev_page'));
  const next = button(`${prefix}-next`, t('next_page'));
  prev.addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - pageSize);
    void load();
  });
  next.addEventListener('click', () => {
    state.offset += pageSize;
    void load();
  });
  const node = el(
    'div',
    { class: 'pager' },
    total,
    ...extra,
    el('div', { class: 'toolbar-spacer' }),
    prev,
    next,
  );
  return {
    node,
    total,
    prev,
    next,
    show(n, offset, count) {
      total.textContent = t('total_n', { n });
      total.dataset.total = String(n);
      prev.disabled = offset <= 0;
      next.disabled = offset + count >= n;
    },
  };
}

// A modal dialog: the form (class dialog) inside an overlay with `testid`; cancel and Escape close
// it. The caller wires the submit and appends the overlay to the page.
export function dialogShell(
  testid: string,
  formAttrs: Attrs,
  cancel: HTMLButtonElement,
  ...children: Array<Node | null>
): { form: HTMLFormElement; overlay: HTMLDivElement; close: () => void } {
  const form = el(
    'form',
    { class: 'dialog', role: 'dialog', 'aria-modal': 'true', ...formAttrs },
    ...children,
  );
  const overlay = el('div', { class: 'dialog-overlay', testid }, form);
  const close = () => overlay.remove();
  cancel.addEventListener('click', close);
  overlay.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });
  return { form, overlay, close };
}

// Runs a dialog's action with its confirm button disabled; a failure shows in the error line.
export async function confirming(
  confirm: HTMLButtonElement,
  error: HTMLElement,
  action: () => Promise<void>,
): Promise<void> {
  confirm.disabled = true;
  error.hidden = true;
  try {
    await action();
  } catch (e) {
    error.textContent = errorText(e);
    error.hidden = false;
  } finally {
    confirm.disabled = false;
  }
}
