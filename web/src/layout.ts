// The frame around every signed-in page: sidebar navigation (only what the user may open), and a
// header with the user, their department and role, the language switch and 退出.
import { canInvestigate, canReadStats } from './analysis-api';
import { api } from './api';
import { clear, el } from './dom';
import { currentLang, setLang, t } from './i18n';
import {
  KINDS,
  canApplyPass,
  canEditGeography,
  canOpenMap,
  canOperateCheckpoint,
  canReadAlarms,
  canReadInCity,
  canReadKind,
  canManageUsers,
  canReadPasses,
  canReviewPasses,
  importableKinds,
  session,
} from './state';

export interface Layout {
  content: HTMLElement;
  setActive(hash: string): void;
}

export function renderLayout(root: HTMLElement, rerender: () => void): Layout {
  clear(root);
  const user = session.user!;
  const links: HTMLAnchorElement[] = [];
  const link = (hash: string, label: string, testid: string, extraClass = '') => {
    const a = el('a', { href: hash, class: `nav-link ${extraClass}`, testid }, label);
    links.push(a);
    return a;
  };

  const nav = el('nav', { class: 'nav', testid: 'nav' });
  if (canOpenMap()) nav.append(link('#/map', t('nav_map'), 'nav-map'));
  // Issue 6: the alarm centre and the monitor's zones and thresholds.
  if (canReadAlarms()) {
    nav.append(
      link('#/alarms', t('nav_alarms'), 'nav-alarms'),
      link('#/zones', t('nav_zones'), 'nav-zones'),
    );
  }
  // Issue 14: the city's layers from files and drawn on the map.
  if (canEditGeography()) nav.append(link('#/geography', t('nav_geography'), 'nav-geography'));
  // Issue 7: 协查, the statistics and the command centre's overview.
  if (canInvestigate()) nav.append(link('#/investigate', t('nav_investigate'), 'nav-investigate'));
  if (canReadStats()) {
    nav.append(
      link('#/stats', t('nav_stats'), 'nav-stats'),
      link('#/overview', t('nav_overview'), 'nav-overview'),
    );
  }
  const readable = KINDS.filter(canReadKind);
  if (readable.length > 0) {
    nav.append(el('div', { class: 'nav-group', testid: 'nav-registry' }, t('nav_registry')));
    for (const kind of readable) {
      nav.append(link(`#/registry/${kind}`, t(`kind_${kind}`), `nav-registry-${kind}`, 'nav-sub'));
    }
  }
  if (importableKinds().length > 0) nav.append(link('#/imports', t('nav_imports'), 'nav-imports'));
  // Issue 5: passes and checkpoints, each entry only with its permission.
  const passLinks = [
    canApplyPass() && link('#/passes/apply', t('nav_pass_apply'), 'nav-pass-apply', 'nav-sub'),
    canReadPasses() &&
      link(
        '#/passes',
        user.carrier_credit_code ? t('nav_my_passes') : t('nav_passes'),
        'nav-passes',
        'nav-sub',
      ),
    canReviewPasses() && link('#/review', t('nav_review'), 'nav-review', 'nav-sub'),
    canOperateCheckpoint() &&
      link('#/checkpoint', t('nav_checkpoint'), 'nav-checkpoint', 'nav-sub'),
    canReadInCity() && link('#/in-city', t('nav_incity'), 'nav-incity', 'nav-sub'),
  ].filter((a): a is HTMLAnchorElement => Boolean(a));
  if (passLinks.length > 0) {
    nav.append(
      el('div', { class: 'nav-group', testid: 'nav-passes-group' }, t('nav_passes_group')),
      ...passLinks,
    );
  }

  // Issue 13: one's own password, and the accounts for users.manage.
  if (canManageUsers()) nav.append(link('#/users', t('nav_users'), 'nav-users'));
  nav.append(link('#/account', t('nav_account'), 'nav-account'));

  // On a small screen the sidebar is a top bar and the navigation opens from this button; it
  // closes again once a link is chosen. On a wide screen the button is hidden (style.css).
  nav.id = 'nav';
  const menuButton = el(
    'button',
    {
      class: 'btn menu-toggle',
      type: 'button',
      testid: 'menu-toggle',
      'aria-controls': 'nav',
      'aria-expanded': 'false',
    },
    t('menu'),
  );
  const setMenuOpen = (open: boolean) => {
    sidebar.classList.toggle('nav-open', open);
    menuButton.setAttribute('aria-expanded', String(open));
  };
  menuButton.addEventListener('click', () =>
    setMenuOpen(menuButton.getAttribute('aria-expanded') !== 'true'),
  );
  nav.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a')) setMenuOpen(false);
  });

  const sidebar = el(
    'aside',
    { class: 'sidebar', testid: 'sidebar' },
    el(
      'div',
      { class: 'brand' },
      el('span', { class: 'brand-mark' }, '保'),
      el('span', {}, t('app_short')),
      menuButton,
    ),
    nav,
    el(
      'div',
      { class: 'sidebar-user' },
      el(
        'div',
        { class: 'user-name', testid: 'sidebar-user-name' },
        user.display_name || user.username,
      ),
      el(
        'div',
        { class: 'user-dept' },
        [user.department, user.role_name].filter(Boolean).join(' · '),
      ),
    ),
  );

  const logout = el(
    'button',
    { class: 'btn btn-link', testid: 'logout', type: 'button' },
    t('logout'),
  );
  logout.addEventListener('click', async () => {
    try {
      await api.logout();
    } catch {
      // Signed out locally either way.
    }
    session.user = null;
    location.hash = '#/login';
  });
  const langButton = el(
    'button',
    { class: 'btn btn-link', testid: 'lang-toggle', type: 'button' },
    t('switch_lang'),
  );
  langButton.addEventListener('click', () => {
    setLang(currentLang() === 'zh' ? 'en' : 'zh');
    rerender();
  });

  const header = el(
    'header',
    { class: 'header', testid: 'header' },
    el('div', { class: 'header-title' }, t('app_title')),
    session.ui?.demo
      ? el('span', { class: 'demo-badge', testid: 'demo-badge' }, t('demo_data'))
      : null,
    el('div', { class: 'header-spacer' }),
    el(
      'div',
      { class: 'header-user', testid: 'header-user' },
      el('span', { class: 'user-name', testid: 'user-name' }, user.display_name || user.username),
      el(
        'span',
        { class: 'user-dept', testid: 'user-department' },
        [user.department, user.role_name, user.district].filter(Boolean).join(' · '),
      ),
    ),
    langButton,
    logout,
  );
  const content = el('main', { class: 'content', id: 'content', testid: 'content' });
  root.append(
    el('div', { class: 'shell' }, sidebar, el('div', { class: 'main' }, header, content)),
  );

  return {
    content,
    setActive(hash: string) {
      // The longest matching link wins (#/passes/apply over #/passes).
      const matches = (target: string) =>
        hash === target || hash.startsWith(`${target}/`) || hash.startsWith(`${target}?`);
      const best = links
        .map((a) => a.getAttribute('href')!)
        .filter(matches)
        .sort((x, y) => y.length - x.length)[0];
      for (const a of links) a.classList.toggle('active', a.getAttribute('href') === best);
    },
  };
}
