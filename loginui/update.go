package loginui

import (
	"context"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"

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

// refuse, refused and passwordStill are the one implementation in
// loginui/internal/feature, shared with the features.
var (
	refuse        = feature.Refuse
	refused       = feature.Refused
	passwordStill = feature.PasswordStill
)

// opRecordChanged answers a change whose premise (a password just checked,
// a pending enrollment) no longer holds on the stored record.
var opRecordChanged = web.RecordChanged

// updateUser applies fn to the user as stored and stamps UpdatedAt. fn may
// run more than once and must only set fields of its argument.
func (p *Portal) updateUser(ctx context.Context, id string, fn func(u *keystore.User) error) (*keystore.User, error) {
	return p.accounts.UpdateUser(ctx, id, fn)
}
