// Taking a Leaflet map down when its page is left, however quickly. Leaflet 1.9 ends a zoom
// animation from a 250 ms timer that remove() does not cancel; on a removed map it reads the
// panes that are gone and throws "Cannot read properties of undefined (reading '_leaflet_pos')".
// Pages call disposeMap() instead of map.remove().
import type L from 'leaflet';

interface LeafletInternals {
  _animatingZoom?: boolean;
  _onZoomTransitionEnd?: () => void;
}

export function disposeMap(map: L.Map): void {
  const internals = map as unknown as LeafletInternals;
  // The zoom animation's timer then finds nothing to finish; remove() stops pan animations.
  internals._animatingZoom = false;
  internals._onZoomTransitionEnd = () => undefined;
  map.remove();
}
