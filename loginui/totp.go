package loginui

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
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// TOTP token audiences and lifetimes (SPEC §5.6).
const (
	audTOTPPending = "gatehouse:totp-pending"
	audTOTPEnroll  = "gatehouse:totp-enroll"

	totpTokenLifetime = 5 * time.Minute
	// totpReplayTTL is how long a used (user, counter) pair is refused.
	totpReplayTTL = 90 * time.Second
	// recoveryUsedFor keeps the durable record of a spent recovery code;
	// a regenerated list drops the code anyway.
	recoveryUsedFor = 10 * 365 * 24 * time.Hour
	// maxCodeInput caps the code field before any work is spent on it.
	maxCodeInput = 128
)

// totpState is the portal's TOTP machinery; nil pending/enroll codecs
// mean TOTP is not configured, and users who have it on cannot finish a
// login (fail closed).
type totpState struct {
	ready   bool
	alg     signing.TOTPAlgorithm // of new enrollments
	pending *jwtCodec
	enroll  *jwtCodec
	bindKey []byte
	ring    atomic.Pointer[signing.Keyring] // swapped by ReloadTOTPKeyring
}

func (p *Portal) initTOTP(iss string) error {
	o := p.o
	if o.TOTP.Keyring == nil {
		return nil
	}
	alg, err := signing.ParseTOTPAlgorithm(o.TOTP.Algorithm)
	if err != nil {
		return ErrTOTPConfig
	}
	p.totp.ring.Store(o.TOTP.Keyring)
	pk := signing.NewSecret(signing.DeriveKey(o.Secrets.TOTPPending, "loginui/totp-pending-token", 32))
	ek := signing.NewSecret(signing.DeriveKey(o.Secrets.TOTPPending, "loginui/totp-enroll-token", 32))
	t := &p.totp
	if t.pending, err = newJWTCodec(iss, audTOTPPending, []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: pk}}, ""); err != nil {
		return err
	}
	t.pending.firstFactor = true
	if t.enroll, err = newJWTCodec(iss, audTOTPEnroll, []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: ek}}, ""); err != nil {
		return err
	}
	t.bindKey = signing.DeriveKey(o.Secrets.TOTPPending, "loginui/totp-binding", 32)
	t.alg = alg
	t.ready = true
	return nil
}

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

// ReloadTOTPKeyring swaps the keyring that seals and opens TOTP records
// (after `gatehouse keys rotate` and SIGHUP), so rows re-encrypted under a
// new key keep working without a restart. It is refused when TOTP was not
// configured at start, or for a nil keyring.
func (p *Portal) ReloadTOTPKeyring(k *signing.Keyring) error {
	if k == nil {
		return errors.New("loginui: nil TOTP keyring")
	}
	if p.totp.ring.Load() == nil {
		return errors.New("loginui: TOTP was not configured at start; restart to enable it")
	}
	p.totp.ring.Store(k)
	return nil
}

func (p *Portal) sealTOTP(rec *totpRecord) (string, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	return p.totp.ring.Load().Seal(b)
}

// openTOTP opens an envelope; every failure is errTOTPRecord and never
// carries the envelope or its contents.
func (p *Portal) openTOTP(env string) (*totpRecord, signing.TOTPAlgorithm, []byte, error) {
	if !p.totp.ready || env == "" {
		return nil, 0, nil, errTOTPRecord
	}
	b, err := p.totp.ring.Load().Open(env)
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
	opCodeInvalid    = &opErr{Status: http.StatusBadRequest, Code: CodeTOTPCodeInvalid, Detail: "the code is invalid or was already used"}
	opPendingBad     = &opErr{Status: http.StatusBadRequest, Code: CodeTOTPPendingBadToken, Detail: "the login is invalid or expired; log in again"}
	opEnrollBad      = &opErr{Status: http.StatusBadRequest, Code: CodeTOTPEnrollBadToken, Detail: "the enrollment is invalid or expired; start again"}
	opAlreadyEnabled = &opErr{Status: http.StatusBadRequest, Code: CodeTOTPAlreadyEnabled, Detail: "two-factor authentication is already on"}
	opNotEnabled     = &opErr{Status: http.StatusBadRequest, Code: CodeTOTPCodeInvalid, Detail: "two-factor authentication is not on"}
	opEnrollOff      = &opErr{Status: http.StatusForbidden, Code: CodeAuthorizationDenied, Detail: "two-factor enrollment is disabled"}
	opNeedPwSession  = &opErr{Status: http.StatusForbidden, Code: CodeAuthorizationDenied, Detail: "a password session is required"}
	opNeedCookie     = &opErr{Status: http.StatusForbidden, Code: CodeAuthorizationDenied, Detail: "a browser session is required"}
)

// factorMatch is a code that matched, before it is spent.
type factorMatch struct {
	recovery bool
	counter  uint64 // TOTP
	lookup   string // recovery code lookup digest
}

// matchFactor checks code against u's TOTP secret or, when it is not six
// digits, against u's recovery codes. It writes nothing.
func (p *Portal) matchFactor(u *keystore.User, code string) (factorMatch, *opErr) {
	if len(code) > maxCodeInput {
		return factorMatch{}, opCodeInvalid
	}
	rec, alg, sec, err := p.openTOTP(u.TOTPSecret)
	if err != nil {
		p.log.Error().Str("component", "loginui").Str("user_id", u.ID).Msg("stored TOTP secret is unusable")
		return factorMatch{}, opStore
	}
	if len(code) == signing.TOTPDigits {
		ctr, ok := signing.ValidateTOTP(alg, sec, code, p.o.Now())
		if !ok {
			return factorMatch{}, opCodeInvalid
		}
		return factorMatch{counter: ctr}, nil
	}
	_, lk, ok, err := signing.MatchRecoveryCode(p.hasher, p.o.Secrets.RecoveryCodeLookup, rec.Recovery, code)
	if err != nil {
		return factorMatch{}, hashErr(err, opStore)
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
func (p *Portal) spendFactor(ctx context.Context, u *keystore.User, m factorMatch) *opErr {
	if !m.recovery {
		won, err := p.o.Markers.SetIfAbsent(ctx, totpReplayKey(u.ID, m.counter), totpReplayTTL)
		if err != nil {
			return opStore
		}
		if !won {
			p.log.Warn().Str("audit", "totp_replay").Str("user_id", u.ID).Msg("audit")
			return opCodeInvalid
		}
		return nil
	}
	key := recoveryUsedKey(u.ID, m.lookup)
	used, err := p.o.Denylist.IsDenied(ctx, []byte(key))
	if err != nil {
		return opStore
	}
	if used {
		return opCodeInvalid
	}
	won, err := p.o.Markers.SetIfAbsent(ctx, key, 24*time.Hour)
	if err != nil {
		return opStore
	}
	if !won {
		return opCodeInvalid
	}
	if err := p.o.Denylist.Deny(ctx, key, p.o.Now().Add(recoveryUsedFor)); err != nil {
		return opStore
	}
	p.audit("recovery_code_used", u.ID)
	p.dropRecoveryCode(ctx, u.ID, m.lookup)
	return nil
}

// dropRecoveryCode removes a spent code from the stored list. The
// denylist entry already refuses it, so a failure here is only logged.
func (p *Portal) dropRecoveryCode(ctx context.Context, userID, lookup string) {
	fail := func() {
		p.log.Warn().Str("component", "loginui").Str("user_id", userID).Msg("spent recovery code not removed from the list")
	}
	// The envelope is opened, filtered and sealed again on the record as
	// stored, so a regeneration or a disable in between is not reverted.
	_, err := p.o.Users.UpdateUser(ctx, userID, func(u *keystore.User) error {
		if u.TOTPSecret == "" {
			return refuse(opNotEnabled)
		}
		rec, _, _, err := p.openTOTP(u.TOTPSecret)
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
		env, err := p.sealTOTP(rec)
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
func (p *Portal) useFactor(ctx context.Context, u *keystore.User, code string) *opErr {
	m, e := p.matchFactor(u, code)
	if e != nil {
		if e == opCodeInvalid {
			p.log.Info().Str("audit", "totp_failed").Str("user_id", u.ID).Msg("audit")
		}
		return e
	}
	return p.spendFactor(ctx, u, m)
}

// pendingBinding ties a pending token to the user's current password and
// email (via the access fingerprint), the client IP, the User-Agent and
// the first factor of the login.
func (p *Portal) pendingBinding(u *keystore.User, r *http.Request, firstFactor string) string {
	return framedMAC(p.totp.bindKey, "pending", u.ID, p.clientIP(r), r.UserAgent(), p.accessFingerprint(u), firstFactor)
}

// enrollBinding ties an enrollment token to the user and to the pending
// envelope it was issued for; starting again invalidates older tokens.
func (p *Portal) enrollBinding(u *keystore.User) string {
	return framedMAC(p.totp.bindKey, "enroll", u.ID, u.TOTPPending)
}

// issuePending mints the pending token of the second login step. It
// carries the first factor (methodPassword or an OAuth method), which the
// second step records in the session (sessionMethodAfterTOTP).
func (p *Portal) issuePending(u *keystore.User, r *http.Request, firstFactor string) (string, error) {
	if !validFirstFactor(firstFactor) {
		return "", errors.New("loginui: unknown first factor")
	}
	jti, err := signing.RandomHex(16)
	if err != nil {
		return "", err
	}
	return p.totp.pending.issueFirstFactor(u.ID, jti, p.pendingBinding(u, r, firstFactor), firstFactor, totpTokenLifetime, p.o.Now())
}

func pendingUsedKey(jti string) string { return "totp-pending:" + jti }

// completeTOTPLogin is the second login step: the pending token must
// verify (audience, expiry, signature), name a known first factor, be
// unused, be bound to this client and to the user's current credentials;
// the code must be a fresh TOTP code or an unused recovery code. The token
// is spent only once the code matched, so a typo does not cost the first
// step. It returns the AuthMethod the new session or refresh chain must
// carry: the first factor plus methodTOTPSuffix.
func (p *Portal) completeTOTPLogin(r *http.Request, tok, code string) (*keystore.User, string, *opErr) {
	if e := p.rate(r, SlotTOTPVerify, []string{"ip", p.clientIP(r)}); e != nil {
		return nil, "", e
	}
	if !p.totp.ready {
		return nil, "", opPendingBad
	}
	now := p.o.Now()
	cl, err := p.totp.pending.verify(tok, now)
	if err != nil || !validFirstFactor(cl.FirstFactor) {
		return nil, "", opPendingBad
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	used, err := p.o.Denylist.IsDenied(ctx, []byte(pendingUsedKey(cl.JTI)))
	if err != nil {
		return nil, "", opStore
	}
	if used {
		return nil, "", opPendingBad
	}
	u, err := p.o.Users.GetUser(ctx, cl.Subject)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, "", opPendingBad
	}
	if err != nil {
		return nil, "", opStore
	}
	if !u.Active || !u.TOTPEnabled || !constEq(cl.SFP, p.pendingBinding(u, r, cl.FirstFactor)) {
		return nil, "", opPendingBad
	}
	if e := p.rate(r, SlotTOTPVerify, []string{"user", u.ID}); e != nil {
		return nil, "", e
	}
	m, e := p.matchFactor(u, code)
	if e != nil {
		if e == opCodeInvalid {
			p.log.Info().Str("audit", "totp_failed").Str("user_id", u.ID).Msg("audit")
		}
		return nil, "", e
	}
	until := cl.ExpiresAt.Add(time.Minute)
	won, err := p.o.Markers.SetIfAbsent(ctx, pendingUsedKey(cl.JTI), until.Sub(now))
	if err != nil {
		return nil, "", opStore
	}
	if !won {
		return nil, "", opPendingBad
	}
	if err := p.o.Denylist.Deny(ctx, pendingUsedKey(cl.JTI), until); err != nil {
		return nil, "", opStore
	}
	if e := p.spendFactor(ctx, u, m); e != nil {
		return nil, "", e
	}
	return u, sessionMethodAfterTOTP(cl.FirstFactor), nil
}

// stepUp proves a second factor for the caller's cookie session and marks
// it for StepUpTTL.
func (p *Portal) stepUp(r *http.Request, c *caller, code string) (time.Time, *opErr) {
	if !c.viaCookie {
		return time.Time{}, opNeedCookie
	}
	if !c.user.TOTPEnabled {
		return time.Time{}, opNotEnabled
	}
	if e := p.rate(r, SlotTOTPVerify, []string{"user", c.user.ID}); e != nil {
		return time.Time{}, e
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	if e := p.useFactor(ctx, c.user, code); e != nil {
		return time.Time{}, e
	}
	until := p.o.Now().Add(p.o.TOTP.StepUpTTL)
	if err := p.o.Sessions.SetSessionStepUp(ctx, c.digest, until); err != nil {
		return time.Time{}, opStore
	}
	c.session.StepUpUntil = until
	p.audit("step_up", c.user.ID)
	return until, nil
}

// requireStepUp passes when the session holds a step-up proof; a code
// given with the request is used to obtain one first.
func (p *Portal) requireStepUp(r *http.Request, c *caller, code string) *opErr {
	if code != "" {
		if _, e := p.stepUp(r, c, code); e != nil {
			return e
		}
	}
	return p.stepUpErr(c)
}

// enrollment is what a started enrollment shows the user.
type enrollment struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
	Token  string `json:"enrollment_token"`
}

// enrollAllowed: enrollment routes need the feature, TOTP off and a
// browser session opened with a password.
func (p *Portal) enrollAllowed(c *caller) *opErr {
	if !p.o.TOTP.Enabled || !p.totp.ready {
		return opEnrollOff
	}
	if !c.passwordSession() {
		return opNeedPwSession
	}
	if c.user.TOTPEnabled {
		return opAlreadyEnabled
	}
	return nil
}

// startEnrollment seals a fresh secret into TOTPPending and returns it
// with an enrollment token bound to that envelope.
func (p *Portal) startEnrollment(r *http.Request, c *caller) (*enrollment, *opErr) {
	if e := p.enrollAllowed(c); e != nil {
		return nil, e
	}
	if e := p.rate(r, SlotTOTPEnable, []string{"user", c.user.ID}); e != nil {
		return nil, e
	}
	sec, err := signing.NewTOTPSecret()
	if err != nil {
		return nil, opStore
	}
	env, err := p.sealTOTP(&totpRecord{V: 1, Alg: p.totp.alg.String(), Secret: signing.EncodeTOTPSecret(sec)})
	if err != nil {
		return nil, opStore
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	nu, err := p.updateUser(ctx, c.user.ID, func(u *keystore.User) error {
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
		return nil, opStore
	}
	*c.user = *nu
	p.audit("totp_enrollment_started", nu.ID)
	return p.enrollmentView(c.user)
}

// enrollmentView re-derives the enrollment answer from the pending
// envelope (a new token each time; all stay bound to the same envelope).
func (p *Portal) enrollmentView(u *keystore.User) (*enrollment, *opErr) {
	_, alg, sec, err := p.openTOTP(u.TOTPPending)
	if err != nil {
		return nil, opEnrollBad
	}
	jti, err := signing.RandomHex(16)
	if err != nil {
		return nil, opStore
	}
	tok, err := p.totp.enroll.issue(u.ID, jti, p.enrollBinding(u), "", totpTokenLifetime, p.o.Now())
	if err != nil {
		return nil, opStore
	}
	return &enrollment{
		Secret: signing.EncodeTOTPSecret(sec),
		URI:    signing.TOTPURI(p.o.TOTP.Issuer, u.Email, alg, sec),
		Token:  tok,
	}, nil
}

// confirmEnrollment checks the enrollment token and a code from the new
// secret, then turns TOTP on and returns the ten recovery codes (shown
// once; only their hashes are kept).
func (p *Portal) confirmEnrollment(r *http.Request, c *caller, tok, code string) ([]string, *opErr) {
	if e := p.enrollAllowed(c); e != nil {
		return nil, e
	}
	if e := p.rate(r, SlotTOTPVerify, []string{"user", c.user.ID}); e != nil {
		return nil, e
	}
	cl, err := p.totp.enroll.verify(tok, p.o.Now())
	if err != nil || !constEq(cl.Subject, c.user.ID) || c.user.TOTPPending == "" || !constEq(cl.SFP, p.enrollBinding(c.user)) {
		return nil, opEnrollBad
	}
	rec, alg, sec, err := p.openTOTP(c.user.TOTPPending)
	if err != nil {
		return nil, opEnrollBad
	}
	if len(code) > maxCodeInput {
		return nil, opCodeInvalid
	}
	ctr, ok := signing.ValidateTOTP(alg, sec, code, p.o.Now())
	if !ok {
		return nil, opCodeInvalid
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	if e := p.spendFactor(ctx, c.user, factorMatch{counter: ctr}); e != nil {
		return nil, e
	}
	codes, hashes, e := p.newRecoveryCodes()
	if e != nil {
		return nil, e
	}
	rec.Recovery = hashes
	env, err := p.sealTOTP(rec)
	if err != nil {
		return nil, opStore
	}
	// Enable only the enrollment whose code was checked: a newer start or
	// an enable by another session in between wins.
	pending := c.user.TOTPPending
	nu, err := p.updateUser(ctx, c.user.ID, func(u *keystore.User) error {
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
		return nil, opStore
	}
	*c.user = *nu
	p.audit("totp_enabled", nu.ID)
	return codes, nil
}

func (p *Portal) newRecoveryCodes() ([]string, []signing.RecoveryCodeHash, *opErr) {
	codes, err := signing.NewRecoveryCodes()
	if err != nil {
		return nil, nil, opStore
	}
	hashes, err := signing.HashRecoveryCodes(p.hasher, p.o.Secrets.RecoveryCodeLookup, codes)
	if err != nil {
		return nil, nil, hashErr(err, opStore)
	}
	return codes, hashes, nil
}

// disableTOTP needs TOTP on, a step-up proof (or a code now) and the
// current password, like an email change.
func (p *Portal) disableTOTP(r *http.Request, c *caller, code, password string) *opErr {
	if !c.viaCookie {
		return opNeedCookie
	}
	if !c.user.TOTPEnabled {
		return opNotEnabled
	}
	if e := p.requireStepUp(r, c, code); e != nil {
		return e
	}
	if e := p.rate(r, SlotChangePassword, []string{"user", c.user.ID}); e != nil {
		return e
	}
	if e := p.checkCurrentPassword(r.Context(), c.user, password,
		newOpErr(http.StatusBadRequest, CodeUpdateInvalidPassword, "the current password is wrong")); e != nil {
		return e
	}
	verified := c.user.PasswordHash
	ctx, cancel := storeCtx(r)
	defer cancel()
	nu, err := p.updateUser(ctx, c.user.ID, func(u *keystore.User) error {
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
		return opStore
	}
	*c.user = *nu
	p.audit("totp_disabled", nu.ID)
	return nil
}

// regenerateRecovery replaces the recovery codes; it needs TOTP on and a
// step-up proof (or a code now).
func (p *Portal) regenerateRecovery(r *http.Request, c *caller, code string) ([]string, *opErr) {
	if !c.viaCookie {
		return nil, opNeedCookie
	}
	if !c.user.TOTPEnabled {
		return nil, opNotEnabled
	}
	if e := p.requireStepUp(r, c, code); e != nil {
		return nil, e
	}
	if e := p.rate(r, SlotTOTPEnable, []string{"user", c.user.ID}); e != nil {
		return nil, e
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	codes, hashes, e := p.newRecoveryCodes()
	if e != nil {
		return nil, e
	}
	// The envelope is opened and sealed again on the record as stored.
	nu, err := p.updateUser(ctx, c.user.ID, func(u *keystore.User) error {
		if !u.TOTPEnabled {
			return refuse(opNotEnabled)
		}
		rec, _, _, err := p.openTOTP(u.TOTPSecret)
		if err != nil {
			return err
		}
		rec.Recovery = hashes
		env, err := p.sealTOTP(rec)
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
		return nil, opStore
	}
	*c.user = *nu
	p.audit("recovery_codes_regenerated", nu.ID)
	return codes, nil
}

// recoveryLeft counts u's unspent recovery codes (0 when unreadable).
func (p *Portal) recoveryLeft(u *keystore.User) int {
	rec, _, _, err := p.openTOTP(u.TOTPSecret)
	if err != nil {
		return 0
	}
	return len(rec.Recovery)
}
