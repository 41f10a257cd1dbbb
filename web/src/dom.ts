// The one way the dashboard puts data on the page: text goes in as text nodes, never as HTML, so
// record values (a site named `<img src=x onerror=…>`) cannot inject markup or script. Nothing in
// src/ assigns innerHTML/outerHTML or hands Leaflet an HTML string; web/tests/unsafe-html.test.mjs
// fails the build's tests if that creeps back in.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

// Attributes whose value the browser may load or run as a URL.
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href']);

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      node.addEventListener(name.replace(/^on/, ''), value);
    } else if (/^on/i.test(name)) {
      // An inline handler is script from a string; the CSP (script-src 'self') refuses it anyway.
      throw new Error(`el: event handler attribute ${name} must be a function`);
    } else if (name === 'testid') {
      node.setAttribute('data-testid', String(value));
    } else if (name === 'style') {
      // Through the CSSOM, which a Content-Security-Policy without 'unsafe-inline' still allows
      // (a style attribute is refused).
      node.style.cssText = String(value);
    } else if (URL_ATTRIBUTES.has(name.toLowerCase()) && !safeUrl(String(value))) {
      node.setAttribute(name, '#');
    } else if (value === true) {
      node.setAttribute(name, '');
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, ...children);
  return node;
}

// Relative links, in-app routes and http(s)/blob/data:image URLs; never javascript: and the like.
// The browser's own parser decides the scheme, so what it ignores (a tab or a control character
// inside or before "javascript:") cannot hide one from a pattern.
export function safeUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url, location.href);
  } catch {
    return false;
  }
  const { protocol } = parsed;
  if (protocol === 'http:' || protocol === 'https:' || protocol === 'blob:') return true;
  return protocol === 'data:' && /^image\//i.test(parsed.pathname);
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// Content for a Leaflet tooltip or popup. Leaflet treats a string as HTML, so every tooltip and
// popup gets a node: text parts as text, nodes as they are.
export function textLabel(...parts: Child[]): HTMLElement {
  return el('span', {}, ...parts);
}

// A small two-column table (label, value) as text, for map popups and tooltips.
export function labelValueNode(
  rows: Array<[string, string]>,
  className = 'popup-table',
): HTMLElement {
  return el(
    'table',
    { class: className },
    el('tbody', {}, ...rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))),
  );
}

// For the rare API that takes nothing but HTML (Leaflet's attribution): the text, escaped.
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
