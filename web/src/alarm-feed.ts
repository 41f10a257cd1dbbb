// The live alarm feed: one WebSocket to /api/alarms/live shared by the pages that listen (the
// alarm centre, the live map). The session cookie authenticates it (same origin). The server sends
// {"type":"hello","at_ms"} first, then {"type":"alarm","alarm":{...}} on every change. A dropped
// connection is retried with a growing pause; the socket closes once nobody listens.
import type { Alarm } from './api';

export type FeedState = 'connecting' | 'live' | 'error';

export interface AlarmListener {
  onAlarm?(alarm: Alarm): void;
  onState?(state: FeedState): void;
}

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
// A page change unsubscribes and subscribes again at once: keep the socket for that moment.
const IDLE_CLOSE_MS = 2_000;

// What the feed did, for the browser tests (window.__baotongAlarmFeed).
export interface AlarmFeedDebugHook {
  state: FeedState;
  connects: number;
  received: number;
}
declare global {
  interface Window {
    __baotongAlarmFeed?: AlarmFeedDebugHook;
  }
}

const listeners = new Set<AlarmListener>();
const hook: AlarmFeedDebugHook = { state: 'connecting', connects: 0, received: 0 };
let socket: WebSocket | null = null;
let retryMs = FIRST_RETRY_MS;
let retryTimer: number | undefined;
let idleTimer: number | undefined;

function setState(state: FeedState): void {
  hook.state = state;
  for (const listener of listeners) listener.onState?.(state);
}

function liveUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/alarms/live`;
}

function connect(): void {
  window.clearTimeout(retryTimer);
  retryTimer = undefined;
  if (socket || listeners.size === 0) return;
  setState('connecting');
  let opened: WebSocket;
  try {
    opened = new WebSocket(liveUrl());
  } catch {
    scheduleRetry();
    return;
  }
  socket = opened;
  hook.connects++;
  opened.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') return;
    let message: { type?: string; alarm?: Alarm };
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === 'hello') {
      retryMs = FIRST_RETRY_MS;
      setState('live');
    } else if (message.type === 'alarm' && message.alarm) {
      hook.received++;
      // A server that sends no hello is live by its first alarm.
      if (hook.state !== 'live') setState('live');
      for (const listener of [...listeners]) listener.onAlarm?.(message.alarm);
    }
  });
  opened.addEventListener('open', () => {
    retryMs = FIRST_RETRY_MS;
  });
  opened.addEventListener('close', () => {
    if (socket !== opened) return;
    socket = null;
    if (listeners.size > 0) {
      setState('error');
      scheduleRetry();
    }
  });
}

function scheduleRetry(): void {
  window.clearTimeout(retryTimer);
  retryTimer = window.setTimeout(connect, retryMs);
  retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
}

export function feedState(): FeedState {
  return hook.state;
}

// Listens until the returned function is called.
export function subscribeAlarms(listener: AlarmListener): () => void {
  listeners.add(listener);
  window.__baotongAlarmFeed = hook;
  window.clearTimeout(idleTimer);
  if (socket) listener.onState?.(hook.state);
  else if (retryTimer === undefined) connect();
  else listener.onState?.(hook.state);
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(() => {
      if (listeners.size > 0) return;
      window.clearTimeout(retryTimer);
      retryTimer = undefined;
      const closing = socket;
      socket = null;
      retryMs = FIRST_RETRY_MS;
      closing?.close();
    }, IDLE_CLOSE_MS);
  };
}
