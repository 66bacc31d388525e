package loginui

import (
	"context"
	"crypto/subtle"
	"strconv"

	"github.com/gatehouse/gatehouse/keystore"
)

func itoa(n int) string { return strconv.Itoa(n) }

// constEq compares two strings in constant time (for equal lengths).
func constEq(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// checkCurrentPassword verifies u's password, spending a dummy hash when
// there is none. It returns nil on a match, opBusy when the hasher had no
// free slot in time, and wrong otherwise. A malformed stored hash fails
// closed.
func (p *Portal) checkCurrentPassword(ctx context.Context, u *keystore.User, pw string, wrong *opErr) *opErr {
	if u.PasswordHash == "" || pw == "" || len(pw) > 4*p.o.PasswordMaxLen {
		return hashErr(p.hasher.VerifyDummyContext(ctx, pw), wrong)
	}
	ok, _, err := p.hasher.VerifyContext(ctx, u.PasswordHash, pw)
	if err != nil || !ok {
		return hashErr(err, wrong)
	}
	return nil
}
