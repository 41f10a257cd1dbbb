// The issue-7 API: 协查 (area and vehicle queries, a vehicle's track, their Excel exports), the
// freight statistics, the command centre's overview and the economic indicators. Contracts:
// notes/web7.md and notes/stats7.md ("HTTP contract"). Exports of a POSTed query come back as a
// file, which is handed to the browser as a download.
import { ApiError, query, request } from './api';
import { t } from './i18n';
import { can, session } from './state';

export const canInvestigate = () => can('investigations.run');
export const canReadStats = () => can('stats.read');
export const canImportIndicators = () => can('indicators.import');

// ---- 协查

export type InvestigationArea =
  | { type: 'circle'; lat: number; lon: number; radius_m: number }
  | { type: 'polygon'; points: Array<[number, number]> };

export interface AreaQuery {
  area: InvestigationArea;
  from_ms: number;
  to_ms: number;
  purpose: string;
}

export interface CarrierRef {
  name: string;
  credit_code: string;
}

// The ID number comes masked as the user's role requires.
export interface DriverRef {
  name: string;
  id_number: string;
}

export interface Crossing {
  checkpoint: string;
  time_ms: number;
}

export interface AreaVehicle {
  terminal: string;
  plate: string;
  plate_color: number;
  vehicle_class: string;
  vehicle_class_name: string;
  district: string;
  carrier: CarrierRef | null;
  drivers: DriverRef[];
  first_ms: number;
  last_ms: number;
  reports: number;
  // Only passed through between two reports (one outside before, one outside after): inferred.
  between_reports: boolean;
  entry: Crossing | null;
  exit: Crossing | null;
}

export interface AreaResult {
  query_id: number;
  count: number;
  truncated: boolean;
  vehicles: AreaVehicle[];
}

export interface VehicleQuery {
  plate: string;
  from_ms: number;
  to_ms: number;
  radius_m: number;
  margin_ms: number;
  purpose: string;
}

export interface Contact {
  terminal: string;
  plate: string;
  start_ms: number;
  end_ms: number;
  distance_m: number;
  carrier: CarrierRef | null;
  drivers: DriverRef[];
}

export interface Stop {
  start_ms: number;
  end_ms: number;
  lat: number;
  lon: number;
  duration_s: number;
  contacts: Contact[];
}

export interface VehicleResult {
  vehicle: { terminal: string; plate: string };
  stops: Stop[];
}

export interface TrackQuery {
  terminal: string;
  from_ms: number;
  to_ms: number;
  purpose: string;
}

export interface TrackPosition {
  lat: number;
  lon: number;
  time_ms: number;
  speed_kmh: number;
}

// ---- statistics

export interface StatsSeries {
  id: string;
  name: string;
  unit: string;
  values: Array<number | null>;
}

export interface FreightStats {
  from: string;
  to: string;
  by: 'day' | 'week';
  periods: string[];
  series: StatsSeries[];
  by_checkpoint: Array<{
    checkpoint_id: string;
    name: string;
    entries: number[];
    exits: number[];
  }>;
  tonnage_by_cargo: Array<{ category: string; values: number[] }>;
  od_flows: Array<{
    origin: string;
    destination: string;
    destination_name: string;
    trips: number;
    tonnage_t: number;
  }>;
  dwell: {
    count: number;
    median_h: number | null;
    p90_h: number | null;
    histogram: Array<{ label: string; count: number }>;
  };
  alarms_by_kind: Array<{
    kind: string;
    name: string;
    count: number;
    closed: number;
    median_close_min: number | null;
    p90_close_min: number | null;
  }>;
  filters: { classes: Array<{ id: string; name: string }>; cargo_categories: string[] };
}

export interface FreightParams {
  from: string;
  to: string;
  by: 'day' | 'week';
  class?: string;
  cargo?: string;
}

export interface Overview {
  now_ms: number;
  in_city_now: number;
  entered_today: number;
  exited_today: number;
  open_alarms: Record<string, number>;
  hourly: { hours: number[]; entries: number[]; exits: number[]; alarms: number[] };
}

export interface Indicator {
  name: string;
  unit: string;
  periods: string[];
  values: number[];
}

export interface IndicatorImport {
  imported: number;
  replaced: number;
  rejected: Array<{ row: number; reason: string }>;
}

export interface Correlation {
  indicator: string;
  series: string;
  periods: string[];
  indicator_values: Array<number | null>;
  freight_values: Array<number | null>;
  lags: Array<{ lag: number; r: number | null; n: number }>;
  best: { lag: number; r: number; n: number } | null;
  reading: string;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return request<T>(path, {
    method: 'POST',
    body: JSON.stringify(body),
    contentType: 'application/json',
  });
}

// "attachment; filename*=UTF-8''%E5%8D%8F.xlsx" or filename="x.xlsx" -> the name.
function attachmentName(disposition: string | null): string | null {
  if (!disposition) return null;
  const encoded = /filename\*\s*=\s*(?:UTF-8'[^']*')?([^;]+)/i.exec(disposition);
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1].trim().replace(/^"|"$/g, ''));
    } catch {
      // Fall through to the plain name.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1].trim() : null;
}

// POSTs a query whose answer is a file and saves it through the browser; returns the file name.
export async function downloadPost(path: string, body: unknown, fallbackName: string) {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', t('error_network'));
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let error: { code?: string; message?: string; field?: string } | undefined;
    try {
      error = JSON.parse(text)?.error;
    } catch {
      error = undefined;
    }
    if (response.status === 401) {
      session.user = null;
      location.hash = '#/login';
    }
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `${t('error_generic')} (HTTP ${response.status})`,
      error?.field,
    );
  }
  const blob = await response.blob();
  const name = attachmentName(response.headers.get('Content-Disposition')) ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later: the browser reads the blob after the click returns.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

function freightQuery(params: FreightParams): string {
  return query({ ...params });
}

export const analysisApi = {
  area: (body: AreaQuery) => post<AreaResult>('/api/investigations/area', body),
  exportArea: (body: AreaQuery) =>
    downloadPost('/api/investigations/area/export', body, '区域协查.xlsx'),
  vehicle: (body: VehicleQuery) => post<VehicleResult>('/api/investigations/vehicle', body),
  exportVehicle: (body: VehicleQuery) =>
    downloadPost('/api/investigations/vehicle/export', body, '车辆协查.xlsx'),
  track: (body: TrackQuery) =>
    post<{ positions: TrackPosition[] }>('/api/investigations/track', body),
  freight: (params: FreightParams) =>
    request<FreightStats>(`/api/stats/freight${freightQuery(params)}`),
  freightXlsxUrl: (params: FreightParams) => `/api/stats/freight.xlsx${freightQuery(params)}`,
  overview: () => request<Overview>('/api/stats/overview'),
  indicators: () => request<{ indicators: Indicator[] }>('/api/indicators'),
  importIndicators: (file: File) =>
    request<IndicatorImport>('/api/indicators/import', {
      method: 'POST',
      body: file,
      contentType: 'text/csv',
    }),
  correlation: (indicator: string, series: string, maxLag = 3) =>
    request<Correlation>(
      `/api/indicators/correlation${query({ indicator, series, max_lag: maxLag })}`,
    ),
};
