// Chinese first; English on request. The choice is remembered in localStorage.
export type Lang = 'zh' | 'en';

const STORAGE_KEY = 'baotong.lang';

const DICT: Record<string, [zh: string, en: string]> = {
  app_title: ['保通 · 城市货运数据共享平台', 'Baotong · City Freight Data Sharing'],
  app_short: ['保通', 'Baotong'],
  switch_lang: ['English', '中文'],
  demo_data: ['演示数据', 'Demo data'],
  // Login
  login_title: ['用户登录', 'Sign in'],
  username: ['用户名', 'Username'],
  password: ['密码', 'Password'],
  login: ['登录', 'Sign in'],
  logging_in: ['正在登录…', 'Signing in…'],
  login_required: ['请输入用户名和密码', 'Enter your username and password'],
  logout: ['退出', 'Sign out'],
  // Navigation
  nav_map: ['实时地图', 'Live map'],
  nav_registry: ['登记信息', 'Registry'],
  nav_imports: ['数据导入', 'Data import'],
  kind_carriers: ['运输企业', 'Carriers'],
  kind_vehicles: ['车辆', 'Vehicles'],
  kind_drivers: ['驾驶员', 'Drivers'],
  kind_terminals: ['车载终端', 'Terminals'],
  kind_health_records: ['健康记录', 'Health records'],
  kind_sites: ['指定场所', 'Designated sites'],
  // Lists
  search: ['搜索', 'Search'],
  search_placeholder: ['输入关键字（编号、名称）', 'Keyword (key or name)'],
  all_statuses: ['全部状态', 'All statuses'],
  all_classes: ['全部车辆类型', 'All vehicle classes'],
  all_districts: ['全部区县', 'All districts'],
  export_excel: ['导出Excel', 'Export Excel'],
  total_n: ['共 {n} 条', '{n} records'],
  page_n: ['第 {from}–{to} 条', '{from}–{to}'],
  prev_page: ['上一页', 'Previous'],
  next_page: ['下一页', 'Next'],
  no_records: ['暂无数据', 'No records'],
  loading: ['加载中…', 'Loading…'],
  masked_short: ['脱敏', 'masked'],
  masked_hint: ['已脱敏：按您的角色权限部分隐藏', 'Masked: partly hidden for your role'],
  back_to_list: ['返回列表', 'Back to list'],
  // Credential
  status_valid: ['有效', 'Valid'],
  status_expiring: ['即将到期', 'Expiring'],
  status_expired: ['已过期', 'Expired'],
  status_missing: ['缺失', 'Missing'],
  credential_status: ['证照状态', 'Credential status'],
  credential_item: ['证照', 'Credential'],
  valid_until: ['有效期至', 'Valid until'],
  note: ['说明', 'Note'],
  reasons: ['原因', 'Reasons'],
  record_detail: ['详细信息', 'Details'],
  // Imports
  import_title: ['数据导入', 'Data import'],
  import_kind: ['数据类型', 'Kind'],
  import_file: ['选择文件（CSV / JSON）', 'File (CSV / JSON)'],
  import_upload: ['上传导入', 'Upload'],
  import_template: ['下载空白模板', 'Download empty template'],
  import_no_file: ['请选择要导入的文件', 'Choose a file to import'],
  import_running: ['导入中', 'Importing'],
  import_done: ['导入完成', 'Import finished'],
  import_failed: ['导入失败', 'Import failed'],
  import_inserted: ['新增', 'Inserted'],
  import_updated: ['更新', 'Updated'],
  import_unchanged: ['未变', 'Unchanged'],
  import_rejected: ['拒绝', 'Rejected'],
  import_rejections: ['拒绝明细', 'Rejected rows'],
  import_rejections_csv: ['下载拒绝明细 (CSV)', 'Download rejections (CSV)'],
  import_row: ['行号', 'Row'],
  import_column: ['列', 'Column'],
  import_reason: ['原因', 'Reason'],
  import_history: ['导入记录', 'Past imports'],
  import_none_allowed: ['您没有导入数据的权限', 'You may not import data'],
  import_file_name: ['文件名', 'File'],
  import_status: ['状态', 'Status'],
  import_user: ['导入人', 'By'],
  import_started: ['开始时间', 'Started'],
  import_progress: ['进度', 'Progress'],
  import_id: ['编号', 'No.'],
  // Map
  map_online: ['在线车辆', 'Vehicles online'],
  map_with_position: ['有位置车辆', 'With a position'],
  map_updated: ['更新于', 'Updated'],
  map_no_tiles: ['未配置底图，仅显示矢量图层', 'No base map configured: vector layers only'],
  plate: ['车牌号码', 'Plate'],
  terminal: ['终端手机号', 'Terminal'],
  speed: ['速度', 'Speed'],
  time: ['时间', 'Time'],
  site_kind: ['类型', 'Kind'],
  district: ['所属区县', 'District'],
  // Errors
  error_generic: ['操作失败', 'Request failed'],
  error_network: ['无法连接服务器', 'Cannot reach the server'],
  forbidden_page: ['您没有访问此页面的权限', 'You may not open this page'],
  not_found_page: ['页面不存在', 'Page not found'],
};

let lang: Lang = readLang();

function readLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function currentLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
}

// t('total_n', {n: 3}) -> "共 3 条". An unknown key shows itself, so a gap is visible, not fatal.
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const entry = DICT[key];
  let text = entry ? entry[lang === 'zh' ? 0 : 1] : key;
  for (const [name, value] of Object.entries(vars))
    text = text.split(`{${name}}`).join(String(value));
  return text;
}

// For labels kept beside their data (field names): [中文, English].
export function pick(pair: readonly [string, string]): string {
  return lang === 'zh' ? pair[0] : pair[1];
}
