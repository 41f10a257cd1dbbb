// How each kind of record is labelled and shown: field labels (中文, English), the columns of the
// list, the key a record is opened by, and formatting of values (dates, times, status badges).
import type { RegistryRecord } from './api';
import { el } from './dom';
import { currentLang, named, pick, t } from './i18n';
import type { Kind } from './state';

type Label = readonly [string, string];

export const FIELD_LABELS: Record<string, Label> = {
  // carriers
  credit_code: ['统一社会信用代码', 'Credit code'],
  name: ['名称', 'Name'],
  district: ['所属区县', 'District'],
  address: ['地址', 'Address'],
  business_permit_no: ['道路运输经营许可证号', 'Business permit no.'],
  business_permit_valid_until: ['经营许可证有效期至', 'Business permit valid until'],
  contact_phone: ['联系电话', 'Contact phone'],
  vehicle_count: ['车辆数', 'Vehicles'],
  // vehicles
  plate: ['车牌号码', 'Plate'],
  plate_color: ['车牌颜色', 'Plate colour'],
  plate_color_name: ['车牌颜色', 'Plate colour'],
  vehicle_class: ['车辆类型代码', 'Vehicle class id'],
  vehicle_class_name: ['车辆类型', 'Vehicle class'],
  carrier_credit_code: ['所属企业信用代码', 'Carrier credit code'],
  carrier_name: ['所属运输企业', 'Carrier'],
  vin: ['车辆识别代号', 'VIN'],
  transport_cert_no: ['道路运输证号', 'Transport certificate no.'],
  transport_cert_valid_until: ['道路运输证有效期至', 'Transport certificate valid until'],
  insurance_valid_until: ['交强险有效期至', 'Insurance valid until'],
  credential_status: ['证照状态', 'Credential status'],
  // drivers
  id_number: ['身份证号', 'ID number'],
  phone: ['手机号码', 'Phone'],
  licence_class: ['准驾车型', 'Licence class'],
  licence_valid_until: ['驾驶证有效期至', 'Licence valid until'],
  qualification_cert_no: ['从业资格证号', 'Qualification certificate no.'],
  qualification_category: ['从业资格类别', 'Qualification category'],
  qualification_valid_until: ['从业资格证有效期至', 'Qualification valid until'],
  // terminals
  terminal_id: ['终端ID', 'Terminal ID'],
  maker: ['制造商编号', 'Maker ID'],
  model: ['终端型号', 'Model'],
  // health records
  id: ['编号', 'No.'],
  kind: ['类型', 'Kind'],
  result: ['结果', 'Result'],
  tested_at: ['检测时间', 'Tested at'],
  valid_until: ['有效期至', 'Valid until'],
  // sites
  code: ['场所编码', 'Site code'],
  kind_name: ['场所类型', 'Site kind'],
  geometry: ['空间范围', 'Geometry'],
};

// Kind-specific wording where the shared label would mislead.
const KIND_LABELS: Partial<Record<Kind, Record<string, Label>>> = {
  carriers: { name: ['企业名称', 'Company name'] },
  drivers: { name: ['姓名', 'Name'] },
  terminals: {
    phone: ['终端手机号', 'SIM number'],
    plate_color: ['车牌颜色', 'Plate colour'],
  },
  health_records: { name: ['姓名', 'Name'], kind: ['检测类型', 'Test kind'] },
  sites: { name: ['场所名称', 'Site name'] },
};

export function fieldLabel(kind: Kind, field: string): string {
  const label = KIND_LABELS[kind]?.[field] ?? FIELD_LABELS[field];
  return label ? pick(label) : field;
}

// Detail page order; fields the server adds beyond these are shown after them.
export const DETAIL_FIELDS: Record<Kind, string[]> = {
  carriers: [
    'credit_code',
    'name',
    'district',
    'address',
    'business_permit_no',
    'business_permit_valid_until',
    'contact_phone',
    'vehicle_count',
  ],
  vehicles: [
    'plate',
    'plate_color_name',
    'vehicle_class_name',
    'carrier_name',
    'carrier_credit_code',
    'district',
    'vin',
    'transport_cert_no',
    'transport_cert_valid_until',
    'insurance_valid_until',
    'credential_status',
  ],
  drivers: [
    'id_number',
    'name',
    'phone',
    'licence_class',
    'licence_valid_until',
    'qualification_cert_no',
    'qualification_category',
    'qualification_valid_until',
    'carrier_credit_code',
    'credential_status',
  ],
  terminals: ['phone', 'terminal_id', 'maker', 'model', 'plate', 'plate_color'],
  health_records: ['id', 'id_number', 'name', 'kind', 'result', 'tested_at', 'valid_until'],
  sites: ['code', 'name', 'kind_name', 'district', 'geometry'],
};

// Not shown as fields: shown elsewhere (credential block, masked markers) or through their
// readable twin (plate_color_name, vehicle_class_name, kind_name).
const NOT_FIELDS: Partial<Record<Kind, string[]>> = {
  vehicles: ['plate_color', 'vehicle_class'],
  sites: ['kind'],
};

export function detailFields(kind: Kind, record: RegistryRecord): string[] {
  const fields = [...DETAIL_FIELDS[kind]];
  const skip = new Set(['masked', 'credential', 'key', ...(NOT_FIELDS[kind] ?? [])]);
  for (const name of Object.keys(record)) {
    if (!fields.includes(name) && !skip.has(name)) fields.push(name);
  }
  return fields;
}

export const LIST_COLUMNS: Record<Kind, string[]> = {
  carriers: [
    'credit_code',
    'name',
    'district',
    'business_permit_valid_until',
    'contact_phone',
    'vehicle_count',
  ],
  vehicles: [
    'plate',
    'plate_color_name',
    'vehicle_class_name',
    'carrier_name',
    'district',
    'transport_cert_valid_until',
    'insurance_valid_until',
    'credential_status',
  ],
  drivers: [
    'id_number',
    'name',
    'phone',
    'licence_class',
    'qualification_category',
    'credential_status',
  ],
  terminals: ['phone', 'terminal_id', 'maker', 'model', 'plate'],
  health_records: ['id_number', 'name', 'kind', 'result', 'tested_at', 'valid_until'],
  sites: ['code', 'name', 'kind_name', 'district'],
};

// Filters each list offers (the server accepts them all; these are the ones that mean something).
export const HAS_STATUS = new Set<Kind>(['vehicles', 'drivers']);
export const HAS_DISTRICT = new Set<Kind>(['carriers', 'vehicles', 'sites']);

export const VEHICLE_CLASSES: ReadonlyArray<readonly [string, Label]> = [
  ['tour_bus', ['旅游客车', 'Tour bus']],
  ['line_bus', ['班线客车', 'Line bus']],
  ['hazardous', ['危险货物运输车', 'Hazardous goods']],
  ['heavy_truck', ['重型货车', 'Heavy truck']],
  ['truck', ['普通货车', 'Truck']],
];

// The districts of Anshan, used when the map layers cannot be read for the filter.
export const FALLBACK_DISTRICTS = [
  '铁东区',
  '铁西区',
  '立山区',
  '千山区',
  '海城市',
  '台安县',
  '岫岩满族自治县',
];

// The key a record is opened by (contract: "keys" in notes/api.md). A server-given `key` wins:
// it stays usable where the natural key is masked.
export function recordKey(kind: Kind, record: RegistryRecord): string {
  if (typeof record.key === 'string' && record.key) return record.key;
  switch (kind) {
    case 'carriers':
      return String(record.credit_code ?? '');
    case 'vehicles':
      return `${record.plate ?? ''}-${record.plate_color ?? ''}`;
    case 'drivers':
      return String(record.id_number ?? '');
    case 'terminals':
      return String(record.phone ?? '');
    case 'health_records':
      return String(record.id ?? '');
    case 'sites':
      return String(record.code ?? '');
  }
}

// A record's key as staff read it: a vehicle "辽C12345-2" is "辽C12345（黄色牌）".
export function keyTitle(kind: Kind, key: string): string {
  const vehicle = kind === 'vehicles' ? /^(.+)-(\d+)$/.exec(key) : null;
  if (!vehicle) return key;
  const color = PLATE_COLORS[Number(vehicle[2])];
  return color ? t('plate_with_color', { plate: vehicle[1], color: pick(color) }) : vehicle[1];
}

const PLATE_COLORS: Record<number, [string, string]> = {
  0: ['未上牌', 'unregistered'],
  1: ['蓝', 'blue'],
  2: ['黄', 'yellow'],
  3: ['黑', 'black'],
  4: ['白', 'white'],
  5: ['绿', 'green'],
  9: ['其他', 'other'],
};

export const STATUSES = ['valid', 'expiring', 'expired', 'missing'] as const;

export function statusBadge(status: unknown, testid = 'status-badge'): HTMLElement {
  const known = (STATUSES as readonly string[]).includes(String(status));
  return el(
    'span',
    {
      class: `badge badge-${known ? status : 'unknown'}`,
      testid,
      'data-status': String(status ?? ''),
    },
    known ? t(`status_${status}`) : String(status ?? '—'),
  );
}

const chinaTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

// Epoch milliseconds as China time, "2026/11/26 17:05:01".
export function formatTime(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return '—';
  return chinaTime.format(new Date(ms));
}

const TIME_FIELDS = new Set(['tested_at', 'started_at', 'finished_at']);

// A field value as text: times formatted, geometry summarised, nothing shown as "—".
export function formatValue(field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (TIME_FIELDS.has(field) || field.endsWith('_ms')) return formatTime(value);
  if (field === 'plate_color' && PLATE_COLORS[Number(value)]) {
    const code = Number(value);
    const suffix = currentLang() === 'zh' && code !== 0 && code !== 9 ? '色' : '';
    return `${pick(PLATE_COLORS[code])}${suffix}`;
  }
  if (field === 'geometry') {
    const geometry = typeof value === 'string' ? safeParse(value) : value;
    const type = (geometry as { type?: string } | null)?.type;
    return type ? named('geometry_', type) : '—';
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// A value cell: status badges for credential status, and a masked marker where the role hides part.
export function valueNode(field: string, record: RegistryRecord): Node {
  const value = record[field];
  if (field === 'credential_status') return statusBadge(value);
  const masked = Array.isArray(record.masked) && record.masked.includes(field);
  const text = formatValue(field, value);
  if (!masked) return document.createTextNode(text);
  const hint = t('masked_hint');
  return el(
    'span',
    { class: 'masked', title: hint, 'data-masked': 'true' },
    text,
    // The marker's word comes from CSS, so the cell's text stays the value as the server gave it.
    el('span', {
      class: 'masked-icon',
      testid: 'masked-indicator',
      title: hint,
      'aria-label': hint,
      'data-label': t('masked_short'),
    }),
  );
}
