// 用户登录. A wrong password or too many tries shows the server's Chinese message as given.
import { ApiError, api } from '../api';
import { clear, el } from '../dom';
import { currentLang, setLang, t } from '../i18n';
import { landingRoute, session } from '../state';

export function renderLogin(root: HTMLElement, rerender: () => void): void {
  clear(root);
  const username = el('input', {
    id: 'login-username',
    name: 'username',
    autocomplete: 'username',
    testid: 'login-username',
    required: true,
  });
  const password = el('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    testid: 'login-password',
    required: true,
  });
  const error = el('div', {
    class: 'form-error',
    testid: 'login-error',
    role: 'alert',
    hidden: true,
  });
  const submit = el(
    'button',
    { class: 'btn btn-primary btn-block', type: 'submit', testid: 'login-submit' },
    t('login'),
  );
  const showError = (message: string) => {
    error.textContent = message;
    error.hidden = false;
  };

  const form = el(
    'form',
    { class: 'login-form', testid: 'login-form', novalidate: true },
    el('h1', {}, t('login_title')),
    el('label', { for: 'login-username' }, t('username')),
    username,
    el('label', { for: 'login-password' }, t('password')),
    password,
    error,
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!username.value.trim() || !password.value) {
      showError(t('login_required'));
      return;
    }
    submit.disabled = true;
    submit.textContent = t('logging_in');
    try {
      const result = await api.login(username.value.trim(), password.value);
      session.user = result.user;
      location.hash = landingRoute();
    } catch (e) {
      showError(e instanceof ApiError ? e.message : t('error_generic'));
      password.select();
    } finally {
      submit.disabled = false;
      submit.textContent = t('login');
    }
  });

  const langButton = el(
    'button',
    { class: 'btn btn-link', type: 'button', testid: 'lang-toggle' },
    t('switch_lang'),
  );
  langButton.addEventListener('click', () => {
    setLang(currentLang() === 'zh' ? 'en' : 'zh');
    rerender();
  });

  root.append(
    el(
      'div',
      { class: 'login-page', testid: 'login-page' },
      el(
        'div',
        { class: 'login-card' },
        el(
          'div',
          { class: 'login-brand' },
          el('span', { class: 'brand-mark' }, '保'),
          t('app_title'),
        ),
        session.ui?.demo
          ? el('span', { class: 'demo-badge', testid: 'demo-badge' }, t('demo_data'))
          : null,
        form,
        el('div', { class: 'login-footer' }, langButton),
      ),
    ),
  );
  username.focus();
}
