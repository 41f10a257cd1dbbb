// 账号与密码 (issue 13 item 13): changing one's own password, forced after a sign-in with a
// one-time password; and 用户管理 for users.manage: the accounts, and a reset that shows the new
// one-time password once. Everything reaches the page as text (el / textContent).
import { ApiError, request, type User } from '../api';
import { clear, el } from '../dom';
import { currentLang } from '../i18n';
import { session } from '../state';
import { button, confirming, errorBox, errorText } from '../widgets';

// The user object as the server sends it since one-time passwords exist.
export type AccountUser = User & { must_change_password?: boolean };

interface ListedUser {
  username: string;
  display_name: string;
  role: string;
  role_name: string;
  department: string;
  district: string | null;
  disabled: boolean;
  must_change_password: boolean;
}

// This page's own words, Chinese first (kept here so that the shared dictionary stays as it is).
function tr(zh: string, en: string): string {
  return currentLang() === 'zh' ? zh : en;
}

const MIN_PASSWORD_CHARACTERS = 12;

export function mustChangePassword(): boolean {
  return Boolean((session.user as AccountUser | null)?.must_change_password);
}

export const canManageUsers = () => session.user?.permissions.includes('users.manage') ?? false;

function changePassword(oldPassword: string, newPassword: string) {
  return request<{ ok: boolean; user: AccountUser }>('/api/auth/password', {
    method: 'POST',
    body: JSON.stringify({ old_password: oldPassword, new_password: newPassword }),
    contentType: 'application/json',
  });
}

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
    { class: 'btn btn-primary', type: 'submit', testid: 'password-submit' },
    tr('修改密码', 'Change password'),
  );
  const form = el(
    'form',
    { class: 'card password-form', testid: 'password-form', novalidate: true },
    el('label', { for: 'password-old' }, tr('当前密码', 'Current password')),
    current,
    el('label', { for: 'password-new' }, tr('新密码', 'New password')),
    fresh,
    el(
      'div',
      { class: 'field-hint' },
      tr(
        `至少 ${MIN_PASSWORD_CHARACTERS} 个字符，不能是常见密码，也不能包含用户名`,
        `At least ${MIN_PASSWORD_CHARACTERS} characters, not a common password, not containing the username`,
      ),
    ),
    el('label', { for: 'password-repeat' }, tr('再次输入新密码', 'New password again')),
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
      showError(tr('请填写当前密码和新密码', 'Enter the current and the new password'));
      return;
    }
    if ([...fresh.value].length < MIN_PASSWORD_CHARACTERS) {
      showError(
        tr(
          `新密码至少 ${MIN_PASSWORD_CHARACTERS} 个字符`,
          `The new password needs at least ${MIN_PASSWORD_CHARACTERS} characters`,
        ),
      );
      return;
    }
    if (fresh.value !== repeat.value) {
      showError(tr('两次输入的新密码不一致', 'The two new passwords differ'));
      return;
    }
    submit.disabled = true;
    try {
      const result = await changePassword(current.value, fresh.value);
      if (session.user) (session.user as AccountUser).must_change_password = false;
      if (result.user) session.user = { ...session.user!, ...result.user };
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
  const leave = button('password-logout', tr('退出', 'Sign out'), 'btn btn-link');
  leave.addEventListener('click', signOut);
  const form = passwordForm(done);
  root.append(
    el(
      'div',
      { class: 'login-page', testid: 'password-change-required' },
      el(
        'div',
        { class: 'login-card' },
        el('h1', {}, tr('请修改初始密码', 'Change your one-time password')),
        el(
          'p',
          { class: 'field-hint' },
          tr(
            '您使用的是一次性密码，修改后才能使用平台。',
            'You signed in with a one-time password; change it to use the platform.',
          ),
        ),
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
    done.textContent = tr(
      '密码已修改，其他已登录的会话已退出。',
      'Password changed; your other sessions have been signed out.',
    );
    done.hidden = false;
  });
  const user = session.user!;
  content.append(
    el('h2', { class: 'page-title' }, tr('账号与密码', 'Account and password')),
    el(
      'div',
      { class: 'card', testid: 'account-summary' },
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
  const tbody = el('tbody', {});
  const table = el(
    'table',
    { class: 'table', testid: 'users-table', 'data-state': 'loading' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...[
          tr('用户名', 'Username'),
          tr('姓名', 'Name'),
          tr('角色', 'Role'),
          tr('部门', 'Department'),
          tr('状态', 'Status'),
          '',
        ].map((c) => el('th', {}, c)),
      ),
    ),
    tbody,
  );
  const shown = el('div', { class: 'card', testid: 'reset-result', hidden: true });

  const reset = async (user: ListedUser, trigger: HTMLButtonElement) => {
    const question = tr(
      `重置 ${user.username} 的密码？该用户的所有会话将退出，下次登录须修改密码。`,
      `Reset the password of ${user.username}? Their sessions end and they must change it at the next sign-in.`,
    );
    if (!window.confirm(question)) return;
    await confirming(trigger, error, async () => {
      const result = await request<{ username: string; one_time_password: string }>(
        `/api/users/${encodeURIComponent(user.username)}/password-reset`,
        { method: 'POST' },
      );
      clear(shown);
      const secret = el('code', { testid: 'one-time-password' }, result.one_time_password);
      shown.append(
        el(
          'div',
          {},
          tr(
            `${result.username} 的一次性密码（只显示这一次）：`,
            `One-time password of ${result.username} (shown this once): `,
          ),
        ),
        secret,
      );
      shown.hidden = false;
      await load();
    });
  };

  const load = async () => {
    try {
      const page = await request<{ items: ListedUser[] }>('/api/users');
      if (left) return;
      clear(tbody);
      for (const user of page.items) {
        const action = button(
          `reset-${user.username}`,
          tr('重置密码', 'Reset password'),
          'btn btn-secondary btn-small',
        );
        action.addEventListener('click', () => void reset(user, action));
        const status = user.disabled
          ? tr('已停用', 'Disabled')
          : user.must_change_password
            ? tr('待修改初始密码', 'Must change password')
            : tr('正常', 'Active');
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
    el('h2', { class: 'page-title' }, tr('用户管理', 'Users')),
    error,
    shown,
    el('div', { class: 'table-wrap' }, table),
  );
  void load();
  return () => {
    left = true;
  };
}
