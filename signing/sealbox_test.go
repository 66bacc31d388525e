package signing

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealBoxRoundTripAndRefusals(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	box, err := NewSealBox(key, "purpose-a")
	if err != nil {
		t.Fatal(err)
	}
	v, err := box.Seal([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := box.Open(v, 1024); err != nil || string(pt) != "hello" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	other, _ := NewSealBox(key, "purpose-b")
	otherKey, _ := NewSealBox(bytes.Repeat([]byte{8}, 32), "purpose-a")
	flipped := []byte(v)
	flipped[len(flipped)/2] ^= 1
	for name, tc := range map[string]struct {
		box *SealBox
		v   string
		max int
	}{
		"other purpose": {other, v, 1024},
		"other key":     {otherKey, v, 1024},
		"altered":       {box, string(flipped), 1024},
		"truncated":     {box, v[:len(v)-3], 1024},
		"too long":      {box, v, len(v) - 1},
		"empty":         {box, "", 1024},
		"padding":       {box, v + "=", 1024},
		"not base64":    {box, strings.Repeat("*", 40), 1024},
		"short":         {box, "AAAA", 1024},
	} {
		if _, err := tc.box.Open(tc.v, tc.max); err != ErrSealedInvalid {
			t.Errorf("%s: err = %v, want ErrSealedInvalid", name, err)
		}
	}
	if _, err := NewSealBox(key[:16], "x"); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}
