// Camera scanning for the kiosk. Where the browser has BarcodeDetector
// with QR support (Chrome on Android and macOS, Edge), frames go to it;
// elsewhere (Chromium on Linux, Firefox, Safari before 17) the kept jsQR
// decoder (static/vendor/jsqr, Apache-2.0, as published on npm) is loaded
// on first use and reads frames drawn on a canvas. A camera that cannot be
// opened is explained: none on this device, permission refused, in use,
// or a page that is not on https.

import { t } from './i18n.js';

const TICK_MS = 200;
const MAX_SIDE = 720; // frames are scaled down to this for jsQR: fast and still readable
const REPEAT_MS = 3000; // the same code again within this is the same scan

let jsqr = null;

/** loadJsQR loads the vendored decoder once; it sets globalThis.jsQR. */
function loadJsQR() {
  if (!jsqr) {
    jsqr = import('../vendor/jsqr/jsQR.js').then(() => {
      if (typeof globalThis.jsQR !== 'function') throw new Error('jsQR did not load');
      return globalThis.jsQR;
    });
    jsqr.catch(() => { jsqr = null; });
  }
  return jsqr;
}

/** nativeDetector returns a BarcodeDetector that reads QR codes, or null. */
async function nativeDetector() {
  if (!('BarcodeDetector' in globalThis)) return null;
  try {
    const formats = BarcodeDetector.getSupportedFormats ? await BarcodeDetector.getSupportedFormats() : ['qr_code'];
    if (!formats.includes('qr_code')) return null;
    return new BarcodeDetector({ formats: ['qr_code'] });
  } catch {
    return null;
  }
}

/**
 * makeReader returns {kind, read(source)}: read resolves to the text of a
 * QR code in the source (a video, image or canvas) or "" when there is
 * none. kind is "native" or "jsqr".
 */
export async function makeReader() {
  const native = await nativeDetector();
  if (native) {
    return {
      kind: 'native',
      read: async (src) => {
        const codes = await native.detect(src);
        return codes.length ? codes[0].rawValue : '';
      },
    };
  }
  const decode = await loadJsQR();
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  return {
    kind: 'jsqr',
    read: async (src) => {
      const w = src.videoWidth || src.naturalWidth || src.width;
      const h = src.videoHeight || src.naturalHeight || src.height;
      if (!w || !h) return '';
      const k = Math.min(1, MAX_SIDE / Math.max(w, h));
      canvas.width = Math.round(w * k);
      canvas.height = Math.round(h * k);
      g.drawImage(src, 0, 0, canvas.width, canvas.height);
      const img = g.getImageData(0, 0, canvas.width, canvas.height);
      const code = decode(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' });
      return code ? code.data : '';
    },
  };
}

/** cameraProblem names why the camera could not be opened (a dictionary key). */
export function cameraProblem(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
      return 'kiosk.cameraDenied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'kiosk.cameraNone';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'kiosk.cameraBusy';
    case 'SecurityError':
      return 'kiosk.cameraInsecure';
    default:
      return 'kiosk.cameraFailed';
  }
}

/**
 * Camera runs the kiosk's camera: start() opens it and reads a frame every
 * TICK_MS; onCode(text) gets each code read (the same code again only
 * after REPEAT_MS); onProblem(text) gets the reason when it cannot start.
 * The state is in document.body.dataset.camera: off, starting, on (with
 * dataset.reader native or jsqr), or the problem (denied, none, busy,
 * insecure, failed).
 */
export class Camera {
  constructor({ box, video, onCode, onProblem }) {
    this.box = box;
    this.video = video;
    this.onCode = onCode;
    this.onProblem = onProblem;
    this.stream = null;
    this.timer = null;
    this.last = '';
    this.lastAt = 0;
    this.state('off');
  }

  state(s) {
    document.body.dataset.camera = s;
  }

  async start() {
    if (this.stream) return;
    this.state('starting');
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      // Browsers offer cameras to https pages (and localhost) only.
      this.fail('kiosk.cameraInsecure');
      return;
    }
    let reader;
    try {
      reader = await makeReader();
    } catch {
      this.fail('kiosk.cameraNoDecoder');
      return;
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (e) {
      this.fail(cameraProblem(e));
      return;
    }
    try {
      this.video.srcObject = this.stream;
      await this.video.play();
    } catch {
      this.stop();
      this.fail('kiosk.cameraFailed');
      return;
    }
    this.box.hidden = false;
    document.body.dataset.reader = reader.kind;
    this.state('on');
    const tick = async () => {
      if (!this.stream) return;
      try {
        const v = await reader.read(this.video);
        if (v && (v !== this.last || Date.now() - this.lastAt > REPEAT_MS)) {
          this.last = v;
          this.lastAt = Date.now();
          await this.onCode(v);
        }
      } catch {
        /* a frame that could not be read */
      }
      if (this.stream) this.timer = setTimeout(tick, TICK_MS);
    };
    tick();
  }

  fail(key) {
    this.state(key.replace('kiosk.camera', '').toLowerCase() || 'failed');
    this.onProblem(t(key));
  }

  stop() {
    clearTimeout(this.timer);
    if (this.stream) for (const tr of this.stream.getTracks()) tr.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.box.hidden = true;
    if (document.body.dataset.camera === 'on' || document.body.dataset.camera === 'starting') this.state('off');
  }
}
