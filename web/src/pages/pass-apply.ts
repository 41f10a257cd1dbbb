// 通行证申请: a carrier applies for one of its own vehicles (transport staff for any vehicle):
// vehicle, driver(s), cargo (dangerous goods with UN number and class), origin, destination
// sites, the route (a published route or waypoints clicked on the map), the entry window and the
// planned exit, in China time. The answer shows the status and every automatic check.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { api, type PassApplication, type PassApplicationInput, type RegistryRecord } from '../api';
import { clear, el, textLabel } from '../dom';
import { statusBadge } from '../fields';
import { t } from '../i18n';
import {
  checksTable,
  errorText,
  fromChinaLocal,
  passStatusBadge,
  routeId,
  routeName,
  routesLayer,
  toChinaLocal,
} from '../pass-ui';
import { can, session } from '../state';
import { button, errorBox } from '../widgets';
import { disposeMap } from '../map-teardown';
import { baseMap } from './map';

const PLATE_COLORS: Array<[number, string]> = [
  [2, '黄色'],
  [1, '蓝色'],
  [5, '绿色'],
  [3, '黑色'],
  [4, '白色'],
  [9, '其他'],
];
const CARGO_CATEGORIES = [
  '生活物资',
  '医疗防疫物资',
  '生产物资',
  '冷链食品',
  '建筑材料',
  '危险货物',
];
// GB 6944 classes of dangerous goods.
const HAZARD_CLASSES: Array<[string, string]> = [
  ['1', '1 爆炸品'],
  ['2', '2 气体'],
  ['3', '3 易燃液体'],
  ['4', '4 易燃固体、易于自燃的物质、遇水放出易燃气体的物质'],
  ['5', '5 氧化性物质和有机过氧化物'],
  ['6', '6 毒性物质和感染性物质'],
  ['7', '7 放射性物质'],
  ['8', '8 腐蚀性物质'],
  ['9', '9 杂项危险物质和物品'],
];
const MAX_DRIVERS = 3;
const LIST_LIMIT = 1000;
const HOUR_MS = 3600 * 1000;

// Every page of a registry list (a carrier's own records are few; staff lists are capped).
async function listAll(kind: string, params: Record<string, string | number>, maxPages = 3) {
  const items: RegistryRecord[] = [];
  for (let page = 0; page < maxPages; page++) {
    const result = await api.list(kind, {
      ...params,
      offset: page * LIST_LIMIT,
      limit: LIST_LIMIT,
    });
    items.push(...result.items);
    if (items.length >= result.total || result.items.length === 0) break;
  }
  return items;
}

// The value sent for a driver: the ID number, or the server's opaque key where it is masked.
function driverValue(driver: RegistryRecord): string {
  const masked = Array.isArray(driver.masked) && driver.masked.includes('id_number');
  return String(
    masked || !driver.id_number ? (driver.key ?? driver.id_number ?? '') : driver.id_number,
  );
}

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return el(
    'label',
    { class: 'field' },
    el('span', { class: 'field-label' }, label),
    control,
    hint ? el('span', { class: 'field-hint' }, hint) : null,
  );
}

export function renderPassApply(content: HTMLElement): () => void {
  clear(content);
  let live = true;
  const user = session.user!;
  const ownCarrier = user.carrier_credit_code || null;

  // ---- vehicle
  const vehicleSelect = el(
    'select',
    { class: 'input wide', testid: 'apply-vehicle' },
    el('option', { value: '' }, t('choose_vehicle')),
  );
  const vehicles = new Map<string, RegistryRecord>();
  const plateInput = el('input', {
    class: 'input',
    testid: 'apply-plate',
    placeholder: '辽C12345',
  });
  const colorSelect = el(
    'select',
    { class: 'input', testid: 'apply-plate-color' },
    ...PLATE_COLORS.map(([code, name]) => el('option', { value: code }, name)),
  );
  const carrierInput = el('input', {
    class: 'input wide',
    testid: 'apply-carrier',
    placeholder: t('carrier_code_hint'),
  });
  const vehicleFields = ownCarrier
    ? [field(t('vehicle'), vehicleSelect)]
    : [
        field(t('plate'), plateInput),
        field(t('plate_color'), colorSelect),
        field(t('carrier_code'), carrierInput),
      ];

  // ---- drivers
  const driverSelects = Array.from({ length: MAX_DRIVERS }, (_, i) =>
    el(
      'select',
      { class: 'input wide', testid: `apply-driver-${i}` },
      el('option', { value: '' }, i === 0 ? t('choose_driver') : t('no_driver')),
    ),
  );
  const driverSearch = el('input', {
    type: 'search',
    class: 'input wide',
    testid: 'apply-driver-search',
    placeholder: t('driver_search'),
  });
  const setDriverOptions = (drivers: RegistryRecord[]) => {
    for (const [i, select] of driverSelects.entries()) {
      const keep = select.value;
      while (select.options.length > 1) select.remove(1);
      for (const driver of drivers) {
        const value = driverValue(driver);
        const label = [driver.name, driver.id_number, driver.licence_class]
          .filter(Boolean)
          .join(' · ');
        const status = driver.credential_status ? ` [${statusText(driver.credential_status)}]` : '';
        select.append(
          el('option', { value, 'data-name': String(driver.name ?? '') }, label + status),
        );
      }
      if ([...select.options].some((o) => o.value === keep)) select.value = keep;
      else if (i === 0 && drivers.length === 1) select.value = driverValue(drivers[0]);
    }
  };
  const currentCarrier = (): string =>
    ownCarrier ?? (carrierInput.value.trim() || String(vehicleByPlate?.carrier_credit_code ?? ''));
  let driverGeneration = 0;
  const loadDrivers = async (q: string) => {
    const mine = ++driverGeneration;
    const carrier = currentCarrier();
    // Staff lists are the whole city: search by name/ID, or list the vehicle's carrier.
    if (!ownCarrier && !q && !carrier) return;
    try {
      const drivers = await listAll('drivers', q ? { q } : {}, ownCarrier || q ? 1 : 3);
      if (!live || mine !== driverGeneration) return;
      setDriverOptions(
        carrier
          ? drivers.filter((d) => !d.carrier_credit_code || d.carrier_credit_code === carrier)
          : drivers,
      );
    } catch (e) {
      if (live) showError(errorText(e));
    }
  };
  driverSearch.addEventListener('change', () => void loadDrivers(driverSearch.value.trim()));

  // Staff type a plate: the registered vehicle gives its colour and carrier.
  let vehicleByPlate: RegistryRecord | null = null;
  plateInput.addEventListener('change', async () => {
    vehicleByPlate = null;
    const plate = plateInput.value.trim().toUpperCase();
    if (!plate || !can('registry.read.vehicles')) return;
    try {
      const found = await api.list('vehicles', { q: plate, offset: 0, limit: 10 });
      const match = found.items.find((v) => v.plate === plate);
      if (!live || !match) return;
      vehicleByPlate = match;
      colorSelect.value = String(match.plate_color ?? colorSelect.value);
      if (!carrierInput.value) carrierInput.placeholder = String(match.carrier_credit_code ?? '');
      void loadDrivers(driverSearch.value.trim());
    } catch {
      // The server checks the vehicle anyway.
    }
  });

  // ---- kind and cargo
  const kindSelect = el(
    'select',
    { class: 'input', testid: 'apply-kind' },
    el('option', { value: 'trip' }, t('pass_kind_trip')),
    el('option', { value: 'standing' }, t('pass_kind_standing')),
  );
  const categoryInput = el('input', {
    class: 'input',
    testid: 'apply-cargo-category',
    list: 'apply-cargo-categories',
  });
  const categories = el(
    'datalist',
    { id: 'apply-cargo-categories' },
    ...CARGO_CATEGORIES.map((c) => el('option', { value: c })),
  );
  const cargoName = el('input', { class: 'input', testid: 'apply-cargo-name' });
  const cargoWeight = el('input', {
    class: 'input',
    type: 'number',
    min: 0,
    step: 1,
    testid: 'apply-cargo-weight',
  });
  const dangerous = el('input', { type: 'checkbox', testid: 'apply-dangerous' });
  const unNumber = el('input', {
    class: 'input',
    testid: 'apply-un-number',
    placeholder: 'UN1203',
  });
  const hazardClass = el(
    'select',
    { class: 'input', testid: 'apply-hazard-class' },
    el('option', { value: '' }, '—'),
    ...HAZARD_CLASSES.map(([id, label]) => el('option', { value: id }, label)),
  );
  const dangerousFields = el(
    'div',
    { class: 'form-grid', testid: 'apply-dangerous-fields', hidden: true },
    field(t('un_number'), unNumber),
    field(t('hazard_class'), hazardClass),
  );
  dangerous.addEventListener('change', () => {
    dangerousFields.hidden = !dangerous.checked;
    refreshRouteOptions();
  });
  const cargoSection = el(
    'fieldset',
    { class: 'fieldset', testid: 'apply-cargo' },
    el('legend', {}, t('cargo')),
    el(
      'div',
      { class: 'form-grid' },
      field(t('cargo_category'), categoryInput),
      field(t('cargo_name'), cargoName),
      field(t('cargo_weight'), cargoWeight),
      el('label', { class: 'field checkbox' }, dangerous, t('cargo_dangerous')),
    ),
    categories,
    dangerousFields,
  );

  // ---- origin, sites
  const origin = el('input', { class: 'input wide', testid: 'apply-origin' });
  const sitesSelect = el('select', {
    class: 'input wide sites-select',
    multiple: true,
    size: 6,
    testid: 'apply-sites',
  });
  const sites = new Map<string, RegistryRecord>();

  // ---- route and map
  const routeSelect = el(
    'select',
    { class: 'input wide', testid: 'apply-route' },
    el('option', { value: '' }, t('route_custom')),
  );
  const waypointCount = el('span', { class: 'stat-muted', testid: 'apply-waypoint-count' });
  const undo = button('apply-waypoints-undo', t('waypoints_undo'));
  const clearWaypoints = button('apply-waypoints-clear', t('waypoints_clear'));
  const waypointBar = el('div', { class: 'toolbar' }, waypointCount, undo, clearWaypoints);
  const mapNode = el('div', { class: 'map apply-map', testid: 'apply-map' });

  // ---- window
  const entryFrom = el('input', {
    class: 'input',
    type: 'datetime-local',
    testid: 'apply-entry-from',
  });
  const entryUntil = el('input', {
    class: 'input',
    type: 'datetime-local',
    testid: 'apply-entry-until',
  });
  const plannedExit = el('input', {
    class: 'input',
    type: 'datetime-local',
    testid: 'apply-planned-exit',
  });
  const exitField = field(t('planned_exit'), plannedExit, t('china_time_hint'));
  // The window opens now (to the minute), so an approved pass is in force at once.
  const now = Math.floor(Date.now() / 60000) * 60000;
  const setWindowDefaults = () => {
    const from = fromChinaLocal(entryFrom.value) ?? now;
    entryFrom.value = toChinaLocal(from);
    if (kindSelect.value === 'standing') {
      entryUntil.value = toChinaLocal(from + 30 * 24 * HOUR_MS);
    } else {
      entryUntil.value = toChinaLocal(from + 12 * HOUR_MS);
      plannedExit.value = toChinaLocal(from + 24 * HOUR_MS);
    }
  };
  setWindowDefaults();
  kindSelect.addEventListener('change', () => {
    const standing = kindSelect.value === 'standing';
    cargoSection.hidden = standing;
    exitField.hidden = standing;
    setWindowDefaults();
  });

  const submit = el(
    'button',
    { class: 'btn btn-primary', type: 'submit', testid: 'apply-submit' },
    t('submit_application'),
  );
  const error = errorBox('apply-error');
  const showError = (message: string) => {
    error.textContent = message;
    error.hidden = false;
  };
  const result = el('section', { class: 'card', testid: 'apply-result', hidden: true });

  const form = el(
    'form',
    { class: 'card apply-form', testid: 'apply-form', novalidate: true },
    el('div', { class: 'form-grid' }, field(t('pass_kind'), kindSelect)),
    el(
      'fieldset',
      { class: 'fieldset' },
      el('legend', {}, t('vehicle')),
      el('div', { class: 'form-grid' }, ...vehicleFields),
    ),
    el(
      'fieldset',
      { class: 'fieldset' },
      el('legend', {}, t('drivers')),
      ownCarrier ? null : field(t('search'), driverSearch),
      el(
        'div',
        { class: 'form-grid' },
        ...driverSelects.map((s, i) =>
          field(t('driver_n', { n: i + 1 }) + (i > 0 ? t('optional') : ''), s),
        ),
      ),
    ),
    cargoSection,
    el(
      'fieldset',
      { class: 'fieldset' },
      el('legend', {}, t('route')),
      el(
        'div',
        { class: 'form-grid' },
        field(t('origin'), origin),
        field(t('destination_sites'), sitesSelect, t('destination_hint')),
        field(t('route'), routeSelect),
      ),
      waypointBar,
    ),
    el(
      'fieldset',
      { class: 'fieldset' },
      el('legend', {}, t('window')),
      el(
        'div',
        { class: 'form-grid' },
        field(t('entry_from'), entryFrom, t('china_time_hint')),
        field(t('entry_until'), entryUntil, t('china_time_hint')),
        exitField,
      ),
    ),
    error,
    el('div', { class: 'form-actions' }, submit),
  );
  content.append(
    el('h2', { class: 'page-title' }, t('nav_pass_apply')),
    el('div', { class: 'apply-layout' }, form, el('div', { class: 'apply-side' }, mapNode)),
    result,
  );

  // ---- the map: published routes, the chosen sites, clicked waypoints
  // Clicks add waypoints, so a double click must not zoom as well.
  const map = baseMap(mapNode, { doubleClickZoom: false });
  api.mapLayers().then(
    (layers) => {
      if (!live) return;
      // The city and its districts only: sites are drawn as chosen, other layers are not needed.
      const boundary = layers.features.filter((f) =>
        ['boundary', 'district'].includes(String(f.properties?.layer)),
      );
      const layer = L.geoJSON(
        { type: 'FeatureCollection', features: boundary } as GeoJSON.FeatureCollection,
        {
          style: (f) =>
            f?.properties?.layer === 'boundary'
              ? { color: '#0b3a6e', weight: 3, fill: false }
              : { color: '#4a78b5', weight: 1, dashArray: '4 3', fillOpacity: 0.08 },
          interactive: false,
        },
      ).addTo(map);
      layer.bringToBack();
      if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { animate: false });
    },
    () => {},
  );
  let routes: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };
  let routeLayer: L.GeoJSON | null = null;
  const drawRoutes = () => {
    routeLayer?.remove();
    routeLayer = routesLayer(routes, routeSelect.value || undefined).addTo(map);
    const chosen = routes.features.find((f) => routeId(f) === routeSelect.value);
    if (chosen) {
      const bounds = L.geoJSON(chosen).getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [30, 30], animate: false });
    }
  };
  const refreshRouteOptions = () => {
    for (const option of [...routeSelect.options].slice(1)) {
      const feature = routes.features.find((f) => routeId(f) === option.value);
      if (feature && dangerous.checked && !feature.properties?.allows_hazardous) {
        option.classList.add('route-no-hazardous');
      } else {
        option.classList.remove('route-no-hazardous');
      }
    }
  };
  api.routes().then(
    (collection) => {
      if (!live) return;
      routes = collection;
      for (const feature of routes.features) {
        const id = routeId(feature);
        if (!id) continue;
        const hazardous = feature.properties?.allows_hazardous
          ? `（${t('route_hazardous_ok')}）`
          : '';
        routeSelect.append(el('option', { value: id }, routeName(feature) + hazardous));
      }
      // A published route is the usual choice; waypoints stay one option away.
      if (routeSelect.options.length > 1 && waypoints.length === 0) routeSelect.selectedIndex = 1;
      updateWaypointUi();
      drawRoutes();
      mapNode.dataset.routes = String(routes.features.length);
    },
    () => {
      if (live) mapNode.dataset.routes = '0';
    },
  );
  routeSelect.addEventListener('change', () => {
    updateWaypointUi();
    drawRoutes();
  });

  const waypoints: Array<[number, number]> = [];
  const waypointLayer = L.layerGroup().addTo(map);
  const updateWaypointUi = () => {
    const custom = routeSelect.value === '';
    waypointBar.hidden = !custom;
    mapNode.classList.toggle('picking', custom);
    waypointCount.textContent = t('waypoints_n', { n: waypoints.length });
    waypointCount.dataset.count = String(waypoints.length);
    waypointLayer.clearLayers();
    if (!custom) return;
    if (waypoints.length > 1) {
      L.polyline(waypoints, { color: '#c8102e', weight: 4 }).addTo(waypointLayer);
    }
    waypoints.forEach((point, i) =>
      L.circleMarker(point, { radius: 6, color: '#c8102e', fillColor: '#fff', fillOpacity: 1 })
        .bindTooltip(textLabel(String(i + 1)))
        .addTo(waypointLayer),
    );
  };
  updateWaypointUi();
  map.on('click', (event: L.LeafletMouseEvent) => {
    if (routeSelect.value !== '') return;
    waypoints.push([Number(event.latlng.lat.toFixed(6)), Number(event.latlng.lng.toFixed(6))]);
    updateWaypointUi();
  });
  undo.addEventListener('click', () => {
    waypoints.pop();
    updateWaypointUi();
  });
  clearWaypoints.addEventListener('click', () => {
    waypoints.length = 0;
    updateWaypointUi();
  });

  const siteLayer = L.layerGroup().addTo(map);
  sitesSelect.addEventListener('change', () => {
    siteLayer.clearLayers();
    for (const option of sitesSelect.selectedOptions) {
      const site = sites.get(option.value);
      let geometry = site?.geometry;
      if (typeof geometry === 'string') {
        try {
          geometry = JSON.parse(geometry);
        } catch {
          geometry = null;
        }
      }
      if (!geometry) continue;
      L.geoJSON(geometry as GeoJSON.Geometry, {
        style: { color: '#6a1b9a', weight: 2, fillOpacity: 0.3 },
        pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 8, color: '#6a1b9a' }),
      })
        .bindTooltip(textLabel(String(site?.name ?? option.value)), { permanent: true })
        .addTo(siteLayer);
    }
  });

  // ---- the registry lists behind the selects
  if (ownCarrier) {
    listAll('vehicles', {}, 1).then(
      (items) => {
        if (!live) return;
        for (const vehicle of items) {
          if (vehicle.carrier_credit_code && vehicle.carrier_credit_code !== ownCarrier) continue;
          const key = `${vehicle.plate}-${vehicle.plate_color}`;
          vehicles.set(key, vehicle);
          const status = vehicle.credential_status
            ? ` [${statusText(vehicle.credential_status)}]`
            : '';
          vehicleSelect.append(
            el(
              'option',
              { value: key, 'data-plate': String(vehicle.plate ?? '') },
              `${vehicle.plate}（${vehicle.plate_color_name ?? vehicle.plate_color}）· ${vehicle.vehicle_class_name ?? ''}${status}`,
            ),
          );
        }
        vehicleSelect.dataset.count = String(vehicles.size);
      },
      (e) => live && showError(errorText(e)),
    );
    void loadDrivers('');
  }
  listAll('sites', {}, 1).then(
    (items) => {
      if (!live) return;
      for (const site of items) {
        const code = String(site.code ?? '');
        sites.set(code, site);
        const label = [site.name, site.kind_name, site.district].filter(Boolean).join(' · ');
        sitesSelect.append(el('option', { value: code }, label));
      }
      sitesSelect.dataset.count = String(sites.size);
    },
    (e) => live && showError(errorText(e)),
  );

  // ---- submit
  const collect = (): PassApplicationInput | string => {
    let plate: string;
    let plateColor: number;
    let carrier: string | undefined;
    if (ownCarrier) {
      const vehicle = vehicles.get(vehicleSelect.value);
      if (!vehicle) return t('err_vehicle');
      plate = String(vehicle.plate);
      plateColor = Number(vehicle.plate_color);
      carrier = ownCarrier;
    } else {
      plate = plateInput.value.trim().toUpperCase();
      if (!plate) return t('err_vehicle');
      plateColor = Number(colorSelect.value);
      carrier = carrierInput.value.trim() || undefined;
    }
    const drivers = [...new Set(driverSelects.map((s) => s.value).filter(Boolean))];
    if (drivers.length === 0) return t('err_driver');
    const kind = kindSelect.value === 'standing' ? 'standing' : 'trip';
    const application: PassApplicationInput = {
      kind,
      plate,
      plate_color: plateColor,
      driver_id_numbers: drivers,
      origin: origin.value.trim(),
      destination_site_codes: [...sitesSelect.selectedOptions].map((o) => o.value),
      entry_from_ms: 0,
      entry_until_ms: 0,
      planned_exit_ms: 0,
    };
    if (carrier) application.carrier_credit_code = carrier;
    if (kind === 'trip') {
      const weight = Number(cargoWeight.value);
      if (!categoryInput.value.trim() || !cargoName.value.trim() || !(weight > 0)) {
        return t('err_cargo');
      }
      application.cargo = {
        category: categoryInput.value.trim(),
        name: cargoName.value.trim(),
        weight_kg: weight,
        dangerous: dangerous.checked,
      };
      if (dangerous.checked) {
        if (!unNumber.value.trim() || !hazardClass.value) return t('err_dangerous');
        let un = unNumber.value.trim().toUpperCase();
        if (/^\d{4}$/.test(un)) un = `UN${un}`;
        application.cargo.un_number = un;
        application.cargo.hazard_class = hazardClass.value;
      }
    }
    if (!application.origin) return t('err_origin');
    if (application.destination_site_codes.length === 0) return t('err_site');
    if (routeSelect.value) {
      application.route_id = routeSelect.value;
    } else if (waypoints.length >= 2) {
      application.waypoints = waypoints.map((p) => [p[0], p[1]]);
    } else {
      return t('err_route');
    }
    const from = fromChinaLocal(entryFrom.value);
    const until = fromChinaLocal(entryUntil.value);
    const exit = kind === 'standing' ? until : fromChinaLocal(plannedExit.value);
    if (from === null || until === null || exit === null) return t('err_window');
    if (until <= from) return t('err_window_order');
    application.entry_from_ms = from;
    application.entry_until_ms = until;
    application.planned_exit_ms = exit;
    return application;
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const application = collect();
    if (typeof application === 'string') {
      showError(application);
      return;
    }
    submit.disabled = true;
    submit.textContent = t('submitting');
    try {
      const created = await api.applyPass(application);
      if (!live) return;
      showResult(created);
    } catch (e) {
      if (live) showError(errorText(e));
    } finally {
      submit.disabled = false;
      submit.textContent = t('submit_application');
    }
  });

  const showResult = (pass: PassApplication) => {
    clear(result);
    result.hidden = false;
    result.dataset.status = pass.status;
    result.dataset.id = String(pass.id);
    result.append(
      el(
        'h3',
        {},
        t('application_result'),
        ' · ',
        t('pass_id'),
        ` ${pass.id} `,
        passStatusBadge(pass.status),
      ),
      checksTable(pass.checks),
      el(
        'div',
        { class: 'form-actions' },
        el(
          'a',
          { class: 'btn btn-primary', href: `#/passes/${pass.id}`, testid: 'apply-result-open' },
          t('open_pass'),
        ),
      ),
    );
    result.scrollIntoView({ block: 'start' });
  };

  return () => {
    live = false;
    // Leaflet throws if removed mid zoom animation (_leaflet_pos): stop first.
    map.stop();
    disposeMap(map);
  };
}

function statusText(status: unknown): string {
  return statusBadge(status).textContent ?? String(status);
}
