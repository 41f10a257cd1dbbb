// The HTTP client for /api (contract: notes/api.md). The session is the HttpOnly cookie the login
// sets, so requests are plain same-origin fetches. Any 401 sends the user back to the login page.
import { t } from './i18n';

export interface User {
  username: string;
  display_name: string;
  role: string;
  role_name: string;
  department: string;
  district: string | null;
  carrier_credit_code: string | null;
  permissions: string[];
}

export interface UiConfig {
  tile_url: string;
  tile_attribution: string;
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
    });
  } catch {
    throw new ApiError(0, 'network', t('error_network'));
  }
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    const apiError = new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `${t('error_generic')} (HTTP ${response.status})`,
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
};
