package loginui

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Record changes are field-level: every write of a user or an API key goes
// through keystore's UpdateUser or UpdateAPIKey with a function that sets
// only the fields the request changes, applied to the record as stored.
// A copy read when the request was authenticated (caller.user) or before a
// slow password check is never written back, so a deactivation, a
// revocation, a password change or a TOTP enrollment made meanwhile stays.
// Where a decision rested on a stored value (the password just verified,
// the pending TOTP envelope, a token's fingerprint), the change function
// checks it again on the stored record and refuses when it moved.

// refusal is a change function's refusal; it carries the answer for the
// request. The store hands it back unchanged and writes nothing.
type refusal struct{ op *opErr }

func (r refusal) Error() string { return "loginui: change refused: " + r.op.Code }

func refuse(op *opErr) error { return refusal{op} }

// refused returns the answer of a refusal from a change function.
func refused(err error) (*opErr, bool) {
	var r refusal
	if errors.As(err, &r) {
		return r.op, true
	}
	return nil, false
}

// opRecordChanged answers a change whose premise (a password just checked,
// a pending enrollment) no longer holds on the stored record.
var opRecordChanged = web.RecordChanged

// updateUser applies fn to the user as stored and stamps UpdatedAt. fn may
// run more than once and must only set fields of its argument.
func (p *Portal) updateUser(ctx context.Context, id string, fn func(u *keystore.User) error) (*keystore.User, error) {
	return p.accounts.UpdateUser(ctx, id, fn)
}

// passwordStill refuses unless the stored password hash is still the one
// a request verified (or built its decision on).
func passwordStill(u *keystore.User, verified string) error {
	if !constEq(u.PasswordHash, verified) {
		return refuse(opRecordChanged)
	}
	return nil
}
