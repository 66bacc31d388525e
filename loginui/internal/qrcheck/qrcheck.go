// Package qrcheck is test support: it checks that a PNG shows exactly the
// QR code of a text, by sampling the image at the centre of every module
// and comparing with the matrix github.com/boombuler/barcode/qr encodes
// for that text. Issue 13 allows this check instead of a QR decoder
// dependency: the encoder is deterministic, so an equal matrix means the
// image carries exactly that text.
package qrcheck

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"net/http"

	"github.com/boombuler/barcode/qr"
)

// Dark reports a dark pixel or module.
func Dark(c color.Color) bool {
	y, _, _, _ := color.GrayModel.Convert(c).RGBA()
	return y < 0x8000
}

// PNGIsText returns nil when p is a PNG (by content sniffing and by
// decoding) whose modules, inside a white quiet zone of quiet modules,
// are qr.Encode(text, level, mode). The module size is inferred and must
// be a whole number of pixels.
func PNGIsText(p []byte, text string, level qr.ErrorCorrectionLevel, mode qr.Encoding, quiet int) error {
	if ct := http.DetectContentType(p); ct != "image/png" {
		return fmt.Errorf("content type %s", ct)
	}
	img, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		return err
	}
	want, err := qr.Encode(text, level, mode)
	if err != nil {
		return err
	}
	n := want.Bounds().Dx()
	b := img.Bounds()
	all := n + 2*quiet
	if b.Dx() != b.Dy() || b.Dx()%all != 0 {
		return fmt.Errorf("image %v is not %d whole modules square", b, all)
	}
	s := b.Dx() / all
	at := func(mx, my int) bool { return Dark(img.At(b.Min.X+mx*s+s/2, b.Min.Y+my*s+s/2)) }
	for my := 0; my < all; my++ {
		for mx := 0; mx < all; mx++ {
			x, y := mx-quiet, my-quiet
			inside := x >= 0 && y >= 0 && x < n && y < n
			switch {
			case !inside && at(mx, my):
				return fmt.Errorf("quiet-zone module (%d,%d) is dark", mx, my)
			case inside && at(mx, my) != Dark(want.At(x, y)):
				return fmt.Errorf("module (%d,%d) differs from the QR matrix of the text", x, y)
			}
		}
	}
	return nil
}
