// Drawing a circle or a polygon on a Leaflet map with plain map events, shared by 规则与区域 (a
// restricted zone) and 协查 (the queried area). Circle: click the centre, move, click again or type
// the radius; polygon: click the vertices, then double-click or 完成. The tool owns its buttons, the
// hint line and the sketch layer; the page owns the radius input (it sits in the page's form).
import L from 'leaflet';
import { el } from './dom';
import { t } from './i18n';
import { button } from './widgets';

export type DrawMode = 'circle' | 'polygon';

export type DrawnShape =
  | { type: 'circle'; centre: L.LatLng; radius_m: number }
  | { type: 'polygon'; vertices: L.LatLng[] };

type Drawing =
  | { mode: 'none' }
  | { mode: 'circle'; centre: L.LatLng | null; fixed: boolean }
  | { mode: 'polygon'; vertices: L.LatLng[]; done: boolean };

export interface DrawOptions {
  // Test ids: `${prefix}-draw-circle`, `-draw-polygon`, `-draw-finish`, `-draw-undo`, `-draw-hint`.
  prefix: string;
  style: L.PathOptions;
  defaultRadiusM: number;
  // The radius in metres, shown and typed by the user; the tool keeps it in step with the mouse.
  radius: HTMLInputElement;
  // Called before a new drawing starts (the page may open its form).
  beforeStart?(mode: DrawMode): void;
  // Called whenever the drawn shape changes; null when it was cleared or is being started.
  onChange?(shape: DrawnShape | null): void;
}

export interface DrawTool {
  // 画圆形, 画多边形, 撤销上一个, 完成 and the hint, for the page's toolbar.
  controls: HTMLElement[];
  mode(): 'none' | DrawMode;
  // The finished (or, for a circle, the current) shape; null while none is drawn.
  shape(): DrawnShape | null;
  start(mode: DrawMode): void;
  // Closes a polygon of at least three vertices.
  finish(): void;
  // Ends drawing and keeps what was drawn.
  stop(): void;
  clear(): void;
  // Shows an existing shape in the sketch (a stored zone) without drawing; a circle among them
  // follows the typed radius.
  show(layer: L.Layer, shape: DrawnShape | null): void;
}

export function drawTool(map: L.Map, options: DrawOptions): DrawTool {
  const { radius, style } = options;
  const node = map.getContainer();
  const hint = el('span', { class: 'stat-muted', testid: `${options.prefix}-draw-hint` });
  const drawCircle = button(`${options.prefix}-draw-circle`, t('zone_draw_circle'));
  const drawPolygon = button(`${options.prefix}-draw-polygon`, t('zone_draw_polygon'));
  const finishButton = button(
    `${options.prefix}-draw-finish`,
    t('zone_draw_finish'),
    'btn btn-primary',
    { hidden: true },
  );
  const undo = button(`${options.prefix}-draw-undo`, t('waypoints_undo'), 'btn btn-secondary', {
    hidden: true,
  });

  let drawing: Drawing = { mode: 'none' };
  let current: DrawnShape | null = null;
  const sketch = L.layerGroup().addTo(map);
  let sketchCircle: L.Circle | null = null;

  const changed = (shape: DrawnShape | null) => {
    current = shape;
    options.onChange?.(shape);
  };

  const setDrawing = (next: Drawing) => {
    drawing = next;
    node.dataset.drawing = next.mode;
    node.classList.toggle('picking', next.mode !== 'none');
    finishButton.hidden = !(next.mode === 'polygon' && !next.done);
    undo.hidden = !(next.mode === 'polygon' && !next.done);
    if (next.mode === 'polygon' && !next.done) map.doubleClickZoom.disable();
    else map.doubleClickZoom.enable();
    hint.textContent =
      next.mode === 'circle'
        ? next.centre && !next.fixed
          ? t('zone_hint_circle_radius')
          : next.centre
            ? ''
            : t('zone_hint_circle_centre')
        : next.mode === 'polygon' && !next.done
          ? t('zone_hint_polygon', { n: next.vertices.length })
          : '';
  };

  const clear = () => {
    sketch.clearLayers();
    sketchCircle = null;
    changed(null);
  };

  const polygonPreview = (vertices: L.LatLng[]) => {
    sketch.clearLayers();
    for (const v of vertices) {
      L.circleMarker(v, { radius: 4, color: '#b71c1c', fillColor: '#fff', fillOpacity: 1 }).addTo(
        sketch,
      );
    }
    if (vertices.length > 0) L.polygon(vertices, style).addTo(sketch);
  };

  const finish = () => {
    if (drawing.mode !== 'polygon' || drawing.done) return;
    const vertices = drawing.vertices;
    if (vertices.length < 3) {
      hint.textContent = t('zone_hint_polygon_min');
      return;
    }
    setDrawing({ mode: 'polygon', vertices, done: true });
    changed({ type: 'polygon', vertices });
  };

  const start = (mode: DrawMode) => {
    options.beforeStart?.(mode);
    clear();
    setDrawing(
      mode === 'circle'
        ? { mode, centre: null, fixed: false }
        : { mode, vertices: [], done: false },
    );
  };

  map.on('click', (event: L.LeafletMouseEvent) => {
    if (drawing.mode === 'circle') {
      if (!drawing.centre || drawing.fixed) {
        // A first click (or a click after the radius was fixed) places the centre.
        const r = Number(radius.value) > 0 ? Number(radius.value) : options.defaultRadiusM;
        radius.value = String(r);
        sketch.clearLayers();
        sketchCircle = L.circle(event.latlng, { ...style, radius: r }).addTo(sketch);
        setDrawing({ mode: 'circle', centre: event.latlng, fixed: false });
        changed({ type: 'circle', centre: event.latlng, radius_m: r });
      } else {
        setDrawing({ mode: 'circle', centre: drawing.centre, fixed: true });
        if (current) changed(current);
      }
    } else if (drawing.mode === 'polygon' && !drawing.done) {
      const vertices = [...drawing.vertices, event.latlng];
      setDrawing({ mode: 'polygon', vertices, done: false });
      polygonPreview(vertices);
    }
  });
  map.on('mousemove', (event: L.LeafletMouseEvent) => {
    if (drawing.mode !== 'circle' || !drawing.centre || drawing.fixed) return;
    const r = Math.max(10, Math.round(drawing.centre.distanceTo(event.latlng) / 10) * 10);
    radius.value = String(r);
    sketchCircle?.setRadius(r);
    changed({ type: 'circle', centre: drawing.centre, radius_m: r });
  });
  map.on('dblclick', finish);
  finishButton.addEventListener('click', finish);
  undo.addEventListener('click', () => {
    if (drawing.mode !== 'polygon' || drawing.done) return;
    const vertices = drawing.vertices.slice(0, -1);
    setDrawing({ mode: 'polygon', vertices, done: false });
    polygonPreview(vertices);
  });
  // A typed radius resizes the circle, and fixes it: the mouse no longer changes it.
  radius.addEventListener('input', () => {
    const r = Number(radius.value);
    if (!(r > 0) || current?.type !== 'circle') return;
    if (drawing.mode === 'circle' && drawing.centre && !drawing.fixed) {
      setDrawing({ mode: 'circle', centre: drawing.centre, fixed: true });
    }
    sketchCircle?.setRadius(r);
    changed({ ...current, radius_m: r });
  });
  drawCircle.addEventListener('click', () => start('circle'));
  drawPolygon.addEventListener('click', () => start('polygon'));

  return {
    controls: [drawCircle, drawPolygon, undo, finishButton, hint],
    mode: () => drawing.mode,
    shape: () => current,
    start,
    finish,
    stop: () => setDrawing({ mode: 'none' }),
    clear,
    show(layer, shape) {
      clear();
      sketch.addLayer(layer);
      if (layer instanceof L.Circle) sketchCircle = layer;
      changed(shape);
    },
  };
}

// A drawn shape as GeoJSON: a circle is a Point with radius_m (the zones' contract), a polygon a
// closed ring; coordinates [lon, lat] to 6 decimals.
export function shapeGeoJson(
  shape: DrawnShape,
): (GeoJSON.Point & { radius_m: number }) | GeoJSON.Polygon {
  const lonLat = (p: L.LatLng) => [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))];
  if (shape.type === 'circle') {
    return { type: 'Point', coordinates: lonLat(shape.centre), radius_m: shape.radius_m };
  }
  const ring = shape.vertices.map(lonLat);
  ring.push(ring[0]);
  return { type: 'Polygon', coordinates: [ring] };
}
