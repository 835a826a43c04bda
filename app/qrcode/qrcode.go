// Package qrcode renders texts (tickets) as QR code images. It is the
// one place that draws: app produces ticket texts, and the HTTP handlers
// and commands that hand out pictures call this package. The encoder is
// github.com/piglig/go-qr (a pure-Go port of Nayuki's generator); the
// PNG is drawn here, one bit per pixel, so a ticket is a few hundred
// bytes rather than an RGBA image.
package qrcode

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	goqr "github.com/piglig/go-qr"
)

// MinPixels is the least width (and height) of a PNG from PNG: a phone
// camera or a door scanner reads it from paper or a screen at arm's
// length.
const MinPixels = 256

// quietZone is the light border around the symbol, in modules; the QR
// standard asks for 4.
const quietZone = 4

// PNG renders text as a QR code with medium error correction (15 % of
// the symbol may be damaged): a square grayscale PNG of whole pixels per
// module, at least MinPixels wide, with a 4-module quiet zone. A text too
// long for any QR version is an error. Safe for concurrent use.
func PNG(text string) ([]byte, error) {
	qr, err := goqr.EncodeText(text, goqr.Medium)
	if err != nil {
		return nil, fmt.Errorf("qrcode: %w", err)
	}
	modules := qr.Size() + 2*quietZone
	scale := (MinPixels + modules - 1) / modules
	side := modules * scale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y := 0; y < qr.Size(); y++ {
		for x := 0; x < qr.Size(); x++ {
			if !qr.Module(x, y) {
				continue
			}
			x0, y0 := (x+quietZone)*scale, (y+quietZone)*scale
			for py := y0; py < y0+scale; py++ {
				row := img.Pix[py*img.Stride+x0 : py*img.Stride+x0+scale]
				for i := range row {
					row[i] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qrcode: %w", err)
	}
	return buf.Bytes(), nil
}
