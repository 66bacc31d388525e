package migrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// probeLife is how long SameStore's probe entry lives in the
// destination's denylist: shorter than verifyMargin, so verification
// never counts it.
const probeLife = 3 * time.Second

// SameStore reports whether a and b (stores or denylists) are one
// store. Two file stores (a Path method: bbolt) are the same when their
// paths name one file; a file store is never a network store. Otherwise
// SameStore denies a random id in b for probeLife and asks a whether it
// is denied: the same Redis deployment under the same key prefix answers
// yes, another deployment or prefix no. Nothing is written to a.
func SameStore(ctx context.Context, a, b keystore.Denylist, now func() time.Time) (bool, error) {
	if a == b {
		return true, nil
	}
	type filed interface{ Path() string }
	fa, okA := a.(filed)
	fb, okB := b.(filed)
	if okA || okB {
		if !okA || !okB {
			return false, nil
		}
		return SameFile(fa.Path(), fb.Path()), nil
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return false, err
	}
	id := "migrate-probe:" + hex.EncodeToString(raw[:])
	if err := b.Deny(ctx, id, now().Add(probeLife)); err != nil {
		return false, err
	}
	return a.IsDenied(ctx, []byte(id))
}

// SameFile reports whether the two paths name one file: the same file
// when both exist, else the same cleaned absolute path.
func SameFile(p, q string) bool {
	si, err1 := os.Stat(p)
	sj, err2 := os.Stat(q)
	if err1 == nil && err2 == nil {
		return os.SameFile(si, sj)
	}
	return absClean(p) == absClean(q)
}

func absClean(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
