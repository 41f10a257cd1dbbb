// #/geography (地理数据, monitor.configure): the city's layers (市界 … 管控区域) with their versions
// and who changed them; a file imported through a preview (features on a map, counts, the fields
// used, each feature's error) and then applied, new cameras' keys shown once; and routes, sites
// and checkpoints drawn and edited on the map (PUT /api/geo/layers/{kind}/features/{code}).
// Everything reaches the page as text (el / textContent); Leaflet gets nodes, never HTML.
import L from 'leaflet';
import {
  api,
  type GeoDraft,
  type GeoFeatureError,
  type GeoLayerKind,
  type GeoLayerVersion,
  type GeoUploadOptions,
} from '../api';
import { clear, el, textLabel } from '../dom';
import { formatTime } from '../fields';
import { localText, t } from '../i18n';
import { disposeMap } from '../map-teardown';
import { button, emptyRow, errorBox, errorText, listTable } from '../widgets';
import { baseMap } from './map';

const LAYER_KINDS: readonly GeoLayerKind[] = [
  'boundary',
  'districts',
  'towns',
  'communities',
  'sites',
  'checkpoints',
  'routes',
  'restricted',
];
type EditKind = 'routes' | 'sites' | 'checkpoints';
const EDIT_KINDS: readonly EditKind[] = ['routes', 'sites', 'checkpoints'];
const SITE_KINDS = ['loading', 'unloading', 'service_area', 'logistics_park'] as const;
const DEFAULT_CORRIDOR_M = 200;

const kindName = (kind: string) => t(`geo_kind_${kind}`);

// Each layer's look on the maps.
function layerStyle(kind: string): L.PathOptions & L.CircleMarkerOptions {
  switch (kind) {
    case 'boundary':
      return { color: '#0b3a6e', weight: 2, dashArray: '10 6', fill: false };
    case 'routes':
      return { color: '#2e7d32', weight: 4, opacity: 0.85 };
    case 'sites':
      return { color: '#e65100', weight: 2, fillColor: '#ffb74d', fillOpacity: 0.6, radius: 7 };
    case 'checkpoints':
      return { color: '#0b3a6e', weight: 2, fillColor: '#1e88e5', fillOpacity: 0.9, radius: 7 };
    case 'restricted':
      return {
        color: '#b71c1c',
        weight: 2,
        dashArray: '6 4',
        fillColor: '#ef5350',
        fillOpacity: 0.2,
      };
    default:
      return { color: '#6a1b9a', weight: 1.5, fillOpacity: 0.08, radius: 4 };
  }
}

// A feature collection as one Leaflet layer (points as circle markers), each feature named in
// its tooltip; `onFeature` sees every feature's layer.
function collectionLayer(
  kind: string,
  collection: GeoJSON.FeatureCollection,
  onFeature?: (feature: GeoJSON.Feature, layer: L.Layer) => void,
): L.GeoJSON {
  const style = layerStyle(kind);
  return L.geoJSON(collection, {
    style: () => style,
    pointToLayer: (_feature, latlng) => L.circleMarker(latlng, style),
    onEachFeature: (feature, layer) => {
      const props = (feature.properties ?? {}) as Record<string, unknown>;
      const label = [props.name, props.code].filter(Boolean).map(String).join(' · ');
      if (label) layer.bindTooltip(textLabel(label));
      onFeature?.(feature, layer);
    },
  });
}

function fitTo(map: L.Map, layer: L.FeatureGroup): void {
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds.pad(0.2), { maxZoom: 15 });
}

function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return el(
    'label',
    { class: 'field' },
    label,
    input,
    hint ? el('span', { class: 'field-hint' }, hint) : null,
  );
}

// A version's change in words: the server records "import FILE", "put CODE" or "delete CODE".
function changeText(change: string | undefined): string {
  const match = /^(import|put|delete) (.*)$/.exec(change ?? '');
  if (!match) return change || '—';
  return t(`geo_change_${match[1]}`, { target: match[2] });
}

// A feature's problem in words: the server's text without its machine code ("bad_value: …") and,
// on Chinese pages, without the English half.
function problemText(message: string): string {
  return localText(message.replace(/^[a-z][a-z_]*:\s*/, ''));
}

// The per-feature errors of a preview, an import or a save: feature number and its message.
function errorTable(testid: string, errors: GeoFeatureError[]): HTMLElement {
  const { table, tbody } = listTable(testid, [t('geo_error_feature'), t('geo_error_message')]);
  for (const error of errors) {
    tbody.append(
      el(
        'tr',
        { testid: `${testid}-row`, 'data-feature': error.feature },
        el('td', {}, error.feature > 0 ? String(error.feature) : '—'),
        el('td', {}, problemText(error.message)),
      ),
    );
  }
  table.dataset.state = 'ready';
  table.dataset.count = String(errors.length);
  return el('div', { class: 'table-wrap' }, table);
}

// New checkpoints' camera keys, shown once with a warning to copy them.
function keysCard(keys: Record<string, string> | undefined): HTMLElement | null {
  const entries = Object.entries(keys ?? {});
  if (entries.length === 0) return null;
  const { table, tbody } = listTable('geo-key-table', [t('geo_key_checkpoint'), t('geo_key')]);
  for (const [id, key] of entries) {
    tbody.append(
      el(
        'tr',
        { testid: 'geo-key-row', 'data-checkpoint': id },
        el('td', { class: 'check-code' }, id),
        el('td', {}, el('code', { class: 'geo-key', testid: 'geo-key' }, key)),
      ),
    );
  }
  table.dataset.state = 'ready';
  return el(
    'div',
    { class: 'geo-keys', testid: 'geo-checkpoint-keys', role: 'alert' },
    el('h4', {}, t('geo_keys_title')),
    el('p', { class: 'geo-keys-warning' }, t('geo_keys_warning')),
    table,
  );
}

export function renderGeography(content: HTMLElement): () => void {
  clear(content);
  let live = true;
  const maps: L.Map[] = [];
  const error = errorBox('geo-error');

  // ---- 1. the layers and their history
  const columns = [
    t('geo_layer'),
    t('geo_version'),
    t('geo_features'),
    t('geo_change'),
    t('geo_changed_by'),
    t('geo_changed_at'),
    '',
  ];
  const { table: layersTable, tbody: layersBody } = listTable('geo-layers-table', columns);
  const openHistory = new Set<GeoLayerKind>();

  const historyRow = (kind: GeoLayerKind): HTMLTableRowElement => {
    const cell = el('td', { colspan: columns.length }, t('loading'));
    const row = el('tr', { class: 'geo-history', testid: 'geo-history', 'data-kind': kind }, cell);
    api.geoVersions(kind).then(
      ({ versions }) => {
        if (!live) return;
        const { table, tbody } = listTable('geo-versions', columns.slice(1, 6));
        const list = [...(versions ?? [])].sort((a, b) => b.version - a.version);
        if (list.length === 0) tbody.append(emptyRow(5, t('geo_no_versions')));
        for (const v of list) {
          tbody.append(
            el(
              'tr',
              { testid: 'geo-version-row', 'data-version': v.version },
              el('td', {}, String(v.version)),
              el('td', {}, String(v.features)),
              el('td', {}, changeText(v.change)),
              el('td', {}, v.changed_by || '—'),
              el('td', {}, v.changed_at_ms ? formatTime(v.changed_at_ms) : '—'),
            ),
          );
        }
        table.dataset.state = 'ready';
        table.dataset.count = String(list.length);
        cell.replaceChildren(table);
      },
      (e) => {
        if (live) cell.replaceChildren(el('span', { class: 'form-error' }, errorText(e)));
      },
    );
    return row;
  };

  const showLayers = (layers: GeoLayerVersion[]) => {
    clear(layersBody);
    const byKind = new Map(layers.map((layer) => [layer.kind, layer]));
    for (const kind of LAYER_KINDS) {
      const layer = byKind.get(kind);
      const toggle = button(
        'geo-history-toggle',
        openHistory.has(kind) ? t('geo_history_hide') : t('geo_history'),
        'btn btn-secondary btn-small',
      );
      const row = el(
        'tr',
        {
          testid: 'geo-layer-row',
          'data-kind': kind,
          'data-version': layer?.version ?? 0,
          'data-features': layer?.features ?? 0,
        },
        el('td', {}, layer?.kind_name || kindName(kind)),
        el('td', { testid: 'geo-layer-version' }, layer ? String(layer.version) : '—'),
        el('td', {}, layer ? String(layer.features) : '0'),
        el('td', {}, layer ? changeText(layer.change) : '—'),
        el('td', {}, layer?.changed_by || '—'),
        el('td', {}, layer?.changed_at_ms ? formatTime(layer.changed_at_ms) : '—'),
        el('td', {}, toggle),
      );
      layersBody.append(row);
      if (openHistory.has(kind)) layersBody.append(historyRow(kind));
      toggle.addEventListener('click', () => {
        if (openHistory.has(kind)) openHistory.delete(kind);
        else openHistory.add(kind);
        showLayers(layers);
      });
    }
    layersTable.dataset.state = 'ready';
  };

  const loadLayers = async () => {
    try {
      const { layers } = await api.geoLayers();
      if (!live) return;
      error.hidden = true;
      showLayers(layers ?? []);
    } catch (e) {
      if (!live) return;
      layersTable.dataset.state = 'error';
      error.textContent = errorText(e);
      error.hidden = false;
    }
  };

  // ---- 2. import from a file
  const kindOptions = (kinds: readonly string[]) =>
    kinds.map((kind) => el('option', { value: kind }, kindName(kind)));
  const importKind = el(
    'select',
    { class: 'input', testid: 'geo-import-kind' },
    ...kindOptions(LAYER_KINDS),
  );
  const fileInput = el('input', {
    class: 'input',
    type: 'file',
    testid: 'geo-import-file',
    accept: '.zip,.kml,.kmz,.geojson,.json,.gpkg,.csv',
  });
  const crs = el('input', {
    class: 'input',
    testid: 'geo-import-crs',
    placeholder: 'EPSG:4490',
    inputmode: 'numeric',
  });
  const datum = el(
    'select',
    { class: 'input', testid: 'geo-import-datum' },
    ...['wgs84', 'gcj02', 'bd09'].map((d) => el('option', { value: d }, t(`geo_datum_${d}`))),
  );
  const encoding = el(
    'select',
    { class: 'input', testid: 'geo-import-encoding' },
    el('option', { value: '' }, t('geo_encoding_auto')),
    ...['UTF-8', 'GBK', 'GB18030'].map((e) => el('option', { value: e }, e)),
  );
  const fileLayer = el('input', { class: 'input', testid: 'geo-import-layer' });
  const codeField = el('input', {
    class: 'input',
    testid: 'geo-import-code-field',
    placeholder: t('geo_field_auto'),
  });
  const nameField = el('input', {
    class: 'input',
    testid: 'geo-import-name-field',
    placeholder: t('geo_field_auto'),
  });
  const previewButton = button('geo-preview', t('geo_preview'), 'btn btn-secondary');
  const importButton = button('geo-import', t('geo_import'), 'btn btn-primary', {
    disabled: true,
  });
  const importError = errorBox('geo-import-error');
  const previewSummary = el('div', { class: 'geo-summary', testid: 'geo-preview-summary' });
  const previewErrors = el('div', { testid: 'geo-preview-errors-wrap' });
  const previewMapNode = el('div', {
    class: 'zone-map geo-preview-map',
    testid: 'geo-preview-map',
  });
  const previewBox = el(
    'div',
    { class: 'geo-preview', testid: 'geo-preview-result', hidden: true },
    previewSummary,
    previewErrors,
    previewMapNode,
  );
  const importResult = el('div', {
    class: 'geo-result',
    testid: 'geo-import-result',
    hidden: true,
  });
  const importCard = el(
    'section',
    { class: 'card', testid: 'geo-import-card' },
    el('h3', {}, t('geo_import_title')),
    el('p', { class: 'stat-muted' }, t('geo_import_hint')),
    el(
      'div',
      { class: 'form-grid geo-import-grid' },
      field(t('geo_layer'), importKind),
      field(t('geo_file'), fileInput),
      field(t('geo_crs'), crs, t('geo_crs_hint')),
      field(t('geo_datum'), datum),
      field(t('geo_encoding'), encoding),
      field(t('geo_layer_name'), fileLayer, t('geo_layer_name_hint')),
      field(t('geo_code_field'), codeField),
      field(t('geo_name_field'), nameField),
    ),
    el('div', { class: 'form-actions' }, previewButton, importButton),
    importError,
    importResult,
    previewBox,
  );

  let previewMap: L.Map | null = null;
  let previewLayer: L.GeoJSON | null = null;
  // The preview the 导入 button would apply; any change of the file or the options drops it.
  let previewed: { draft: GeoDraft; options: GeoUploadOptions; file: File } | null = null;

  const resetPreview = () => {
    previewed = null;
    importButton.disabled = true;
  };
  for (const input of [
    importKind,
    fileInput,
    crs,
    datum,
    encoding,
    fileLayer,
    codeField,
    nameField,
  ])
    input.addEventListener('change', resetPreview);

  const uploadOptions = (): GeoUploadOptions | null => {
    const epsg = crs.value.trim().replace(/^epsg:/i, '');
    if (epsg && !/^\d{4,6}$/.test(epsg)) {
      importError.textContent = t('geo_crs_invalid');
      importError.hidden = false;
      return null;
    }
    return {
      kind: importKind.value as GeoLayerKind,
      crs: epsg ? `EPSG:${epsg}` : undefined,
      datum: datum.value,
      encoding: encoding.value || undefined,
      layer: fileLayer.value.trim() || undefined,
      code_field: codeField.value.trim() || undefined,
      name_field: nameField.value.trim() || undefined,
    };
  };

  const showPreview = (draft: GeoDraft) => {
    previewBox.hidden = false;
    const errors = draft.errors ?? [];
    previewSummary.dataset.read = String(draft.features_read);
    previewSummary.dataset.valid = String(draft.features_valid);
    previewSummary.dataset.errors = String(errors.length);
    previewSummary.replaceChildren(
      el(
        'div',
        { class: 'geo-summary-line' },
        `${draft.kind_name || kindName(draft.kind)} · `,
        t('geo_preview_summary', {
          read: draft.features_read,
          valid: draft.features_valid,
          errors: errors.length,
        }),
      ),
      el(
        'div',
        { class: 'stat-muted', testid: 'geo-preview-fields' },
        t('geo_fields_used', { code: draft.code_field || '—', name: draft.name_field || '—' }),
      ),
      errors.length > 0
        ? el('div', { class: 'form-error', testid: 'geo-import-blocked' }, t('geo_import_blocked'))
        : '',
    );
    previewErrors.replaceChildren(
      errors.length > 0 ? errorTable('geo-preview-errors', errors) : '',
    );
    if (!previewMap) {
      previewMap = baseMap(previewMapNode);
      maps.push(previewMap);
    }
    previewMap.invalidateSize();
    previewLayer?.remove();
    previewLayer = null;
    if (draft.collection) {
      previewLayer = collectionLayer(draft.kind, draft.collection).addTo(previewMap);
      fitTo(previewMap, previewLayer);
    } else if (draft.bbox) {
      const [w, s, e, n] = draft.bbox;
      previewMap.fitBounds(
        [
          [s, w],
          [n, e],
        ],
        { maxZoom: 15 },
      );
    }
    previewMapNode.dataset.features = String(draft.collection?.features.length ?? 0);
  };

  previewButton.addEventListener('click', async () => {
    importError.hidden = true;
    importResult.hidden = true;
    resetPreview();
    const file = fileInput.files?.[0];
    if (!file) {
      importError.textContent = t('geo_choose_file');
      importError.hidden = false;
      return;
    }
    const options = uploadOptions();
    if (!options) return;
    previewButton.disabled = true;
    previewSummary.textContent = t('geo_previewing');
    previewBox.dataset.state = 'loading';
    try {
      const draft = await api.geoUpload('preview', options, file);
      if (!live) return;
      showPreview(draft);
      previewBox.dataset.state = 'ready';
      if ((draft.errors ?? []).length === 0 && draft.features_valid > 0) {
        previewed = { draft, options, file };
        importButton.disabled = false;
      }
    } catch (e) {
      if (!live) return;
      previewBox.dataset.state = 'error';
      previewBox.hidden = true;
      importError.textContent = errorText(e);
      importError.hidden = false;
    } finally {
      previewButton.disabled = false;
    }
  });

  importButton.addEventListener('click', async () => {
    if (!previewed) return;
    const { draft, options, file } = previewed;
    const layer = kindName(options.kind);
    const replaces = ['boundary', 'districts', 'towns', 'communities'].includes(options.kind);
    const question = replaces ? 'geo_import_confirm_replace' : 'geo_import_confirm_merge';
    if (!window.confirm(t(question, { n: draft.features_valid, layer }))) return;
    importButton.disabled = true;
    importError.hidden = true;
    try {
      const result = await api.geoUpload('import', options, file);
      if (!live) return;
      const errors = result.errors ?? [];
      if (result.version === undefined || errors.length > 0) {
        // 422: nothing changed; the features at fault are listed.
        importResult.hidden = false;
        importResult.dataset.state = 'rejected';
        importResult.replaceChildren(
          el('div', { class: 'form-error' }, t('geo_import_rejected')),
          errorTable('geo-import-errors', errors),
        );
        previewed = null;
        return;
      }
      previewed = null;
      importResult.hidden = false;
      importResult.dataset.state = 'done';
      importResult.dataset.version = String(result.version);
      importResult.replaceChildren(
        el(
          'div',
          { class: 'geo-done', testid: 'geo-import-done' },
          t('geo_imported', {
            layer,
            version: result.version,
            n: result.features_valid ?? draft.features_valid,
          }),
        ),
        keysCard(result.checkpoint_keys) ?? '',
      );
      await loadLayers();
      if (options.kind === editKind.value) await loadEditLayer();
    } catch (e) {
      if (!live) return;
      importError.textContent = errorText(e);
      importError.hidden = false;
      importButton.disabled = false;
    }
  });

  // ---- 3. draw and edit routes, sites and checkpoints
  const editKind = el(
    'select',
    { class: 'input', testid: 'geo-edit-kind' },
    ...kindOptions(EDIT_KINDS),
  );
  const drawButton = button('geo-draw', t('geo_draw_route'), 'btn btn-primary');
  const finishButton = button('geo-draw-finish', t('zone_draw_finish'), 'btn btn-primary', {
    hidden: true,
  });
  const undoButton = button('geo-draw-undo', t('waypoints_undo'), 'btn btn-secondary', {
    hidden: true,
  });
  const hint = el('span', { class: 'stat-muted', testid: 'geo-draw-hint' });
  const editMapNode = el('div', { class: 'zone-map', testid: 'geo-edit-map' });

  const code = el('input', { class: 'input', testid: 'geo-feature-code', maxlength: 64 });
  const name = el('input', { class: 'input', testid: 'geo-feature-name' });
  const geometryText = el('span', { class: 'stat-muted', testid: 'geo-feature-geometry' });
  const corridor = el('input', {
    class: 'input',
    type: 'number',
    min: 10,
    max: 5000,
    step: 10,
    testid: 'geo-feature-corridor',
  });
  const hazardous = el('input', { type: 'checkbox', testid: 'geo-feature-hazardous' });
  const siteKind = el(
    'select',
    { class: 'input', testid: 'geo-feature-site-kind' },
    ...SITE_KINDS.map((k) => el('option', { value: k }, t(`geo_site_kind_${k}`))),
  );
  const district = el('input', { class: 'input', testid: 'geo-feature-district' });
  const direction = el(
    'select',
    { class: 'input', testid: 'geo-feature-direction' },
    el('option', { value: 'in' }, t('geo_direction_in')),
    el('option', { value: 'out' }, t('geo_direction_out')),
  );
  const reshape = button(
    'geo-feature-reshape',
    t('geo_redraw_route'),
    'btn btn-secondary btn-small',
  );
  const routeFields = el(
    'div',
    { class: 'form-grid', 'data-kind': 'routes' },
    field(t('geo_corridor'), corridor, t('geo_corridor_hint')),
    el('label', { class: 'checkbox-label' }, hazardous, ' ', t('geo_hazardous')),
  );
  const siteFields = el(
    'div',
    { class: 'form-grid', 'data-kind': 'sites' },
    field(t('geo_site_kind'), siteKind),
    field(t('geo_district'), district),
  );
  const checkpointFields = el(
    'div',
    { class: 'form-grid', 'data-kind': 'checkpoints' },
    field(t('geo_direction'), direction),
  );
  const formTitle = el('h3', { testid: 'geo-feature-title' });
  const formError = el('div', {
    class: 'form-error',
    testid: 'geo-feature-error',
    role: 'alert',
    hidden: true,
  });
  const formErrors = el('div', {});
  const saved = el('div', { class: 'geo-done', testid: 'geo-feature-saved', hidden: true });
  const save = el(
    'button',
    { class: 'btn btn-primary', type: 'submit', testid: 'geo-feature-save' },
    t('save'),
  );
  const form = el(
    'form',
    { class: 'card zone-form', testid: 'geo-feature-form', hidden: true, novalidate: true },
    formTitle,
    el(
      'div',
      { class: 'form-grid' },
      field(t('geo_code'), code),
      field(t('geo_name'), name),
      field(t('geo_geometry'), el('div', {}, geometryText, ' ', reshape)),
    ),
    routeFields,
    siteFields,
    checkpointFields,
    formError,
    formErrors,
    el('div', { class: 'form-actions' }, save),
    saved,
  );
  const placeholder = el(
    'div',
    { class: 'card empty-card', testid: 'geo-feature-placeholder' },
    t('geo_feature_placeholder'),
  );
  const editCard = el(
    'section',
    { class: 'geo-edit', testid: 'geo-edit' },
    el('h3', {}, t('geo_edit_title')),
    el(
      'div',
      { class: 'toolbar' },
      field(t('geo_edit_layer'), editKind),
      drawButton,
      undoButton,
      finishButton,
      hint,
    ),
    el(
      'div',
      { class: 'zones-layout' },
      editMapNode,
      el('div', { class: 'zones-side' }, placeholder, form),
    ),
  );

  content.append(
    el('h2', { class: 'page-title' }, t('geo_title')),
    error,
    el(
      'section',
      { class: 'card' },
      el('h3', {}, t('geo_layers')),
      el('div', { class: 'table-wrap' }, layersTable),
    ),
    importCard,
    editCard,
  );

  const editMap = baseMap(editMapNode);
  maps.push(editMap);
  const featuresLayer = L.featureGroup().addTo(editMap);
  const sketch = L.layerGroup().addTo(editMap);
  // The shape of the feature the form edits, as drawn or stored.
  let shape: GeoJSON.Geometry | null = null;
  let drawing: { mode: 'none' } | { mode: 'line'; vertices: L.LatLng[] } | { mode: 'point' } = {
    mode: 'none',
  };
  const currentKind = () => editKind.value as EditKind;
  const lonLat = (p: L.LatLng) => [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))];

  const showGeometry = () => {
    if (!shape) {
      geometryText.textContent = t('geo_geometry_none');
      geometryText.dataset.type = '';
    } else if (shape.type === 'LineString') {
      geometryText.textContent = t('geo_geometry_line', { n: shape.coordinates.length });
      geometryText.dataset.type = 'line';
    } else if (shape.type === 'Point') {
      const [lon, lat] = shape.coordinates;
      geometryText.textContent = t('geo_geometry_point', {
        lat: lat.toFixed(5),
        lon: lon.toFixed(5),
      });
      geometryText.dataset.type = 'point';
    } else {
      geometryText.textContent = t('geo_geometry_polygon');
      geometryText.dataset.type = 'polygon';
    }
  };

  const drawSketch = () => {
    sketch.clearLayers();
    const style = { ...layerStyle(currentKind()), color: '#b71c1c' };
    if (drawing.mode === 'line') {
      for (const v of drawing.vertices) {
        L.circleMarker(v, { radius: 4, color: '#b71c1c', fillColor: '#fff', fillOpacity: 1 }).addTo(
          sketch,
        );
      }
      if (drawing.vertices.length > 1) L.polyline(drawing.vertices, style).addTo(sketch);
      return;
    }
    if (!shape) return;
    if (shape.type === 'Point') {
      const [lon, lat] = shape.coordinates;
      L.circleMarker([lat, lon], { ...style, radius: 9, fillOpacity: 0.6 }).addTo(sketch);
    } else {
      L.geoJSON(shape, { style: () => ({ ...style, weight: 5, dashArray: '8 6' }) }).addTo(sketch);
    }
  };

  const setDrawing = (next: typeof drawing) => {
    drawing = next;
    editMapNode.dataset.drawing = next.mode;
    editMapNode.classList.toggle('picking', next.mode !== 'none');
    finishButton.hidden = next.mode !== 'line';
    undoButton.hidden = next.mode !== 'line';
    if (next.mode === 'line') editMap.doubleClickZoom.disable();
    else editMap.doubleClickZoom.enable();
    hint.textContent =
      next.mode === 'line'
        ? t('geo_hint_line', { n: next.vertices.length })
        : next.mode === 'point'
          ? t('geo_hint_point')
          : '';
    drawSketch();
  };

  const finishLine = () => {
    if (drawing.mode !== 'line') return;
    // A double-click's two clicks leave the last point twice.
    const vertices = drawing.vertices.filter(
      (v, i, all) => i === 0 || v.distanceTo(all[i - 1]) > 0.5,
    );
    if (vertices.length < 2) {
      hint.textContent = t('geo_hint_line_min');
      return;
    }
    shape = { type: 'LineString', coordinates: vertices.map(lonLat) };
    setDrawing({ mode: 'none' });
    showGeometry();
  };

  const updateDrawLabels = () => {
    const line = currentKind() === 'routes';
    drawButton.textContent = line ? t('geo_draw_route') : t('geo_draw_point');
    reshape.textContent = line ? t('geo_redraw_route') : t('geo_move_point');
  };

  const startDrawing = () => {
    saved.hidden = true;
    setDrawing(currentKind() === 'routes' ? { mode: 'line', vertices: [] } : { mode: 'point' });
  };

  editMap.on('click', (event: L.LeafletMouseEvent) => {
    if (drawing.mode === 'line') {
      setDrawing({ mode: 'line', vertices: [...drawing.vertices, event.latlng] });
    } else if (drawing.mode === 'point') {
      shape = { type: 'Point', coordinates: lonLat(event.latlng) };
      setDrawing({ mode: 'none' });
      showGeometry();
    }
  });
  editMap.on('dblclick', finishLine);
  finishButton.addEventListener('click', finishLine);
  undoButton.addEventListener('click', () => {
    if (drawing.mode === 'line') {
      setDrawing({ mode: 'line', vertices: drawing.vertices.slice(0, -1) });
    }
  });

  const clearFormErrors = () => {
    formError.hidden = true;
    formErrors.replaceChildren();
    saved.hidden = true;
  };

  const openForm = (feature: GeoJSON.Feature | null) => {
    clearFormErrors();
    const kind = currentKind();
    const props = (feature?.properties ?? {}) as Record<string, unknown>;
    form.hidden = false;
    placeholder.hidden = true;
    form.dataset.mode = feature ? 'edit' : 'new';
    form.dataset.kind = kind;
    form.dataset.code = String(props.code ?? '');
    formTitle.textContent = feature
      ? `${t('geo_feature_edit')} · ${String(props.name || props.code || '')}`
      : `${t('geo_feature_new')} · ${kindName(kind)}`;
    code.value = String(props.code ?? '');
    code.readOnly = feature !== null;
    name.value = String(props.name ?? '');
    routeFields.hidden = kind !== 'routes';
    siteFields.hidden = kind !== 'sites';
    checkpointFields.hidden = kind !== 'checkpoints';
    corridor.value = String(props.corridor_m ?? DEFAULT_CORRIDOR_M);
    hazardous.checked = props.hazardous === true;
    siteKind.value = SITE_KINDS.includes(props.site_kind as (typeof SITE_KINDS)[number])
      ? String(props.site_kind)
      : 'loading';
    district.value = String(props.district ?? '');
    direction.value = props.direction === 'out' ? 'out' : 'in';
    shape = feature?.geometry ?? null;
    reshape.hidden = feature === null || shape?.type === 'Polygon';
    showGeometry();
    drawSketch();
  };

  drawButton.addEventListener('click', () => {
    openForm(null);
    startDrawing();
  });
  reshape.addEventListener('click', startDrawing);

  const featureFromForm = (): GeoJSON.Feature | null => {
    const kind = currentKind();
    const properties: Record<string, unknown> = {
      code: code.value.trim(),
      name: name.value.trim(),
    };
    if (kind === 'routes') {
      properties.corridor_m = Number(corridor.value);
      properties.hazardous = hazardous.checked;
    } else if (kind === 'sites') {
      properties.site_kind = siteKind.value;
      properties.district = district.value.trim();
    } else {
      properties.direction = direction.value;
    }
    return shape ? { type: 'Feature', geometry: shape, properties } : null;
  };

  const showFormError = (message: string) => {
    formError.textContent = message;
    formError.hidden = false;
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors();
    finishLine();
    const kind = currentKind();
    const feature = featureFromForm();
    const props = (feature?.properties ?? {}) as Record<string, unknown>;
    if (!code.value.trim()) return showFormError(t('geo_code_required'));
    if (!name.value.trim()) return showFormError(t('geo_name_required'));
    if (!feature) return showFormError(t('geo_geometry_missing'));
    if (kind === 'routes') {
      const c = Number(props.corridor_m);
      if (!(c >= 10 && c <= 5000)) return showFormError(t('geo_corridor_invalid'));
    }
    save.disabled = true;
    try {
      const result = await api.geoPutFeature(kind, String(props.code), feature);
      if (!live) return;
      if (result.version === undefined || (result.errors ?? []).length > 0) {
        const errors = result.errors ?? [];
        showFormError(errors.map((e) => problemText(e.message)).join('；') || t('error_generic'));
        return;
      }
      await Promise.all([loadLayers(), loadEditLayer()]);
      if (!live) return;
      const stored = layerFeatures.find(
        (f) => String((f.properties as Record<string, unknown>)?.code) === String(props.code),
      );
      openForm(stored ?? feature);
      saved.hidden = false;
      saved.dataset.version = String(result.version);
      saved.replaceChildren(
        t('geo_saved', { layer: kindName(kind), version: result.version }),
        keysCard(result.checkpoint_keys) ?? '',
      );
    } catch (e) {
      if (live) showFormError(errorText(e));
    } finally {
      save.disabled = false;
    }
  });

  // The chosen layer's features on the edit map; a click on one opens it in the form.
  let layerFeatures: GeoJSON.Feature[] = [];
  let loadSerial = 0;
  const loadEditLayer = async () => {
    const kind = currentKind();
    const mine = ++loadSerial;
    editMapNode.dataset.state = 'loading';
    try {
      const collection = await api.geoLayer(kind);
      if (!live || mine !== loadSerial) return;
      layerFeatures = collection?.features ?? [];
      featuresLayer.clearLayers();
      featuresLayer.addLayer(
        collectionLayer(kind, { type: 'FeatureCollection', features: layerFeatures }, (f, layer) =>
          layer.on('click', () => {
            if (drawing.mode === 'none') openForm(f);
          }),
        ),
      );
      editMapNode.dataset.state = 'ready';
      editMapNode.dataset.kind = kind;
      editMapNode.dataset.features = String(layerFeatures.length);
      hint.textContent = layerFeatures.length === 0 ? t('geo_layer_empty') : hint.textContent;
      if (editMapNode.dataset.fitted !== kind) {
        fitTo(editMap, featuresLayer);
        editMapNode.dataset.fitted = kind;
      }
    } catch (e) {
      if (!live || mine !== loadSerial) return;
      editMapNode.dataset.state = 'error';
      error.textContent = errorText(e);
      error.hidden = false;
    }
  };

  editKind.addEventListener('change', () => {
    setDrawing({ mode: 'none' });
    shape = null;
    sketch.clearLayers();
    form.hidden = true;
    placeholder.hidden = false;
    updateDrawLabels();
    void loadEditLayer();
  });

  updateDrawLabels();
  void loadLayers();
  void loadEditLayer();

  return () => {
    live = false;
    for (const map of maps) disposeMap(map);
  };
}
