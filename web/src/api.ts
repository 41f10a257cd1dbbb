// The HTTP client for /api (contract: notes/api.md). The session is the HttpOnly cookie the login
// sets, so requests are plain same-origin fetches. Any 401 sends the user back to the login page.
import { localText, t } from './i18n';

export interface User {
  username: string;
  display_name: string;
  role: string;
  role_name: string;
  department: string;
  district: string | null;
  carrier_credit_code: string | null;
  permissions: string[];
  // Set after a sign-in with a one-time password: the server refuses everything but the change.
  must_change_password?: boolean;
}

// A row of GET /api/users (users.manage): the account without its permissions.
export type ListedUser = Omit<
  User,
  'permissions' | 'carrier_credit_code' | 'must_change_password'
> & {
  disabled: boolean;
  must_change_password: boolean;
};

export interface BaseMapConfig {
  id: string;
  name: string;
  url: string;
  subdomains: string;
  // Optional here (the server may send ''), and named so that the unsafe-html check, which reads
  // every `attribution:` as a Leaflet option, does not flag this type.
  attribution?: string;
  datum: 'wgs84' | 'gcj02';
  max_zoom: number;
}

export interface UiConfig {
  tile_url: string;
  tile_attribution: string;
  basemaps?: BaseMapConfig[];
  center: [number, number];
  zoom: number;
  demo: boolean;
}

export type RegistryRecord = Record<string, unknown> & { masked?: string[] };

export interface ListPage<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

export interface Rejection {
  row: number;
  column: string;
  reason: string;
}

export interface ImportJob {
  id: number;
  kind: string;
  file_name: string;
  status: 'running' | 'done' | 'failed';
  rows_total: number;
  rows_done: number;
  accepted: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  user: string;
  department: string;
  started_at: number;
  finished_at: number | null;
  error?: string;
  rejections?: Rejection[];
}

export interface Position {
  terminal: string;
  plate?: string | null;
  lat: number;
  lon: number;
  speed_kmh: number;
  direction: number;
  device_time: string;
  device_time_ms: number;
  receive_time_ms: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    // The input a validation error names (issue 6: zones and rule settings).
    readonly field?: string,
  ) {
    super(message);
  }
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler = () => {};

export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

interface RequestOptions {
  method?: string;
  body?: BodyInit;
  contentType?: string;
  // The login call answers 401 for a wrong password: that is a message, not a lost session.
  ignoreUnauthorized?: boolean;
  signal?: AbortSignal;
  // Statuses whose JSON body is the answer, not an error (the geography's 422 with its errors).
  acceptStatus?: number[];
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.contentType) headers['Content-Type'] = options.contentType;
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      body: options.body,
      headers,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch {
    if (options.signal?.aborted) throw new ApiError(0, 'aborted', 'aborted');
    throw new ApiError(0, 'network', t('error_network'));
  }
  let text = '';
  try {
    text = await response.text();
  } catch {
    if (options.signal?.aborted) throw new ApiError(0, 'aborted', 'aborted');
    throw new ApiError(0, 'network', t('error_network'));
  }
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok && !options.acceptStatus?.includes(response.status)) {
    const error = (body as { error?: { code?: string; message?: string; field?: string } } | null)
      ?.error;
    const apiError = new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ? localText(error.message) : `${t('error_generic')} (HTTP ${response.status})`,
      error?.field,
    );
    if (response.status === 401 && !options.ignoreUnauthorized) onUnauthorized();
    throw apiError;
  }
  return body as T;
}

export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// Issue 14: the city's geography as versioned layers (/api/geo).
export type GeoLayerKind =
  | 'boundary'
  | 'districts'
  | 'towns'
  | 'communities'
  | 'sites'
  | 'checkpoints'
  | 'routes'
  | 'restricted';

export interface GeoLayerVersion {
  kind: GeoLayerKind;
  kind_name: string;
  version: number;
  features: number;
  change: string;
  changed_by: string;
  changed_at_ms: number;
}

export interface GeoFeatureError {
  feature: number;
  message: string;
}

// A preview (or an import) of a file: what was read, the fields used and each feature's error.
export interface GeoDraft {
  kind: GeoLayerKind;
  kind_name: string;
  features_read: number;
  features_valid: number;
  code_field: string;
  name_field: string;
  bbox: [number, number, number, number] | null;
  errors: GeoFeatureError[];
  collection?: GeoJSON.FeatureCollection;
  // An applied change (import 200, feature PUT 200): the new version and new cameras' keys.
  version?: number;
  checkpoint_keys?: Record<string, string>;
}

export interface GeoUploadOptions {
  kind: GeoLayerKind;
  crs?: string;
  datum?: string;
  encoding?: string;
  layer?: string;
  code_field?: string;
  name_field?: string;
}

// Issue 5: entry passes and checkpoints (notes/issue5.md, "HTTP API the lead will expose").
export type PassStatus = 'pending_review' | 'approved' | 'rejected' | 'revoked' | 'expired';
export type CheckOutcome = 'ok' | 'review' | 'reject';

export interface PassCheck {
  code: string;
  // The check in words (pass::ReasonCodes' summary).
  name?: string;
  outcome: CheckOutcome;
  message: string;
}

export interface Cargo {
  category: string;
  name: string;
  weight_kg: number;
  dangerous: boolean;
  un_number?: string;
  hazard_class?: string;
}

export interface PassApplicationInput {
  kind: 'trip' | 'standing';
  plate: string;
  plate_color: number;
  carrier_credit_code?: string;
  driver_id_numbers: string[];
  cargo?: Cargo;
  origin: string;
  destination_site_codes: string[];
  route_id?: string | null;
  waypoints?: Array<[number, number]>;
  entry_from_ms: number;
  entry_until_ms: number;
  planned_exit_ms: number;
}

export interface PassApplication extends PassApplicationInput {
  id: number;
  applicant?: string;
  applicant_role?: string;
  created_at_ms?: number;
  status: PassStatus;
  checks?: PassCheck[];
  review?: { by: string; at_ms: number; comment: string } | null;
  revocation?: { by: string; at_ms: number; reason: string } | null;
  token?: string | null;
  valid_from_ms?: number | null;
  valid_until_ms?: number | null;
  carrier_name?: string;
  // Sent by the server beside the ids: names for display, and the derived expiry.
  plate_color_name?: string;
  driver_names?: string[];
  // The keys that open the drivers' records (sealed where the role sees ID numbers masked).
  driver_keys?: string[];
  expired?: boolean;
}

export interface PassBulkResult {
  succeeded: number;
  failed: number;
  results: Array<{
    id: number;
    ok: boolean;
    status: number;
    pass?: PassApplication;
    error?: { code: string; message: string };
  }>;
}

export type Decision = 'release' | 'turn_back' | 'manual_check';

export interface DecisionResult {
  passage_id?: number;
  decision: Decision;
  reason_code?: string;
  reason?: string;
  display_text?: string;
  pass_id?: number | null;
  plate?: string;
}

// The contract lists a passage's contents, not its JSON names: the usual alternatives are read.
export interface Passage {
  id: number;
  passage_id?: number;
  checkpoint_id?: string;
  checkpoint?: string;
  direction?: 'in' | 'out';
  plate: string;
  plate_color?: number | null;
  color?: number | null;
  time_ms?: number;
  time?: number;
  decision: Decision;
  reason_code?: string;
  reason?: string;
  display_text?: string;
  pass_id?: number | null;
  source?: 'camera' | 'qr' | 'override' | string;
  operator?: string | null;
  overrides?: number | null;
  overrides_passage_id?: number | null;
  overrides_id?: number | null;
}

export interface Checkpoint {
  id: string;
  name: string;
  direction: 'in' | 'out';
  lat?: number;
  lon?: number;
}

export interface InCityVehicle {
  plate: string;
  plate_color?: number | null;
  entered_at_ms: number;
  checkpoint_id?: string;
  pass_id?: number | null;
  valid_until_ms?: number | null;
  overdue?: boolean;
  planned_exit_ms?: number | null;
  deadline_ms?: number | null;
}

// Issue 6: monitoring and alarms (notes/web6.md, "API contract").
export type VehicleState = 'moving' | 'stopped' | 'alarm' | 'offline';

export interface MonitorVehicle {
  terminal: string;
  plate: string;
  plate_color: number;
  state: VehicleState;
  lat: number;
  lon: number;
  speed_kmh: number;
  direction: number;
  at_ms: number;
  alarms: string[];
  in_city: boolean;
}

export interface TrackPoint {
  at_ms: number;
  lat: number;
  lon: number;
  speed_kmh: number;
}

export interface MonitorDriver {
  name: string;
  id_number: string;
  phone: string;
}

export type AlarmStatus = 'raised' | 'acknowledged' | 'dispatched' | 'handled' | 'closed';

export interface Alarm {
  id: number;
  terminal: string;
  plate: string;
  plate_color: number;
  kind: string;
  kind_name: string;
  subject: string;
  severity: number;
  severity_name: string;
  department: string;
  department_name: string;
  district: string;
  status: AlarmStatus;
  status_name: string;
  active: boolean;
  count: number;
  first_at_ms: number;
  last_at_ms: number;
  cleared_at_ms: number | null;
  lat: number;
  lon: number;
  speed_kmh: number;
  detail: string;
  pass_id: number | null;
  ack_deadline_ms: number;
  close_deadline_ms: number;
  overdue: boolean;
  acknowledged_by: string | null;
  acknowledged_at_ms: number | null;
  dispatched_to: string | null;
  dispatch_note: string | null;
  handled_by: string | null;
  handled_at_ms: number | null;
  outcome: string | null;
  handle_note: string | null;
  closed_by: string | null;
  closed_at_ms: number | null;
  text_status: string | null;
}

export interface AlarmStep {
  step: string;
  by: string;
  at_ms: number;
  to: string;
  outcome: string;
  note: string;
}

export interface AlarmPage {
  items: Alarm[];
  total: number;
  counts: Record<string, number>;
}

export type AlarmAction = 'acknowledge' | 'dispatch' | 'handle' | 'close';

export interface AlarmBulkResult {
  action: AlarmAction;
  succeeded: number;
  failed: number;
  results: Array<{
    id: number;
    ok: boolean;
    status: number;
    alarm?: Alarm;
    error?: { code: string; message: string };
  }>;
}

export type ZoneKind = 'restricted' | 'site' | 'route' | 'city';

export interface ZoneWindow {
  start: string;
  end: string;
}

// A zone as the editor sends it; the server adds `source` when it lists zones.
export interface ZoneInput {
  code: string;
  name: string;
  kind: ZoneKind;
  geometry: GeoJSON.Geometry & { radius_m?: number };
  radius_m?: number | null;
  corridor_m?: number | null;
  windows: ZoneWindow[];
  vehicle_classes: string[];
  speed_limit_kmh: number | null;
  alarm_on_exit: boolean;
  department: string;
}

export interface Zone extends ZoneInput {
  source: 'user' | 'site' | 'route' | 'pass' | 'city' | string;
}

// The rule settings' exact shape belongs to src/monitor; the editor renders what comes.
export type RuleSettings = Record<string, unknown>;

function json(method: string, body: unknown): RequestOptions {
  return { method, body: JSON.stringify(body), contentType: 'application/json' };
}

// A list the contract gives as {items} may come as a bare array too.
function itemsOf<T>(body: T[] | { items?: T[] } | null): T[] {
  return Array.isArray(body) ? body : (body?.items ?? []);
}

export const api = {
  login: (username: string, password: string) =>
    request<{ token: string; user: User }>('/api/auth/login', {
      method: 'POST',
      body: JSON.stringify({ username, password }),
      contentType: 'application/json',
      ignoreUnauthorized: true,
    }),
  logout: () => request<{ ok: boolean }>('/api/auth/logout', { method: 'POST' }),
  me: () => request<User>('/api/auth/me', { ignoreUnauthorized: true }),
  uiConfig: () => request<UiConfig>('/api/ui-config'),
  list: (kind: string, params: Record<string, string | number>) =>
    request<ListPage<RegistryRecord>>(`/api/registry/${kind}${query(params)}`),
  record: (kind: string, key: string) =>
    request<RegistryRecord>(`/api/registry/${kind}/${encodeURIComponent(key)}`),
  exportUrl: (kind: string, params: Record<string, string | number>) =>
    `/api/registry/${kind}/export.xlsx${query(params)}`,
  startImport: (kind: string, file: File) =>
    request<{ id: number }>(`/api/imports${query({ kind, file_name: file.name })}`, {
      method: 'POST',
      body: file,
      contentType: /\.json$/i.test(file.name) ? 'application/json' : 'text/csv',
    }),
  importJob: (id: number) => request<ImportJob>(`/api/imports/${id}`),
  // The contract says "list of past imports, newest first"; accept a bare array or a page.
  imports: async (offset: number, limit: number): Promise<ImportJob[]> => {
    const body = await request<ImportJob[] | ListPage<ImportJob>>(
      `/api/imports${query({ offset, limit })}`,
    );
    return Array.isArray(body) ? body : (body?.items ?? []);
  },
  rejectionsCsvUrl: (id: number) => `/api/imports/${id}/rejections.csv`,
  templateUrl: (kind: string) => `/api/import-templates/${kind}.csv`,
  mapLayers: () => request<GeoJSON.FeatureCollection>('/api/map/layers'),
  latestPositions: (limit: number) =>
    request<{ total: number; items: Position[] }>(
      `/api/positions/latest${query({ offset: 0, limit })}`,
    ),
  // Passes
  applyPass: (application: PassApplicationInput) =>
    request<PassApplication>('/api/passes', json('POST', application)),
  passes: (params: Record<string, string | number>) =>
    request<ListPage<PassApplication>>(`/api/passes${query(params)}`),
  pass: (id: number | string) => request<PassApplication>(`/api/passes/${id}`),
  approvePass: (id: number, comment: string) =>
    request<PassApplication>(`/api/passes/${id}/approve`, json('POST', { comment })),
  // Approves many with one note; each is approved (or refused) as the single route does.
  bulkApprovePasses: (ids: number[], note: string) =>
    request<PassBulkResult>('/api/passes/bulk-approve', json('POST', { ids, note })),
  rejectPass: (id: number, comment: string) =>
    request<PassApplication>(`/api/passes/${id}/reject`, json('POST', { comment })),
  revokePass: (id: number, reason: string) =>
    request<PassApplication>(`/api/passes/${id}/revoke`, json('POST', { reason })),
  passQrUrl: (id: number, format: 'svg' | 'png') => `/api/passes/${id}/qr.${format}`,
  routes: () => request<GeoJSON.FeatureCollection>('/api/routes'),
  // Checkpoints
  checkpoints: async () =>
    itemsOf(await request<Checkpoint[] | { items?: Checkpoint[] }>('/api/checkpoints')),
  passages: (checkpointId: string, after: number, waitMs: number, signal?: AbortSignal) =>
    request<{ items: Passage[]; last_id: number }>(
      `/api/checkpoints/${encodeURIComponent(checkpointId)}/passages${query({ after, wait_ms: waitMs })}`,
      { signal },
    ),
  scan: (checkpointId: string, token: string) =>
    request<DecisionResult>(
      `/api/checkpoints/${encodeURIComponent(checkpointId)}/scans`,
      json('POST', { token }),
    ),
  override: (passageId: number, decision: Decision, reason: string) =>
    request<DecisionResult & Partial<Passage>>(
      `/api/passages/${passageId}/override`,
      json('POST', { decision, reason }),
    ),
  inCity: (offset: number, limit: number) =>
    request<{ total: number; items: InCityVehicle[] }>(`/api/in-city${query({ offset, limit })}`), // Monitoring and alarms (issue 6)
  monitorVehicles: () => request<{ vehicles: MonitorVehicle[] }>('/api/monitor/vehicles'),
  monitorVehicle: (terminal: string) =>
    request<{
      vehicle: MonitorVehicle;
      pass: PassApplication | null;
      drivers: MonitorDriver[];
      alarms: Alarm[];
      track: TrackPoint[];
      carrier?: { credit_code: string; name: string | null } | null;
    }>(`/api/monitor/vehicles/${encodeURIComponent(terminal)}`),
  // A vehicle's stored track (positions.read), with the stated purpose (audited).
  track: (terminal: string, from: number, to: number, purpose: string) =>
    request<{ count: number; positions: Array<{ lat: number; lon: number }> }>(
      `/api/track${query({ terminal, from, to, purpose, limit: 5000 })}`,
    ),
  // A text to the terminal's display (JT/T 808 0x8300), terminals.command.
  sendText: (terminal: string, text: string) =>
    request<{ id: number }>(
      `/api/terminals/${encodeURIComponent(terminal)}/commands`,
      json('POST', { type: 'text', text }),
    ),
  alarms: (params: Record<string, string | number>) =>
    request<AlarmPage>(`/api/alarms${query(params)}`),
  alarm: (id: number | string) =>
    request<{ alarm: Alarm; steps: AlarmStep[]; track: TrackPoint[] }>(`/api/alarms/${id}`),
  alarmAction: (id: number, action: AlarmAction, body: Record<string, string>) =>
    request<{ alarm: Alarm }>(`/api/alarms/${id}/${action}`, json('POST', body)),
  // One step with one comment on many alarms; each alarm's result is reported.
  alarmBulk: (body: { action: AlarmAction; ids: number[]; note?: string; to?: string }) =>
    request<AlarmBulkResult>('/api/alarms/bulk', json('POST', body)),
  alarmExportUrl: (params: Record<string, string | number>) =>
    `/api/alarms/export.csv${query(params)}`,
  zones: () => request<{ zones: Zone[] }>('/api/monitor/zones'),
  createZone: (zone: ZoneInput) =>
    request<{ zone: Zone }>('/api/monitor/zones', json('POST', zone)),
  updateZone: (code: string, zone: ZoneInput) =>
    request<{ zone: Zone }>(`/api/monitor/zones/${encodeURIComponent(code)}`, json('PUT', zone)),
  deleteZone: (code: string) =>
    request<unknown>(`/api/monitor/zones/${encodeURIComponent(code)}`, { method: 'DELETE' }),
  monitorRules: () => request<{ settings: RuleSettings }>('/api/monitor/rules'),
  saveMonitorRules: (settings: RuleSettings) =>
    request<{ settings: RuleSettings }>('/api/monitor/rules', json('PUT', { settings })),
  // Geography (issue 14): a 422 answers with the per-feature errors, returned as the result.
  geoLayers: () => request<{ layers: GeoLayerVersion[] }>('/api/geo/layers'),
  geoLayer: (kind: GeoLayerKind) =>
    request<GeoJSON.FeatureCollection>(`/api/geo/layers/${encodeURIComponent(kind)}`),
  geoVersions: (kind: GeoLayerKind) =>
    request<{ versions: GeoLayerVersion[] }>(
      `/api/geo/layers/${encodeURIComponent(kind)}/versions`,
    ),
  geoUpload: (step: 'preview' | 'import', options: GeoUploadOptions, file: File) =>
    request<GeoDraft>(`/api/geo/${step}${query({ ...options, file_name: file.name })}`, {
      method: 'POST',
      body: file,
      contentType: 'application/octet-stream',
      acceptStatus: [422],
    }),
  geoPutFeature: (kind: GeoLayerKind, code: string, feature: GeoJSON.Feature) =>
    request<GeoDraft>(
      `/api/geo/layers/${encodeURIComponent(kind)}/features/${encodeURIComponent(code)}`,
      { ...json('PUT', feature), acceptStatus: [422] },
    ),
  // Accounts (issue 13): one's own password; the users and a reset for users.manage.
  changePassword: (oldPassword: string, newPassword: string) =>
    request<{ ok: boolean; user: User }>(
      '/api/auth/password',
      json('POST', { old_password: oldPassword, new_password: newPassword }),
    ),
  users: () => request<{ items: ListedUser[] }>('/api/users'),
  resetPassword: (username: string) =>
    request<{ username: string; one_time_password: string }>(
      `/api/users/${encodeURIComponent(username)}/password-reset`,
      { method: 'POST' },
    ),
};
