package web_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/app/qrcode"
)

// onNewDocument runs script in every page the tab opens from now on,
// before the page's own scripts.
func onNewDocument(t *testing.T, tab context.Context, script string) {
	t.Helper()
	do(t, tab, 10*time.Second, "install a script", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	}))
}

// fakeCamera is a camera showing a picture (a data: URL): a browser
// without BarcodeDetector (as Chromium on Linux and Firefox are) whose
// getUserMedia answers a canvas stream that paints the picture, a little
// rotated, on a grey table ten times a second.
const fakeCamera = `delete globalThis.BarcodeDetector;
navigator.mediaDevices.getUserMedia = async () => {
  const c = document.createElement('canvas'); c.width = 640; c.height = 480;
  const g = c.getContext('2d');
  const img = new Image(); img.src = window.__picture; await img.decode();
  const paint = () => { g.setTransform(1, 0, 0, 1, 0, 0); g.fillStyle = '#8a8a80'; g.fillRect(0, 0, 640, 480);
    g.translate(320, 240); g.rotate(0.12); g.drawImage(img, -150, -150, 300, 300); };
  paint(); setInterval(paint, 100);
  return c.captureStream(10);
};`

// TestKioskCameraWithoutBarcodeDetector: in a browser without
// BarcodeDetector the kiosk loads the kept jsQR decoder only when the
// camera starts, reads a guest's ticket from a camera frame and checks
// the guest in.
func TestKioskCameraWithoutBarcodeDetector(t *testing.T) {
	srv := startServer(t)
	guest := srv.attendees(1)[0]
	png, err := qrcode.PNG(guest.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	kiosk := newTab(t, b)
	onNewDocument(t, kiosk, `window.__picture = "data:image/png;base64,`+base64.StdEncoding.EncodeToString(png)+`";`+fakeCamera)
	path := "/e/" + demo.Slug + "/checkin"
	login(t, kiosk, srv.url, path, checkerName, checkerPassword, path)
	if eval[bool](t, kiosk, `'BarcodeDetector' in globalThis`) {
		t.Fatal("the test browser still has BarcodeDetector")
	}
	jsqrLoaded := `performance.getEntriesByType('resource').some(e => e.name.includes('/vendor/jsqr/jsQR.js'))`
	if eval[bool](t, kiosk, jsqrLoaded) {
		t.Fatal("the kiosk loaded jsQR before the camera was started")
	}
	tap(t, kiosk, "#camera")
	waitFor(t, kiosk, 15*time.Second, "the guest checked in from the camera",
		`document.body.dataset.camera === 'on' && !document.querySelector('#result').hidden && document.querySelector('#result').dataset.result === 'ok' && document.querySelector('#result-name').textContent === `+jsString(guest.Name))
	if got := eval[string](t, kiosk, `document.body.dataset.reader`); got != "jsqr" {
		t.Errorf("reader %q, want jsqr", got)
	}
	if !eval[bool](t, kiosk, jsqrLoaded) {
		t.Error("jsQR was not loaded from the vendor folder")
	}
	sum, err := srv.svc.CheckInSummary(context.Background(), app.Principal{Name: "t", Role: app.RoleAdmin}, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if sum.CheckedIn != 1 {
		t.Errorf("the server counts %d checked in, want 1", sum.CheckedIn)
	}
	tap(t, kiosk, "#camera-stop")
	waitFor(t, kiosk, 5*time.Second, "the camera off", `document.body.dataset.camera === 'off' && document.querySelector('#camera-box').hidden`)
}

// TestKioskCameraProblems: a kiosk whose camera cannot open says why —
// no camera, permission refused, camera busy, a page not on https — and
// the scan input keeps working.
func TestKioskCameraProblems(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	kiosk := newTab(t, b)
	onNewDocument(t, kiosk, `delete globalThis.BarcodeDetector;`)
	path := "/e/" + demo.Slug + "/checkin"
	login(t, kiosk, srv.url, path, checkerName, checkerPassword, path)

	// The browser's own answer: headless Chromium has no camera.
	tap(t, kiosk, "#camera")
	waitFor(t, kiosk, 10*time.Second, "a reason shown", `['none', 'denied', 'busy', 'failed'].includes(document.body.dataset.camera) && !document.querySelector('#kiosk-notice').hidden`)

	for _, c := range []struct{ stub, state, says string }{
		{`navigator.mediaDevices.getUserMedia = async () => { throw new DOMException('none', 'NotFoundError') }`, "none", "No camera found"},
		{`navigator.mediaDevices.getUserMedia = async () => { throw new DOMException('no', 'NotAllowedError') }`, "denied", "permission was refused"},
		{`navigator.mediaDevices.getUserMedia = async () => { throw new DOMException('busy', 'NotReadableError') }`, "busy", "in use"},
		{`Object.defineProperty(navigator, 'mediaDevices', { value: undefined, configurable: true })`, "insecure", "https"},
	} {
		eval[bool](t, kiosk, `(() => { document.querySelector('#kiosk-notice').hidden = true; `+c.stub+`; return true })()`)
		tap(t, kiosk, "#camera")
		waitFor(t, kiosk, 10*time.Second, "the "+c.state+" message", `document.body.dataset.camera === `+jsString(c.state)+` && !document.querySelector('#kiosk-notice').hidden`)
		if got := eval[string](t, kiosk, `document.querySelector('#kiosk-notice').textContent`); !strings.Contains(got, c.says) {
			t.Errorf("%s: the kiosk says %q, want it to contain %q", c.state, got, c.says)
		}
		if !eval[bool](t, kiosk, `document.querySelector('#camera-box').hidden`) {
			t.Errorf("%s: the camera box is shown", c.state)
		}
	}
	waitFor(t, kiosk, 5*time.Second, "the scan input to have the focus back", `document.activeElement?.id === 'scan'`)
}
