package feature

import (
	"crypto/subtle"
	"errors"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Record changes are field-level functions applied to the stored record
// (keystore.UpdateUser, UpdateAPIKey). A change function that finds its
// premise gone refuses with the answer for the request; the store hands
// the refusal back unchanged and writes nothing. The core and every
// feature use these three, so the re-check has one implementation.

type refusal struct{ op *web.Error }

func (r refusal) Error() string { return "loginui: change refused: " + r.op.Code }

// Refuse is a change function's refusal carrying op as the answer.
func Refuse(op *web.Error) error { return refusal{op} }

// Refused returns the answer of a refusal from a change function.
func Refused(err error) (*web.Error, bool) {
	var r refusal
	if errors.As(err, &r) {
		return r.op, true
	}
	return nil, false
}

// PasswordStill refuses (web.RecordChanged) unless the stored password
// hash is still the one the request verified or built its decision on.
func PasswordStill(u *keystore.User, verified string) error {
	if subtle.ConstantTimeCompare([]byte(u.PasswordHash), []byte(verified)) != 1 {
		return Refuse(web.RecordChanged)
	}
	return nil
}
