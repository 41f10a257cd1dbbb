// The city's outline and districts (GET /api/map/layers) under a page's own map (协查, 总览), so the
// map reads without a base map. The map fits the city unless its view was set meanwhile (drawing
// started, results shown). data-layers on the map's node says when the outline is there.
import L from 'leaflet';
import { api } from './api';

const LIGHT: Record<'boundary' | 'district', L.PathOptions> = {
  boundary: { color: '#0b3a6e', weight: 3, fill: false },
  district: { color: '#4a78b5', weight: 1, dashArray: '4 3', fillOpacity: 0.05 },
};
const DARK: Record<'boundary' | 'district', L.PathOptions> = {
  boundary: { color: '#4fc3f7', weight: 2, fill: false },
  district: { color: '#29507a', weight: 1, fillColor: '#0d2236', fillOpacity: 0.4 },
};

export function cityOutline(
  map: L.Map,
  options: { isLive: () => boolean; viewSet?: () => boolean; dark?: boolean },
): void {
  const node = map.getContainer();
  const styles = options.dark ? DARK : LIGHT;
  api.mapLayers().then(
    (layers) => {
      if (!options.isLive()) return;
      const features = layers.features.filter(
        (f) => f.properties?.layer === 'boundary' || f.properties?.layer === 'district',
      );
      const layer = L.geoJSON(
        { type: 'FeatureCollection', features } as GeoJSON.FeatureCollection,
        {
          interactive: false,
          style: (f) => styles[f?.properties?.layer === 'boundary' ? 'boundary' : 'district'],
        },
      ).addTo(map);
      layer.bringToBack();
      const bounds = layer.getBounds();
      // Without animation: a zoom still running when the page is left fails inside Leaflet.
      if (bounds.isValid() && !options.viewSet?.()) map.fitBounds(bounds, { animate: false });
      node.dataset.layers = 'ready';
    },
    () => {
      // The page works without the outline.
      if (options.isLive()) node.dataset.layers = 'error';
    },
  );
}
