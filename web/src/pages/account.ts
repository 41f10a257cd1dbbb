// 账号与密码 (issue 13 item 13): changing one's own password, forced after a sign-in with a
// one-time password; and 用户管理 for users.manage: the accounts, and a reset that shows the new
// one-time password once. Everything reaches the page as text (el / textContent).
import { ApiError, api, type ListedUser } from '../api';
import { clear, el } from '../dom';
import { t } from '../i18n';
import { session } from '../state';
import { button, confirming, errorBox, errorText, listTable } from '../widgets';

const MIN_PASSWORD_CHARACTERS = 12;

function passwordInput(id: string, autocomplete: string): HTMLInputElement {
  return el('input', {
    id,
    name: id,
    type: 'password',
    autocomplete,
    testid: id,
    required: true,
  });
}

// The change form; `done` runs once the server has accepted the new password.
function passwordForm(done: () => void): HTMLFormElement {
  const current = passwordInput('password-old', 'current-password');
  const fresh = passwordInput('password-new', 'new-password');
  const repeat = passwordInput('password-repeat', 'new-password');
  const error = errorBox('password-error');
  const submit = el(
    'button',
    { class: 'btn btn-primary btn-block', type: 'submit', testid: 'password-submit' },
    t('password_change'),
  );
  const form = el(
    'form',
    { class: 'card password-form', testid: 'password-form', novalidate: true },
    el('label', { for: 'password-old' }, t('password_current')),
    current,
    el('label', { for: 'password-new' }, t('password_new')),
    fresh,
    el('div', { class: 'field-hint' }, t('password_rules', { n: MIN_PASSWORD_CHARACTERS })),
    el('label', { for: 'password-repeat' }, t('password_repeat')),
    repeat,
    error,
    submit,
  );
  const showError = (message: string) => {
    error.textContent = message;
    error.hidden = false;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!current.value || !fresh.value) {
      showError(t('password_missing'));
      return;
    }
    if ([...fresh.value].length < MIN_PASSWORD_CHARACTERS) {
      showError(t('password_too_short', { n: MIN_PASSWORD_CHARACTERS }));
      return;
    }
    if (fresh.value !== repeat.value) {
      showError(t('password_mismatch'));
      return;
    }
    submit.disabled = true;
    try {
      const result = await api.changePassword(current.value, fresh.value);
      if (session.user) {
        session.user = { ...session.user, ...result.user, must_change_password: false };
      }
      done();
    } catch (e) {
      showError(errorText(e));
      current.select();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// After a sign-in with a one-time password: nothing but this form (and signing out) until the
// password is changed; the server refuses every other call meanwhile.
export function renderForcedPasswordChange(
  root: HTMLElement,
  done: () => void,
  signOut: () => void,
): void {
  clear(root);
  const leave = button('password-logout', t('logout'), 'btn btn-link');
  leave.addEventListener('click', signOut);
  const form = passwordForm(done);
  root.append(
    el(
      'div',
      { class: 'login-page', testid: 'password-change-required' },
      el(
        'div',
        { class: 'login-card' },
        el('h1', {}, t('password_forced_title')),
        el('p', { class: 'field-hint' }, t('password_forced_hint')),
        form,
        el('div', { class: 'login-footer' }, leave),
      ),
    ),
  );
  form.querySelector('input')?.focus();
}

// #/account: who is signed in, and the change form.
export function renderAccount(content: HTMLElement): void {
  clear(content);
  const done = el('div', { class: 'card', testid: 'password-changed', hidden: true });
  const form = passwordForm(() => {
    form.reset();
    done.textContent = t('password_changed');
    done.hidden = false;
  });
  const user = session.user!;
  content.append(
    el('h2', { class: 'page-title' }, t('account_title')),
    el(
      'div',
      { class: 'card', testid: 'account-summary', 'data-state': 'ready' },
      el('div', {}, `${user.display_name || user.username} (${user.username})`),
      el('div', { class: 'field-hint' }, [user.department, user.role_name].join(' · ')),
    ),
    done,
    form,
  );
}

// #/users: the accounts; a reset shows the one-time password once, to hand over in person.
export function renderUsers(content: HTMLElement): () => void {
  clear(content);
  let left = false;
  const error = errorBox('users-error');
  const { table, tbody } = listTable('users-table', [
    t('username'),
    t('user_name'),
    t('user_role'),
    t('user_department'),
    t('user_status'),
    '',
  ]);
  const shown = el('div', { class: 'card', testid: 'reset-result', hidden: true });

  const reset = async (user: ListedUser, trigger: HTMLButtonElement) => {
    if (!window.confirm(t('user_reset_confirm', { user: user.username }))) return;
    await confirming(trigger, error, async () => {
      const result = await api.resetPassword(user.username);
      clear(shown);
      shown.append(
        el('div', {}, t('user_reset_shown', { user: result.username })),
        el('code', { testid: 'one-time-password' }, result.one_time_password),
      );
      shown.hidden = false;
      await load();
    });
  };

  const load = async () => {
    try {
      const page = await api.users();
      if (left) return;
      clear(tbody);
      for (const user of page.items) {
        const action = button(
          `reset-${user.username}`,
          t('user_reset'),
          'btn btn-secondary btn-small',
        );
        action.addEventListener('click', () => void reset(user, action));
        const status = user.disabled
          ? t('user_disabled')
          : user.must_change_password
            ? t('user_must_change')
            : t('user_active');
        tbody.append(
          el(
            'tr',
            { testid: `user-row-${user.username}` },
            el('td', {}, user.username),
            el('td', {}, user.display_name),
            el('td', {}, user.role_name),
            el('td', {}, [user.department, user.district].filter(Boolean).join(' · ')),
            el('td', {}, status),
            el('td', {}, action),
          ),
        );
      }
      table.dataset.state = 'ready';
    } catch (e) {
      if (left || (e instanceof ApiError && e.code === 'aborted')) return;
      error.textContent = errorText(e);
      error.hidden = false;
    }
  };

  content.append(
    el('h2', { class: 'page-title' }, t('users_title')),
    error,
    shown,
    el('div', { class: 'table-wrap' }, table),
  );
  void load();
  return () => {
    left = true;
  };
}
