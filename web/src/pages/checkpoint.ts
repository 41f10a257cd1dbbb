// 卡口值守: the console of one checkpoint. A live stream of passages and decisions (long-poll on
// /api/checkpoints/{id}/passages), the gate's plate display as the newest decision shows it,
// manual override of a passage with a reason, and QR checks from a pasted token or the camera.
import { ApiError, api, type Checkpoint, type DecisionResult, type Passage } from '../api';
import { clear, el } from '../dom';
import { formatTime } from '../fields';
import { t } from '../i18n';
import { decisionBadge, errorText, openDialog, plateColorName } from '../pass-ui';

const WAIT_MS = 25_000;
const RETRY_MS = 2_000;
const EARLY_ANSWER_MS = 1_000;
const BUSY_PAUSE_MS = 1_500;
const MAX_ROWS = 200;
const SCAN_INTERVAL_MS = 250;
const LAST_CHECKPOINT_KEY = 'baotong.checkpoint';

// The Shape Detection API where the browser has it (Chromium on Android/macOS/ChromeOS).
interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<DetectedBarcode[]>;
}
type BarcodeDetectorCtor = new (options?: { formats?: string[] }) => BarcodeDetectorLike;

function barcodeDetector(): BarcodeDetectorCtor | null {
  const ctor = (window as unknown as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;
  return ctor && typeof navigator.mediaDevices?.getUserMedia === 'function' ? ctor : null;
}

// The JSON names of a passage are read with their likely alternatives (see api.ts).
const passageId = (p: Passage) => Number(p.id ?? p.passage_id);
const passageTime = (p: Passage) => p.time_ms ?? p.time;
const passageColor = (p: Passage) => p.plate_color ?? p.color;

// The plate display's text; the server sends it, this is the same wording should it not.
export function displayText(result: { display_text?: string; plate?: string; decision: string }) {
  if (result.display_text) return result.display_text;
  const plate = result.plate ?? '';
  switch (result.decision) {
    case 'release':
      return `${plate} 核验通过 请通行`;
    case 'turn_back':
      return `${plate} 请掉头`;
    default:
      return `${plate} 请靠边接受检查`;
  }
}

export function renderCheckpoint(
  content: HTMLElement,
  checkpointId: string | undefined,
): () => void {
  clear(content);
  let live = true;
  const controller = new AbortController();
  let retryTimer: number | undefined;
  let stopCamera: (() => void) | null = null;

  const select = el(
    'select',
    { class: 'input', testid: 'checkpoint-select' },
    el('option', { value: '' }, t('choose_checkpoint')),
  );
  const direction = el('span', { class: 'badge', testid: 'checkpoint-direction' });
  const feed = el('span', { class: 'feed-state', testid: 'checkpoint-feed', 'data-state': 'idle' });
  const error = el('div', {
    class: 'form-error',
    testid: 'checkpoint-error',
    role: 'alert',
    hidden: true,
  });
  content.append(
    el('h2', { class: 'page-title' }, t('nav_checkpoint')),
    el(
      'div',
      { class: 'toolbar' },
      el('label', {}, t('checkpoint'), ' '),
      select,
      direction,
      el('div', { class: 'toolbar-spacer' }),
      feed,
    ),
    error,
  );
  select.addEventListener('change', () => {
    if (select.value) location.hash = `#/checkpoint/${encodeURIComponent(select.value)}`;
  });

  const showError = (message: string) => {
    error.textContent = message;
    error.hidden = false;
  };

  api.checkpoints().then(
    (checkpoints) => {
      if (!live) return;
      for (const c of checkpoints) {
        select.append(
          el(
            'option',
            { value: c.id },
            `${c.name}（${c.id}，${t(`direction_${c.direction === 'out' ? 'out' : 'in'}`)}）`,
          ),
        );
      }
      if (checkpoints.length === 0) showError(t('no_checkpoints'));
      let chosen = checkpoints.find((c) => c.id === checkpointId);
      if (!checkpointId) {
        // Resume the operator's last checkpoint, else the first one.
        const last = localStorage.getItem(LAST_CHECKPOINT_KEY);
        const fallback = checkpoints.find((c) => c.id === last) ?? checkpoints[0];
        if (fallback) location.replace(`#/checkpoint/${encodeURIComponent(fallback.id)}`);
        return;
      }
      if (!chosen) {
        showError(`${t('not_found_page')}: ${checkpointId}`);
        return;
      }
      select.value = chosen.id;
      try {
        localStorage.setItem(LAST_CHECKPOINT_KEY, chosen.id);
      } catch {
        // Not remembered in private mode.
      }
      console_(chosen);
    },
    (e) => live && showError(errorText(e)),
  );

  const console_ = (checkpoint: Checkpoint) => {
    direction.textContent = t(`direction_${checkpoint.direction === 'out' ? 'out' : 'in'}`);
    direction.dataset.direction = checkpoint.direction;
    direction.classList.add(`badge-direction-${checkpoint.direction}`);

    // ---- the gate's plate display
    const ledText = el('div', { class: 'led-text', testid: 'checkpoint-led-text' }, t('led_idle'));
    const ledMeta = el('div', { class: 'led-meta', testid: 'checkpoint-led-meta' });
    const led = el(
      'div',
      { class: 'led', testid: 'checkpoint-led', 'data-decision': '' },
      ledText,
      ledMeta,
    );
    const showOnLed = (result: DecisionResult, at?: number) => {
      led.dataset.decision = result.decision;
      led.dataset.passageId = String(result.passage_id ?? '');
      ledText.textContent = displayText(result);
      ledMeta.textContent = [
        t(`decision_${result.decision}`),
        result.reason,
        formatTime(at ?? Date.now()),
      ]
        .filter(Boolean)
        .join(' · ');
    };

    // ---- the passages
    const rows = el('div', { class: 'passages', testid: 'passages', 'data-count': 0 });
    const empty = el('div', { class: 'empty-card', testid: 'passages-empty' }, t('no_passages'));
    rows.append(empty);
    const rowsById = new Map<number, HTMLElement>();
    const addPassage = (p: Passage) => {
      const id = passageId(p);
      if (rowsById.has(id)) return;
      empty.remove();
      const overridden = p.overrides_id ?? p.overrides ?? p.overrides_passage_id;
      if (overridden) rowsById.get(Number(overridden))?.classList.add('overridden');
      const override = el(
        'button',
        {
          class: 'btn btn-secondary btn-small',
          type: 'button',
          testid: 'passage-override',
          'data-id': id,
        },
        t('override'),
      );
      override.addEventListener('click', () =>
        openDialog({
          title: `${t('override_title')} · ${p.plate}`,
          label: t('reason'),
          required: t('reason_required'),
          confirmLabel: t('override'),
          withDecision: true,
          onConfirm: async ({ text, decision }) => {
            const result = await api.override(id, decision, text);
            if (live && result?.decision) showOnLed({ ...result, plate: result.plate ?? p.plate });
          },
        }),
      );
      const source = p.source ? t(`source_${p.source}`) : '';
      const color = passageColor(p);
      const row = el(
        'div',
        {
          class: `passage passage-${p.decision}`,
          testid: 'passage-row',
          'data-id': id,
          'data-decision': p.decision,
          'data-plate': p.plate,
          'data-source': p.source ?? '',
        },
        el('div', { class: 'passage-time' }, formatTime(passageTime(p))),
        el(
          'div',
          { class: 'passage-plate' },
          p.plate,
          color !== undefined && color !== null
            ? el('span', { class: 'stat-muted' }, ` ${plateColorName(color)}`)
            : null,
        ),
        decisionBadge(p.decision),
        el('div', { class: 'passage-display', testid: 'passage-display' }, displayText(p)),
        el(
          'div',
          { class: 'passage-meta' },
          [
            p.direction ? t(`direction_${p.direction}`) : '',
            source,
            p.reason ?? '',
            p.pass_id ? `${t('pass_id')} ${p.pass_id}` : '',
            p.operator ? `${t('operator')} ${p.operator}` : '',
          ]
            .filter(Boolean)
            .join(' · '),
        ),
        override,
      );
      rowsById.set(id, row);
      rows.prepend(row);
      while (rows.children.length > MAX_ROWS) {
        const last = rows.lastElementChild as HTMLElement;
        rowsById.delete(Number(last.dataset.id));
        last.remove();
      }
      rows.dataset.count = String(rowsById.size);
    };

    // ---- QR check
    const token = el('textarea', {
      class: 'input textarea',
      testid: 'scan-token',
      rows: 4,
      placeholder: t('scan_token_placeholder'),
    });
    const scanSubmit = el(
      'button',
      { class: 'btn btn-primary', type: 'submit', testid: 'scan-submit' },
      t('scan_submit'),
    );
    const camera = el(
      'button',
      { class: 'btn btn-secondary', type: 'button', testid: 'scan-camera' },
      t('scan_camera'),
    );
    const Detector = barcodeDetector();
    camera.hidden = !Detector;
    const video = el('video', {
      class: 'scan-video',
      testid: 'scan-video',
      hidden: true,
      muted: true,
      playsinline: true,
    });
    const scanError = el('div', {
      class: 'form-error',
      testid: 'scan-error',
      role: 'alert',
      hidden: true,
    });
    const scanResult = el('div', { class: 'scan-result', testid: 'scan-result', hidden: true });
    const scanForm = el(
      'form',
      { class: 'card scan', testid: 'scan-form' },
      el('h3', {}, t('qr_scan')),
      token,
      el('div', { class: 'toolbar' }, scanSubmit, camera),
      video,
      scanError,
      scanResult,
    );
    scanForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = token.value.trim();
      scanError.hidden = true;
      if (!text) return;
      scanSubmit.disabled = true;
      try {
        const result = await api.scan(checkpoint.id, text);
        if (!live) return;
        clear(scanResult);
        scanResult.hidden = false;
        scanResult.dataset.decision = result.decision;
        scanResult.append(
          decisionBadge(result.decision, 'scan-decision'),
          el('div', { class: 'scan-display', testid: 'scan-display' }, displayText(result)),
          el(
            'div',
            { class: 'stat-muted' },
            [result.reason, result.pass_id ? `${t('pass_id')} ${result.pass_id}` : '']
              .filter(Boolean)
              .join(' · '),
          ),
        );
        showOnLed(result);
      } catch (e) {
        if (!live) return;
        scanError.textContent = errorText(e);
        scanError.hidden = false;
      } finally {
        scanSubmit.disabled = false;
      }
    });
    camera.addEventListener('click', async () => {
      if (stopCamera) {
        stopCamera();
        return;
      }
      if (!Detector) return;
      let stream: MediaStream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: 'environment' },
        });
      } catch {
        scanError.textContent = t('scan_camera_failed');
        scanError.hidden = false;
        return;
      }
      const detector = new Detector({ formats: ['qr_code'] });
      let timer: number | undefined;
      stopCamera = () => {
        window.clearTimeout(timer);
        for (const track of stream.getTracks()) track.stop();
        video.srcObject = null;
        video.hidden = true;
        camera.textContent = t('scan_camera');
        stopCamera = null;
      };
      video.srcObject = stream;
      video.hidden = false;
      camera.textContent = t('scan_camera_stop');
      await video.play().catch(() => {});
      const tick = async () => {
        if (!stopCamera) return;
        try {
          const codes = await detector.detect(video);
          const found = codes.find((c) => c.rawValue)?.rawValue;
          if (found) {
            token.value = found;
            stopCamera?.();
            scanForm.requestSubmit();
            return;
          }
        } catch {
          // A frame that is not ready yet.
        }
        timer = window.setTimeout(tick, SCAN_INTERVAL_MS);
      };
      void tick();
    });

    content.append(
      led,
      el(
        'div',
        { class: 'console-layout' },
        el('section', { class: 'card console-feed' }, el('h3', {}, t('passages')), rows),
        el('div', { class: 'console-side' }, scanForm),
      ),
    );

    // ---- the long-poll loop: history first (wait 0), then wait for what comes after it.
    let after = 0;
    let first = true;
    const poll = async () => {
      while (live) {
        const asked = Date.now();
        const waited = !first;
        try {
          const page = await api.passages(
            checkpoint.id,
            after,
            first ? 0 : WAIT_MS,
            controller.signal,
          );
          if (!live) return;
          const items = [...(page.items ?? [])].sort((a, b) => passageId(a) - passageId(b));
          for (const p of items) addPassage(p);
          const newest = items[items.length - 1];
          if (newest && (!first || !led.dataset.decision))
            showOnLed({ ...newest, passage_id: passageId(newest) }, passageTime(newest));
          after = Math.max(after, Number(page.last_id ?? 0) || 0, newest ? passageId(newest) : 0);
          first = false;
          feed.dataset.state = 'live';
          feed.dataset.lastId = String(after);
          feed.textContent = `● ${t('feed_live')}`;
          error.hidden = true;
          // The server answers at once, empty, when too many consoles wait already: pause
          // before asking again rather than spin.
          if (waited && items.length === 0 && Date.now() - asked < EARLY_ANSWER_MS) {
            await new Promise((resolve) => {
              retryTimer = window.setTimeout(resolve, BUSY_PAUSE_MS);
            });
          }
        } catch (e) {
          if (!live || (e instanceof ApiError && e.code === 'aborted')) return;
          feed.dataset.state = 'error';
          feed.textContent = `● ${t('feed_error')}`;
          showError(errorText(e));
          await new Promise((resolve) => {
            retryTimer = window.setTimeout(resolve, RETRY_MS);
          });
        }
      }
    };
    feed.dataset.state = 'connecting';
    feed.textContent = `○ ${t('loading')}`;
    void poll();
  };

  return () => {
    live = false;
    controller.abort();
    window.clearTimeout(retryTimer);
    stopCamera?.();
    document.querySelector('[data-testid="action-dialog"]')?.remove();
  };
}
