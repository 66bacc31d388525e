package totp

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// The enrolment QR code (docs/design.md "TOTP"): the otpauth
// URI at error-correction level M in boombuler's automatic mode (what
// github.com/pquerna/otp's Key.Image uses), drawn here rather than with
// Key.Image so that it has the 4-module quiet zone scanners need and whole
// pixels per module.
const (
	qrLevel = qr.M
	qrMode  = qr.Auto
	qrScale = 4 // pixels per module
	qrQuiet = 4 // modules of white border
)

var qrPalette = color.Palette{color.Gray{Y: 0xff}, color.Gray{Y: 0}}

// qrPNG is the QR code of uri as a 1-bit PNG.
func qrPNG(uri string) ([]byte, error) {
	code, err := qr.Encode(uri, qrLevel, qrMode)
	if err != nil {
		return nil, err
	}
	n := code.Bounds().Dx()
	side := (n + 2*qrQuiet) * qrScale
	img := image.NewPaletted(image.Rect(0, 0, side, side), qrPalette)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			// boombuler's matrix answers color.Black for a dark module.
			if code.At(x, y) != color.Black {
				continue
			}
			x0, y0 := (x+qrQuiet)*qrScale, (y+qrQuiet)*qrScale
			for dy := 0; dy < qrScale; dy++ {
				row := img.Pix[(y0+dy)*img.Stride+x0:]
				for dx := 0; dx < qrScale; dx++ {
					row[dx] = 1
				}
			}
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// groupKey writes a base32 key in blocks of four for typing; apps ignore
// the spaces (and DecodeTOTPSecret does too).
func groupKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(key[i:min(i+4, len(key))])
	}
	return b.String()
}

// enrolPage is what the enrolment page shows besides the key and URI: the
// QR code of the URI, the key in blocks of four, and the key's labels.
type enrolPage struct {
	QR              template.URL
	Side            int // of the QR image, in CSS pixels
	KeyGroups       string
	Issuer, Account string
}

// newEnrolPage renders the QR code as a data:image/png;base64 URL for
// the <img src>; the page that shows it allows img-src data: (and only
// it, feature.AccountView.DataImages).
func newEnrolPage(en *enrollment) (*enrolPage, error) {
	p, err := qrPNG(en.URI)
	if err != nil {
		return nil, err
	}
	side, err := png.DecodeConfig(bytes.NewReader(p))
	if err != nil {
		return nil, err
	}
	q := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(p))
	return &enrolPage{QR: q, Side: side.Width, KeyGroups: groupKey(en.Secret), Issuer: en.issuer, Account: en.account}, nil
}
