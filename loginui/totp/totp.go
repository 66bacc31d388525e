package totp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
)

const (
	totpTokenLifetime = 5 * time.Minute
	// totpReplayTTL is how long a used (user, counter) pair is refused.
	totpReplayTTL = 90 * time.Second
	// recoveryUsedFor keeps the durable record of a spent recovery code;
	// a regenerated list drops the code anyway.
	recoveryUsedFor = 10 * 365 * 24 * time.Hour
	// maxCodeInput caps the code field before any work is spent on it.
	maxCodeInput = 128
)

// framedMAC is base64url HMAC-SHA256 over length-framed fields.
func framedMAC(key []byte, fields ...string) string {
	m := hmac.New(sha256.New, key)
	var l [4]byte
	for _, f := range fields {
		binary.BigEndian.PutUint32(l[:], uint32(len(f)))
		m.Write(l[:])
		m.Write([]byte(f))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// totpRecord is the plaintext sealed in User.TOTPSecret (and, without
// recovery codes, in User.TOTPPending): the secret, the algorithm it was
// enrolled with, and the stored form of the recovery codes.
type totpRecord struct {
	V        int                        `json:"v"`
	Alg      string                     `json:"alg"`
	Secret   string                     `json:"secret"`
	Recovery []signing.RecoveryCodeHash `json:"recovery,omitempty"`
}

var errTOTPRecord = errors.New("loginui: TOTP record unusable")

func (f *Feature) sealTOTP(rec *totpRecord) (string, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	return f.ring.Load().Seal(b)
}

// openTOTP opens an envelope; every failure is errTOTPRecord and never
// carries the envelope or its contents.
func (f *Feature) openTOTP(env string) (*totpRecord, signing.TOTPAlgorithm, []byte, error) {
	if !f.ready || env == "" {
		return nil, 0, nil, errTOTPRecord
	}
	b, err := f.ring.Load().Open(env)
	if err != nil {
		return nil, 0, nil, errTOTPRecord
	}
	var rec totpRecord
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil || rec.V != 1 {
		return nil, 0, nil, errTOTPRecord
	}
	alg, err := signing.ParseTOTPAlgorithm(rec.Alg)
	if err != nil || rec.Alg == "" {
		return nil, 0, nil, errTOTPRecord
	}
	sec, err := signing.DecodeTOTPSecret(rec.Secret)
	if err != nil {
		return nil, 0, nil, errTOTPRecord
	}
	return &rec, alg, sec, nil
}

// Answers shared by the TOTP routes.
var (
	opCodeInvalid    = &web.Error{Status: http.StatusBadRequest, Code: errcode.TOTPCodeInvalid, Detail: "the code is invalid or was already used"}
	opPendingBad     = &web.Error{Status: http.StatusBadRequest, Code: errcode.TOTPPendingBadToken, Detail: "the login is invalid or expired; log in again"}
	opEnrollBad      = &web.Error{Status: http.StatusBadRequest, Code: errcode.TOTPEnrollBadToken, Detail: "the enrollment is invalid or expired; start again"}
	opAlreadyEnabled = &web.Error{Status: http.StatusBadRequest, Code: errcode.TOTPAlreadyEnabled, Detail: "two-factor authentication is already on"}
	opNotEnabled     = &web.Error{Status: http.StatusBadRequest, Code: errcode.TOTPCodeInvalid, Detail: "two-factor authentication is not on"}
	opEnrollOff      = &web.Error{Status: http.StatusForbidden, Code: errcode.AuthorizationDenied, Detail: "two-factor enrollment is disabled"}
	opNeedPwSession  = &web.Error{Status: http.StatusForbidden, Code: errcode.AuthorizationDenied, Detail: "a password session is required"}
	opNeedCookie     = &web.Error{Status: http.StatusForbidden, Code: errcode.AuthorizationDenied, Detail: "a browser session is required"}
)

// factorMatch is a code that matched, before it is spent.
type factorMatch struct {
	recovery bool
	counter  uint64 // TOTP
	lookup   string // recovery code lookup digest
}

// matchFactor checks code against u's TOTP secret or, when it is not six
// digits, against u's recovery codes. It writes nothing.
func (f *Feature) matchFactor(u *keystore.User, code string) (factorMatch, error) {
	if len(code) > maxCodeInput {
		return factorMatch{}, opCodeInvalid
	}
	rec, alg, sec, err := f.openTOTP(u.TOTPSecret)
	if err != nil {
		f.h.Log().Error().Str("component", "loginui").Str("user_id", u.ID).Msg("stored TOTP secret is unusable")
		return factorMatch{}, web.Unavailable
	}
	if len(code) == signing.TOTPDigits {
		ctr, ok := signing.ValidateTOTP(alg, sec, code, f.h.Now())
		if !ok {
			return factorMatch{}, opCodeInvalid
		}
		return factorMatch{counter: ctr}, nil
	}
	_, lk, ok, err := signing.MatchRecoveryCode(f.c.Hasher, f.c.RecoveryLookup, rec.Recovery, code)
	if err != nil {
		return factorMatch{}, hashErr(err)
	}
	if !ok {
		return factorMatch{}, opCodeInvalid
	}
	return factorMatch{recovery: true, lookup: lk}, nil
}

func totpReplayKey(userID string, counter uint64) string {
	return "totp:" + userID + ":" + strconv.FormatUint(counter, 10)
}

func recoveryUsedKey(userID, lookup string) string { return "rc:" + userID + ":" + lookup }

// spendFactor makes a match single use: a TOTP (user, counter) pair is
// remembered for 90 s; a recovery code is claimed with set-if-absent (one
// concurrent winner), recorded durably in the denylist and dropped from
// the user's list.
func (f *Feature) spendFactor(ctx context.Context, u *keystore.User, m factorMatch) error {
	if !m.recovery {
		won, err := f.c.Markers.SetIfAbsent(ctx, totpReplayKey(u.ID, m.counter), totpReplayTTL)
		if err != nil {
			return web.Unavailable
		}
		if !won {
			f.h.Log().Warn().Str("audit", "totp_replay").Str("user_id", u.ID).Msg("audit")
			return opCodeInvalid
		}
		return nil
	}
	key := recoveryUsedKey(u.ID, m.lookup)
	used, err := f.c.Denylist.IsDenied(ctx, []byte(key))
	if err != nil {
		return web.Unavailable
	}
	if used {
		return opCodeInvalid
	}
	won, err := f.c.Markers.SetIfAbsent(ctx, key, 24*time.Hour)
	if err != nil {
		return web.Unavailable
	}
	if !won {
		return opCodeInvalid
	}
	if err := f.c.Denylist.Deny(ctx, key, f.h.Now().Add(recoveryUsedFor)); err != nil {
		return web.Unavailable
	}
	f.h.Audit("recovery_code_used", u.ID)
	f.dropRecoveryCode(ctx, u.ID, m.lookup)
	return nil
}

// dropRecoveryCode removes a spent code from the stored list. The
// denylist entry already refuses it, so a failure here is only logged.
func (f *Feature) dropRecoveryCode(ctx context.Context, userID, lookup string) {
	fail := func() {
		f.h.Log().Warn().Str("component", "loginui").Str("user_id", userID).Msg("spent recovery code not removed from the list")
	}
	// The envelope is opened, filtered and sealed again on the record as
	// stored, so a regeneration or a disable in between is not reverted.
	_, err := f.c.Users.UpdateUser(ctx, userID, func(u *keystore.User) error {
		if u.TOTPSecret == "" {
			return refuse(opNotEnabled)
		}
		rec, _, _, err := f.openTOTP(u.TOTPSecret)
		if err != nil {
			return err
		}
		kept := make([]signing.RecoveryCodeHash, 0, len(rec.Recovery))
		for _, c := range rec.Recovery {
			if !hmac.Equal([]byte(c.Lookup), []byte(lookup)) {
				kept = append(kept, c)
			}
		}
		rec.Recovery = kept
		env, err := f.sealTOTP(rec)
		if err != nil {
			return err
		}
		u.TOTPSecret = env
		return nil
	})
	if _, ok := refused(err); err != nil && !ok {
		fail()
	}
}

// useFactor is matchFactor then spendFactor.
func (f *Feature) useFactor(ctx context.Context, u *keystore.User, code string) error {
	m, e := f.matchFactor(u, code)
	if e != nil {
		if e == opCodeInvalid {
			f.h.Log().Info().Str("audit", "totp_failed").Str("user_id", u.ID).Msg("audit")
		}
		return e
	}
	return f.spendFactor(ctx, u, m)
}

// pendingBinding ties a pending token to the user's current password and
// email (via the access fingerprint), the client IP, the User-Agent and
// the first factor of the login.
func (f *Feature) pendingBinding(u *keystore.User, r *http.Request, firstFactor string) string {
	return framedMAC(f.c.BindKey, "pending", u.ID, f.h.ClientIP(r), r.UserAgent(), f.h.AccessFingerprint(u), firstFactor)
}

// enrollBinding ties an enrollment token to the user and to the pending
// envelope it was issued for; starting again invalidates older tokens.
func (f *Feature) enrollBinding(u *keystore.User) string {
	return framedMAC(f.c.BindKey, "enroll", u.ID, u.TOTPPending)
}

// Begin mints the pending token of the second login step
// (feature.SecondFactor). It carries the first factor (a password or an
// OAuth method), which the second step records in the session.
func (f *Feature) Begin(r *http.Request, u *keystore.User, firstFactor string) (string, error) {
	if !f.c.ValidFirstFactor(firstFactor) {
		return "", errors.New("loginui: unknown first factor")
	}
	jti, err := signing.RandomHex(16)
	if err != nil {
		return "", err
	}
	return f.c.Pending.Issue(u.ID, jti, f.pendingBinding(u, r, firstFactor), firstFactor, totpTokenLifetime, f.h.Now())
}

func pendingUsedKey(jti string) string { return "totp-pending:" + jti }

// Complete is the second login step (feature.SecondFactor): the pending
// token must be valid (Pending), the user must have TOTP on, and the code
// must be a fresh TOTP code or an unused recovery code. The token is spent
// only once the code matched, so a typo does not cost the first step. It
// returns the user and the first factor; the core records
// "<first factor>+totp" as the session's AuthMethod.
func (f *Feature) Complete(r *http.Request, tok, code string) (*keystore.User, string, error) {
	if e := f.h.Rate(r, SlotVerify, []string{"ip", f.h.ClientIP(r)}); e != nil {
		return nil, "", e
	}
	if !f.ready {
		return nil, "", opPendingBad
	}
	pl, err := f.Pending(r, tok)
	if err != nil {
		return nil, "", err
	}
	u := pl.User
	if !u.TOTPEnabled {
		return nil, "", opPendingBad
	}
	if e := f.h.Rate(r, SlotVerify, []string{"user", u.ID}); e != nil {
		return nil, "", e
	}
	m, e := f.matchFactor(u, code)
	if e != nil {
		if e == opCodeInvalid {
			f.h.Log().Info().Str("audit", "totp_failed").Str("user_id", u.ID).Msg("audit")
		}
		return nil, "", e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if err := f.SpendPending(ctx, pl); err != nil {
		return nil, "", err
	}
	if e := f.spendFactor(ctx, u, m); e != nil {
		return nil, "", e
	}
	return u, pl.FirstFactor, nil
}

// Pending checks a pending token for any second step
// (feature.PendingLogins): it must verify (audience, expiry, signature),
// name a known first factor, be unused, and be bound to this client and
// to the current credentials of its user, who must be active. It spends
// nothing.
func (f *Feature) Pending(r *http.Request, tok string) (*feature.PendingLogin, error) {
	if f.c.Pending == nil {
		return nil, opPendingBad
	}
	cl, err := f.c.Pending.Verify(tok, f.h.Now())
	if err != nil || !f.c.ValidFirstFactor(cl.FirstFactor) {
		return nil, opPendingBad
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	used, err := f.c.Denylist.IsDenied(ctx, []byte(pendingUsedKey(cl.JTI)))
	if err != nil {
		return nil, web.Unavailable
	}
	if used {
		return nil, opPendingBad
	}
	u, err := f.c.Users.GetUser(ctx, cl.Subject)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, opPendingBad
	}
	if err != nil {
		return nil, web.Unavailable
	}
	if !u.Active || !constEq(cl.SFP, f.pendingBinding(u, r, cl.FirstFactor)) {
		return nil, opPendingBad
	}
	return &feature.PendingLogin{User: u, FirstFactor: cl.FirstFactor, JTI: cl.JTI, ExpiresAt: cl.ExpiresAt}, nil
}

// SpendPending spends a pending token once (feature.PendingLogins): one
// concurrent winner through the markers, then durably in the denylist.
func (f *Feature) SpendPending(ctx context.Context, pl *feature.PendingLogin) error {
	now := f.h.Now()
	until := pl.ExpiresAt.Add(time.Minute)
	won, err := f.c.Markers.SetIfAbsent(ctx, pendingUsedKey(pl.JTI), until.Sub(now))
	if err != nil {
		return web.Unavailable
	}
	if !won {
		return opPendingBad
	}
	if err := f.c.Denylist.Deny(ctx, pendingUsedKey(pl.JTI), until); err != nil {
		return web.Unavailable
	}
	return nil
}

// StepUp proves a second factor for the caller's cookie session and marks
// it for StepUpTTL (feature.StepUpper).
func (f *Feature) StepUp(r *http.Request, c *feature.Caller, code string) (time.Time, error) {
	if !c.ViaCookie {
		return time.Time{}, opNeedCookie
	}
	if !c.User.TOTPEnabled {
		return time.Time{}, opNotEnabled
	}
	if e := f.h.Rate(r, SlotVerify, []string{"user", c.User.ID}); e != nil {
		return time.Time{}, e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if e := f.useFactor(ctx, c.User, code); e != nil {
		return time.Time{}, e
	}
	until := f.h.Now().Add(f.c.StepUpTTL)
	if err := f.c.Sessions.SetSessionStepUp(ctx, c.Digest, until); err != nil {
		return time.Time{}, web.Unavailable
	}
	c.Session.StepUpUntil = until
	f.h.Audit("step_up", c.User.ID)
	return until, nil
}

// enrollment is what a started enrollment shows the user.
type enrollment struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
	Token  string `json:"enrollment_token"`
	// The labels of the key, shown on the enrolment page.
	issuer, account string
}

// enrollAllowed: enrollment routes need the feature, TOTP off and a
// browser session opened with a password.
func (f *Feature) enrollAllowed(c *feature.Caller) error {
	if !f.c.Enabled || !f.ready {
		return opEnrollOff
	}
	if !c.PasswordSession {
		return opNeedPwSession
	}
	if c.User.TOTPEnabled {
		return opAlreadyEnabled
	}
	return nil
}

// startEnrollment seals a fresh secret into TOTPPending and returns it
// with an enrollment token bound to that envelope.
func (f *Feature) startEnrollment(r *http.Request, c *feature.Caller) (*enrollment, error) {
	if e := f.enrollAllowed(c); e != nil {
		return nil, e
	}
	if e := f.h.Rate(r, SlotEnable, []string{"user", c.User.ID}); e != nil {
		return nil, e
	}
	sec, err := signing.NewTOTPSecret()
	if err != nil {
		return nil, web.Unavailable
	}
	env, err := f.sealTOTP(&totpRecord{V: 1, Alg: f.alg.String(), Secret: signing.EncodeTOTPSecret(sec)})
	if err != nil {
		return nil, web.Unavailable
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	nu, err := f.h.Accounts().UpdateUser(ctx, c.User.ID, func(u *keystore.User) error {
		if u.TOTPEnabled {
			return refuse(opAlreadyEnabled)
		}
		u.TOTPPending = env
		return nil
	})
	if e, ok := refused(err); ok {
		return nil, e
	}
	if err != nil {
		return nil, web.Unavailable
	}
	*c.User = *nu
	f.h.Audit("totp_enrollment_started", nu.ID)
	return f.enrollmentView(c.User)
}

// enrollmentView re-derives the enrollment answer from the pending
// envelope (a new token each time; all stay bound to the same envelope).
func (f *Feature) enrollmentView(u *keystore.User) (*enrollment, error) {
	_, alg, sec, err := f.openTOTP(u.TOTPPending)
	if err != nil {
		return nil, opEnrollBad
	}
	jti, err := signing.RandomHex(16)
	if err != nil {
		return nil, web.Unavailable
	}
	key, err := signing.NewTOTPKey(f.c.Issuer, u.Email, alg, sec)
	if err != nil {
		return nil, web.Unavailable
	}
	tok, err := f.c.Enroll.Issue(u.ID, jti, f.enrollBinding(u), "", totpTokenLifetime, f.h.Now())
	if err != nil {
		return nil, web.Unavailable
	}
	return &enrollment{
		Secret:  key.Secret(),
		URI:     key.URL(),
		Token:   tok,
		issuer:  key.Issuer(),
		account: key.AccountName(),
	}, nil
}

// confirmEnrollment checks the enrollment token and a code from the new
// secret, then turns TOTP on and returns the ten recovery codes (shown
// once; only their hashes are kept).
func (f *Feature) confirmEnrollment(r *http.Request, c *feature.Caller, tok, code string) ([]string, error) {
	if e := f.enrollAllowed(c); e != nil {
		return nil, e
	}
	if e := f.h.Rate(r, SlotVerify, []string{"user", c.User.ID}); e != nil {
		return nil, e
	}
	cl, err := f.c.Enroll.Verify(tok, f.h.Now())
	if err != nil || !constEq(cl.Subject, c.User.ID) || c.User.TOTPPending == "" || !constEq(cl.SFP, f.enrollBinding(c.User)) {
		return nil, opEnrollBad
	}
	rec, alg, sec, err := f.openTOTP(c.User.TOTPPending)
	if err != nil {
		return nil, opEnrollBad
	}
	if len(code) > maxCodeInput {
		return nil, opCodeInvalid
	}
	ctr, ok := signing.ValidateTOTP(alg, sec, code, f.h.Now())
	if !ok {
		return nil, opCodeInvalid
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if e := f.spendFactor(ctx, c.User, factorMatch{counter: ctr}); e != nil {
		return nil, e
	}
	codes, hashes, e := f.newRecoveryCodes()
	if e != nil {
		return nil, e
	}
	rec.Recovery = hashes
	env, err := f.sealTOTP(rec)
	if err != nil {
		return nil, web.Unavailable
	}
	// Enable only the enrollment whose code was checked: a newer start or
	// an enable by another session in between wins.
	pending := c.User.TOTPPending
	nu, err := f.h.Accounts().UpdateUser(ctx, c.User.ID, func(u *keystore.User) error {
		if u.TOTPEnabled {
			return refuse(opAlreadyEnabled)
		}
		if u.TOTPPending == "" || !constEq(u.TOTPPending, pending) {
			return refuse(opEnrollBad)
		}
		u.TOTPSecret, u.TOTPPending, u.TOTPEnabled = env, "", true
		return nil
	})
	if e, ok := refused(err); ok {
		return nil, e
	}
	if err != nil {
		return nil, web.Unavailable
	}
	*c.User = *nu
	f.h.Audit("totp_enabled", nu.ID)
	return codes, nil
}

func (f *Feature) newRecoveryCodes() ([]string, []signing.RecoveryCodeHash, error) {
	codes, err := signing.NewRecoveryCodes()
	if err != nil {
		return nil, nil, web.Unavailable
	}
	hashes, err := signing.HashRecoveryCodes(f.c.Hasher, f.c.RecoveryLookup, codes)
	if err != nil {
		return nil, nil, hashErr(err)
	}
	return codes, hashes, nil
}

// disableTOTP needs TOTP on, a step-up proof (or a code now) and the
// current password, like an email change.
func (f *Feature) disableTOTP(r *http.Request, c *feature.Caller, code, password string) error {
	if !c.ViaCookie {
		return opNeedCookie
	}
	if !c.User.TOTPEnabled {
		return opNotEnabled
	}
	if e := f.h.RequireStepUp(r, c, code); e != nil {
		return e
	}
	if e := f.h.Rate(r, feature.SlotChangePassword, []string{"user", c.User.ID}); e != nil {
		return e
	}
	if e := f.h.CheckPassword(r.Context(), c.User, password,
		web.New(http.StatusBadRequest, errcode.UpdateInvalidPassword, "the current password is wrong")); e != nil {
		return e
	}
	verified := c.User.PasswordHash
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	nu, err := f.h.Accounts().UpdateUser(ctx, c.User.ID, func(u *keystore.User) error {
		if err := passwordStill(u, verified); err != nil {
			return err
		}
		u.TOTPEnabled, u.TOTPSecret, u.TOTPPending = false, "", ""
		return nil
	})
	if e, ok := refused(err); ok {
		return e
	}
	if err != nil {
		return web.Unavailable
	}
	*c.User = *nu
	f.h.Audit("totp_disabled", nu.ID)
	return nil
}

// regenerateRecovery replaces the recovery codes; it needs TOTP on and a
// step-up proof (or a code now).
func (f *Feature) regenerateRecovery(r *http.Request, c *feature.Caller, code string) ([]string, error) {
	if !c.ViaCookie {
		return nil, opNeedCookie
	}
	if !c.User.TOTPEnabled {
		return nil, opNotEnabled
	}
	if e := f.h.RequireStepUp(r, c, code); e != nil {
		return nil, e
	}
	if e := f.h.Rate(r, SlotEnable, []string{"user", c.User.ID}); e != nil {
		return nil, e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	codes, hashes, e := f.newRecoveryCodes()
	if e != nil {
		return nil, e
	}
	// The envelope is opened and sealed again on the record as stored.
	nu, err := f.h.Accounts().UpdateUser(ctx, c.User.ID, func(u *keystore.User) error {
		if !u.TOTPEnabled {
			return refuse(opNotEnabled)
		}
		rec, _, _, err := f.openTOTP(u.TOTPSecret)
		if err != nil {
			return err
		}
		rec.Recovery = hashes
		env, err := f.sealTOTP(rec)
		if err != nil {
			return err
		}
		u.TOTPSecret = env
		return nil
	})
	if e, ok := refused(err); ok {
		return nil, e
	}
	if err != nil {
		return nil, web.Unavailable
	}
	*c.User = *nu
	f.h.Audit("recovery_codes_regenerated", nu.ID)
	return codes, nil
}

// recoveryLeft counts u's unspent recovery codes (0 when unreadable).
func (f *Feature) recoveryLeft(u *keystore.User) int {
	rec, _, _, err := f.openTOTP(u.TOTPSecret)
	if err != nil {
		return 0
	}
	return len(rec.Recovery)
}
