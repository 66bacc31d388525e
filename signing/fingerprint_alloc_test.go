//go:build !race

package signing_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

func TestSessionFingerprinterAllocatesNothing(t *testing.T) {
	f := signing.NewSessionFingerprinter(signing.NewSecret([]byte("fingerprint-secret-0123456789abcdef")))
	fp := f.Append(nil, "u-1", "a@x.test", "hash")
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(200, func() {
		if !f.Match(fp, "u-1", "a@x.test", "hash") {
			t.Fatal("no match")
		}
		buf = f.Append(buf[:0], "u-1", "a@x.test", "hash")
	})
	if allocs != 0 {
		t.Fatalf("allocated %v times per run", allocs)
	}
}
