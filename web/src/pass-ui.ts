// Pieces shared by the pass and checkpoint pages: badges (pass status, check outcome, gate
// decision), the checks table, China-time <input type="datetime-local"> values, durations, the
// small action dialog, and the published freight routes drawn on a Leaflet map.
import L from 'leaflet';
import { api, type Decision, type PassApplication, type PassCheck } from './api';
import { el, textLabel } from './dom';
import { localText, pick, t } from './i18n';
import { button, confirming, dialogShell, errorBox, errorText } from './widgets';

// JT/T 808 plate colour codes (registry records.h).
const PLATE_COLOR_NAMES: Record<number, [string, string]> = {
  0: ['未上牌', 'unregistered'],
  1: ['蓝色', 'blue'],
  2: ['黄色', 'yellow'],
  3: ['黑色', 'black'],
  4: ['白色', 'white'],
  5: ['绿色', 'green'],
  9: ['其他', 'other'],
};

export function plateColorName(code: unknown): string {
  if (code === null || code === undefined || code === '') return '';
  const pair = PLATE_COLOR_NAMES[Number(code)];
  return pair ? pick(pair) : String(code);
}

export const PASS_STATUSES = [
  'pending_review',
  'approved',
  'rejected',
  'revoked',
  'expired',
] as const;

// "expired" is derived: an approved pass whose validity has ended (the server may send it too).
export function effectiveStatus(pass: PassApplication, now = Date.now()): string {
  if (
    pass.status === 'approved' &&
    (pass.expired || (pass.valid_until_ms && now > pass.valid_until_ms))
  ) {
    return 'expired';
  }
  return pass.status;
}

export function passStatusBadge(status: string, testid = 'pass-status'): HTMLElement {
  const known = (PASS_STATUSES as readonly string[]).includes(status);
  return el(
    'span',
    { class: `badge badge-pass-${known ? status : 'unknown'}`, testid, 'data-status': status },
    known ? t(`pass_status_${status}`) : status || '—',
  );
}

export function outcomeBadge(outcome: string): HTMLElement {
  const known = ['ok', 'review', 'reject'].includes(outcome);
  return el(
    'span',
    {
      class: `badge badge-outcome-${known ? outcome : 'unknown'}`,
      testid: 'check-outcome',
      'data-outcome': outcome,
    },
    known ? t(`outcome_${outcome}`) : outcome,
  );
}

export const DECISIONS: readonly Decision[] = ['release', 'turn_back', 'manual_check'];

export function decisionBadge(decision: string, testid = 'decision-badge'): HTMLElement {
  const known = (DECISIONS as readonly string[]).includes(decision);
  return el(
    'span',
    {
      class: `badge badge-decision-${known ? decision : 'unknown'}`,
      testid,
      'data-decision': decision,
    },
    known ? t(`decision_${decision}`) : decision,
  );
}

// Every check with its outcome; `onlyConcerns` keeps the ones that are not "ok" (review queue).
// The server may list only its findings, so an empty list means nothing was found.
export function checksTable(checks: PassCheck[] | undefined, onlyConcerns = false): HTMLElement {
  const shown = (checks ?? []).filter((c) => !onlyConcerns || c.outcome !== 'ok');
  const body = el('tbody', {});
  if (shown.length === 0) {
    body.append(el('tr', { class: 'empty' }, el('td', { colspan: 3 }, t('no_checks'))));
  }
  for (const check of shown) {
    body.append(
      el(
        'tr',
        {
          testid: 'check-row',
          'data-code': check.code,
          'data-outcome': check.outcome,
          class: `check-${check.outcome}`,
        },
        el('td', {}, outcomeBadge(check.outcome)),
        el('td', { class: 'check-message' }, localText(check.message) || '—'),
        el('td', { class: 'check-code' }, check.name || check.code),
      ),
    );
  }
  return el(
    'table',
    { class: 'table checks-table', testid: 'checks' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, t('check_outcome')),
        el('th', {}, t('check_message')),
        el('th', {}, t('check_code')),
      ),
    ),
    body,
  );
}

const CHINA_OFFSET_MS = 8 * 3600 * 1000;

// Epoch ms -> "YYYY-MM-DDTHH:MM" in China time (UTC+8, no daylight saving), whatever the
// browser's own zone.
export function toChinaLocal(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 16);
}

// "YYYY-MM-DDTHH:MM[:SS]" read as China time -> epoch ms; null when empty or malformed.
export function fromChinaLocal(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, Number.isFinite(s) ? s : 0) - CHINA_OFFSET_MS;
}

export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return t('duration_dh', { d: days, h: hours });
  if (hours > 0) return t('duration_hm', { h: hours, m: minutes % 60 });
  return t('duration_m', { m: minutes });
}

// The error text lives with the other shared widgets; the pages still import it from here.
export { errorText };

// A small modal: a text field (comment or reason) and, for overrides, a decision select. The
// confirm handler's error is shown in the dialog, which stays open so the user can retry.
export interface DialogOptions {
  title: string;
  label: string;
  required: string;
  confirmLabel: string;
  danger?: boolean;
  withDecision?: boolean;
  // Approval needs no comment; rejection, revocation and override need their text.
  optional?: boolean;
  onConfirm(values: { text: string; decision: Decision }): Promise<void>;
}

export function openDialog(options: DialogOptions): void {
  document.querySelector('[data-testid="action-dialog"]')?.remove();
  const text = el('textarea', {
    class: 'input textarea',
    testid: 'action-comment',
    rows: 3,
    'aria-label': options.label,
  });
  const decision = el(
    'select',
    { class: 'input', testid: 'action-decision' },
    ...DECISIONS.map((d) => el('option', { value: d }, t(`decision_${d}`))),
  );
  const error = errorBox('action-error');
  const confirm = el(
    'button',
    {
      class: `btn ${options.danger ? 'btn-danger' : 'btn-primary'}`,
      type: 'submit',
      testid: 'action-confirm',
    },
    options.confirmLabel,
  );
  const cancel = button('action-cancel', t('cancel'));
  const { form, overlay, close } = dialogShell(
    'action-dialog',
    {},
    cancel,
    el('h3', {}, options.title),
    options.withDecision ? el('label', { class: 'field' }, t('decision'), decision) : null,
    el('label', { class: 'field' }, options.label, text),
    error,
    el('div', { class: 'dialog-actions' }, cancel, confirm),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value && !options.optional) {
      error.textContent = options.required;
      error.hidden = false;
      return;
    }
    await confirming(confirm, error, async () => {
      await options.onConfirm({ text: value, decision: decision.value as Decision });
      close();
    });
  });
  document.body.append(overlay);
  text.focus();
}

// A published route's id: properties.id, else the feature's own id.
export function routeId(feature: GeoJSON.Feature): string {
  const id = feature.properties?.id ?? feature.id;
  return id === undefined || id === null ? '' : String(id);
}

export function routeName(feature: GeoJSON.Feature): string {
  return String(feature.properties?.name ?? routeId(feature));
}

// The published freight routes as lines with their names; hazardous-goods routes dashed orange.
export function routesLayer(routes: GeoJSON.FeatureCollection, highlight?: string): L.GeoJSON {
  return L.geoJSON(routes, {
    style: (feature) => {
      const selected =
        feature !== undefined && highlight !== undefined && routeId(feature) === highlight;
      const hazardous = Boolean(feature?.properties?.allows_hazardous);
      return {
        color: selected ? '#c8102e' : hazardous ? '#d98e04' : '#2e7d32',
        weight: selected ? 6 : 4,
        opacity: highlight !== undefined && !selected ? 0.45 : 0.9,
        dashArray: hazardous && !selected ? '8 6' : undefined,
      };
    },
    // Routes are lines; should a point come, a circle (Leaflet's default icon is not bundled).
    pointToLayer: (_feature, latlng) => L.circleMarker(latlng, { radius: 5 }),
    onEachFeature: (feature, layer) => {
      const name = routeName(feature);
      layer.bindTooltip(textLabel(name), { permanent: true, className: 'route-label' });
      const hazardous = Boolean(feature.properties?.allows_hazardous);
      layer.bindPopup(
        textLabel(
          el('strong', {}, name),
          hazardous && el('br'),
          hazardous && t('route_hazardous_ok'),
        ),
      );
    },
  });
}

// Site names by code, from the city's layers (every role reads them): pages that hold a pass's
// destination codes show the names. One request per page load.
let siteNamesRequest: Promise<Map<string, string>> | null = null;
export function siteNames(): Promise<Map<string, string>> {
  siteNamesRequest ??= api.mapLayers().then(
    (layers) => {
      const names = new Map<string, string>();
      for (const feature of layers.features) {
        const props = feature.properties ?? {};
        if (props.layer === 'site' && props.code)
          names.set(String(props.code), String(props.name ?? props.code));
      }
      return names;
    },
    () => {
      siteNamesRequest = null;
      return new Map<string, string>();
    },
  );
  return siteNamesRequest;
}

// Destination sites as text: names where known, the code otherwise; filled in when the names
// arrive.
export function siteNamesNode(codes: string[] | undefined, testid = 'pass-sites'): HTMLElement {
  const node = el('span', { testid }, (codes ?? []).join('，') || '—');
  if (codes && codes.length > 0) {
    void siteNames().then((names) => {
      node.textContent = codes.map((code) => names.get(code) ?? code).join('，');
    });
  }
  return node;
}
