// 保通 dashboard: hash routing (#/login, #/map, #/registry/<kind>[/<key>], #/imports, #/passes,
// #/passes/apply, #/passes/<id>, #/review, #/checkpoint[/<id>], #/in-city, #/alarms[/<id>],
// #/zones[/rules], #/geography, #/investigate[/vehicle], #/stats, #/overview) over the
// /api contract. The signed-in user comes from /api/auth/me; any 401 returns to the login page.
import './style.css';
import { canInvestigate, canReadStats } from './analysis-api';
import { api, setUnauthorizedHandler } from './api';
import { clear, el } from './dom';
import { setLang, currentLang, t } from './i18n';
import { type Layout, renderLayout } from './layout';
import { renderAccount, renderForcedPasswordChange, renderUsers } from './pages/account';
import { renderAlarmDetail, renderAlarmList } from './pages/alarms';
import { renderCheckpoint } from './pages/checkpoint';
import { renderGeography } from './pages/geography';
import { renderImports } from './pages/imports';
import { renderInCity } from './pages/incity';
import { renderInvestigate } from './pages/investigate';
import { renderLogin } from './pages/login';
import { renderMap } from './pages/map';
import { renderPassApply } from './pages/pass-apply';
import { renderPassDetail, renderPassList } from './pages/passes';
import { renderRegistryDetail, renderRegistryList } from './pages/registry';
import { renderReview } from './pages/review';
import { renderRules, renderZones } from './pages/zones';
import {
  canApplyPass,
  canEditGeography,
  canManageUsers,
  canOpenMap,
  canOperateCheckpoint,
  canReadAlarms,
  canReadInCity,
  canReadKind,
  canReadPasses,
  canReviewPasses,
  importableKinds,
  isKind,
  landingRoute,
  mustChangePassword,
  session,
} from './state';

const root = document.getElementById('app')!;
let layout: Layout | null = null;
let cleanup: (() => void) | void = undefined;
let routing = 0;

setLang(currentLang());
document.title = t('app_title');

setUnauthorizedHandler(() => {
  session.user = null;
  if (!location.hash.startsWith('#/login')) location.hash = '#/login';
});

function parseHash(): { path: string[]; params: URLSearchParams; hash: string } {
  const hash = location.hash || '#/';
  const [pathPart, queryPart = ''] = hash.slice(1).split('?');
  const path = pathPart
    .split('/')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { path, params: new URLSearchParams(queryPart), hash };
}

async function route(forceLayout = false): Promise<void> {
  const mine = ++routing;
  if (cleanup) cleanup();
  cleanup = undefined;
  document.title = t('app_title');
  if (!session.ui) {
    session.ui = await api.uiConfig().catch(() => null);
    if (mine !== routing) return;
  }
  const { path, params, hash } = parseHash();

  if (path[0] === 'login') {
    layout = null;
    renderLogin(root, () => void route(true));
    return;
  }
  if (!session.user) {
    try {
      session.user = await api.me();
    } catch {
      if (mine !== routing) return;
      session.user = null;
      location.hash = '#/login';
      return;
    }
    if (mine !== routing) return;
    forceLayout = true;
  }
  // A one-time password: nothing but the change until it is done (the server refuses the rest).
  if (mustChangePassword()) {
    layout = null;
    renderForcedPasswordChange(
      root,
      () => {
        // Routed once: by the hashchange listener, or here when the hash stays as it is.
        const target = landingRoute();
        if (location.hash === target) void route(true);
        else location.hash = target;
      },
      () => {
        void api.logout().catch(() => undefined);
        session.user = null;
        location.hash = '#/login';
      },
    );
    return;
  }
  if (path.length === 0) {
    location.replace(landingRoute());
    return;
  }
  if (!layout || forceLayout) layout = renderLayout(root, () => void route(true));
  layout.setActive(hash);
  const content = layout.content;

  const [section, kindName, key] = path;
  if (section === 'map') {
    cleanup = canOpenMap() ? renderMap(content, params) : forbidden(content);
  } else if (section === 'registry' && kindName && isKind(kindName)) {
    if (!canReadKind(kindName)) cleanup = forbidden(content);
    else if (key !== undefined) cleanup = renderRegistryDetail(content, kindName, key);
    else cleanup = renderRegistryList(content, kindName, params);
  } else if (section === 'imports') {
    cleanup = importableKinds().length > 0 ? renderImports(content) : forbidden(content);
  } else if (section === 'passes' && kindName === 'apply') {
    cleanup = canApplyPass() ? renderPassApply(content) : forbidden(content);
  } else if (section === 'passes' && kindName !== undefined) {
    cleanup = canReadPasses() ? renderPassDetail(content, kindName) : forbidden(content);
  } else if (section === 'passes') {
    cleanup = canReadPasses() ? renderPassList(content, params) : forbidden(content);
  } else if (section === 'review') {
    cleanup = canReviewPasses() ? renderReview(content, params) : forbidden(content);
  } else if (section === 'checkpoint') {
    cleanup = canOperateCheckpoint() ? renderCheckpoint(content, kindName) : forbidden(content);
  } else if (section === 'in-city') {
    cleanup = canReadInCity() ? renderInCity(content) : forbidden(content);
  } else if (section === 'alarms' && kindName !== undefined) {
    cleanup = canReadAlarms() ? renderAlarmDetail(content, kindName) : forbidden(content);
  } else if (section === 'alarms') {
    cleanup = canReadAlarms() ? renderAlarmList(content, params) : forbidden(content);
  } else if (section === 'zones' && kindName === 'rules') {
    cleanup = canReadAlarms() ? renderRules(content) : forbidden(content);
  } else if (section === 'zones') {
    cleanup = canReadAlarms() ? renderZones(content) : forbidden(content);
  } else if (section === 'geography') {
    cleanup = canEditGeography() ? renderGeography(content) : forbidden(content);
  } else if (section === 'investigate') {
    cleanup = canInvestigate() ? renderInvestigate(content, kindName) : forbidden(content);
  } else if (section === 'account') {
    renderAccount(content);
  } else if (section === 'users') {
    cleanup = canManageUsers() ? renderUsers(content) : forbidden(content);
  } else if (section === 'stats') {
    cleanup = canReadStats()
      ? lazyPage(content, () => import('./pages/stats').then((m) => m.renderStats))
      : forbidden(content);
  } else if (section === 'overview') {
    cleanup = canReadStats()
      ? lazyPage(content, () => import('./pages/overview').then((m) => m.renderOverview))
      : forbidden(content);
  } else {
    clear(content);
    content.append(el('div', { class: 'card', testid: 'not-found' }, t('not_found_page')));
  }
}

// The chart pages bring ECharts along, so they are loaded when first opened; leaving before the
// code arrives renders nothing.
function lazyPage(
  content: HTMLElement,
  load: () => Promise<(content: HTMLElement) => () => void>,
): () => void {
  let left = false;
  let pageCleanup: (() => void) | undefined;
  clear(content);
  content.append(el('div', { class: 'stat-muted' }, t('loading')));
  load().then(
    (render) => {
      if (!left) pageCleanup = render(content);
    },
    () => {
      if (left) return;
      clear(content);
      content.append(el('div', { class: 'form-error', role: 'alert' }, t('error_network')));
    },
  );
  return () => {
    left = true;
    pageCleanup?.();
  };
}

function forbidden(content: HTMLElement): void {
  clear(content);
  content.append(el('div', { class: 'card', testid: 'forbidden' }, t('forbidden_page')));
}

window.addEventListener('hashchange', () => void route());
void route();
