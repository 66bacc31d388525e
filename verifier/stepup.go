package verifier

import (
	"errors"

	"github.com/gatehouse/gatehouse/keystore"
)

// checkStepUp applies a rule's step_up (docs/design.md "Rules"): a user
// with TOTP on or with at least one passkey needs a browser session whose
// step-up proof (a TOTP code or a passkey; the marker is the same) is
// unexpired and no older than the rule's window. A user with neither has
// no way to step up and passes.
//
// The cheap answers come first: a fresh proof passes whoever the user is,
// and a user with TOTP needs no passkey lookup. Only a user without TOTP
// and without a fresh proof costs a look at their passkeys, cached like
// the other snapshots.
func (v *Verifier) checkStepUp(rl *rule, id *identity, now int64) Reason {
	// The proof was made at stepUpUntil-stepUpTTL and must be within the
	// rule's window as well as unexpired. Only a browser session carries
	// the marker.
	if id.kind == KindCookie && id.stepUpUntil != 0 && now <= id.stepUpUntil &&
		now <= id.stepUpUntil-v.stepUpTTL+int64(rl.stepUp) {
		return ReasonNone
	}
	if id.user.totpEnabled {
		return ReasonTOTPStepUpRequired
	}
	has, r := v.userHasPasskeys(id.user.id, now)
	switch {
	case r != ReasonNone:
		return r
	case has:
		return ReasonTOTPStepUpRequired
	}
	return ReasonNone
}

// userHasPasskeys reports whether the user has registered a passkey, from
// cache or store. Without a passkey store (Options.Passkeys nil) nobody
// has one. A store failure denies with 503: the user might have one.
func (v *Verifier) userHasPasskeys(userID string, now int64) (bool, Reason) {
	if v.passkeysStore == nil {
		return false, ReasonNone
	}
	if has, ok := v.passkeyUsers.get([]byte(userID), now); ok {
		return has, ReasonNone
	}
	ctx, cancel := v.storeCtx()
	pks, err := v.passkeysStore.ListUserPasskeys(ctx, userID)
	cancel()
	if err != nil && !errors.Is(err, keystore.ErrNotFound) {
		v.storeFailed("passkeys", err)
		return true, ReasonTokenProcessingFailed
	}
	has := len(pks) > 0
	v.passkeyUsers.put(userID, has, now)
	return has, ReasonNone
}
