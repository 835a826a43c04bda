package qrcode_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"

	"github.com/hybridcon/hybridcon/app/qrcode"
)

func TestPNG(t *testing.T) {
	t.Run("RoundTrip", func(t *testing.T) {
		// The shape of a real ticket: version prefix, slug, id, signature.
		text := "HC1.cn-hu-2021.abcdefghijklmnopqrstuvwxyz." + strings.Repeat("A", 86)
		b, err := qrcode.PNG(text)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != h || w < qrcode.MinPixels {
			t.Fatalf("got %d×%d, want a square of at least %d", w, h, qrcode.MinPixels)
		}
		got, err := goqr.Decode(img)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if got != text {
			t.Fatalf("decoded %q, want %q", got, text)
		}
		if len(b) > 4096 {
			t.Fatalf("PNG is %d bytes, want a 1-bit image of at most 4 KiB", len(b))
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		if _, err := qrcode.PNG(strings.Repeat("x", 5000)); err == nil {
			t.Fatal("got no error for 5000 bytes, more than any QR version holds")
		}
	})
}
