package totp

import (
	"crypto/subtle"
	"errors"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
)

// Rate-limit slots of the TOTP routes.
const (
	SlotVerify = "totp_verify"
	SlotEnable = "totp_enable"
)

// Options configure the second factor.
type Options struct {
	// Enabled lets users enrol. When false, enrollment is refused and the
	// /account section is shown only to users who already have TOTP on;
	// those still need their code at login (which needs Keyring).
	Enabled bool
	// Algorithm of new enrollments: SHA1, SHA256 (default) or SHA512.
	// Each user's secret keeps the algorithm it was enrolled with.
	Algorithm string
	Issuer    string        // otpauth issuer; default "gatehouse"
	StepUpTTL time.Duration // default 5m
	// Keyring seals TOTP secrets and recovery-code hashes at rest
	// (keyring totp_secrets). Required when Enabled.
	Keyring *signing.Keyring
}

// Config is what New needs besides Options: the tokens and keys the core
// derives, the stores, and the core's first-factor rule.
type Config struct {
	Options
	// Pending and Enroll sign the pending-login and enrollment tokens;
	// BindKey keys the bindings they carry. Nil Enroll: TOTP is not
	// configured (users who have it on cannot finish a login with a
	// code); the core sets Pending even then, since a passkey completes
	// pending logins too (Pending, SpendPending).
	Pending, Enroll feature.Tokens
	BindKey         []byte
	Hasher          *signing.Hasher // recovery-code hashes
	RecoveryLookup  signing.Secret  // recovery-code lookup digests
	Users           keystore.Users
	Sessions        keystore.Sessions
	Markers         keystore.Markers
	Denylist        keystore.Denylist
	// ValidFirstFactor reports whether a pending login's first factor is
	// one the core can open a session for.
	ValidFirstFactor func(string) bool
}

// Feature is TOTP: enrollment, step-up, disable and recovery codes (JSON
// routes and /account forms), the /account section, and the second login
// step the core runs through feature.SecondFactor.
type Feature struct {
	c     Config
	ready bool
	alg   signing.TOTPAlgorithm // of new enrollments
	ring  atomic.Pointer[signing.Keyring]
	h     feature.Host
}

var (
	_ feature.Feature       = (*Feature)(nil)
	_ feature.FramedSection = (*Feature)(nil)
	_ feature.SecondFactor  = (*Feature)(nil)
	_ feature.StepUpper     = (*Feature)(nil)
	_ feature.PendingLogins = (*Feature)(nil)
)

// ErrConfig: the algorithm is unknown.
var ErrConfig = errors.New("loginui: TOTP needs a keyring, a known algorithm and the totp_pending and recovery_code_lookup secrets")

// New builds the feature. Without a keyring (or tokens) it is not ready:
// enrollment is off and logins of users with TOTP on fail closed.
func New(c Config) (*Feature, error) {
	f := &Feature{c: c}
	if c.Keyring == nil || c.Pending == nil || c.Enroll == nil {
		return f, nil
	}
	alg, err := signing.ParseTOTPAlgorithm(c.Algorithm)
	if err != nil {
		return nil, ErrConfig
	}
	f.ring.Store(c.Keyring)
	f.alg = alg
	f.ready = true
	return f, nil
}

// Register implements feature.Feature.
func (f *Feature) Register(rt feature.Router, h feature.Host) {
	f.h = h
	rt.JSON("POST /api/auth/2fa/enable", f.apiTOTPEnable)
	rt.JSON("POST /api/auth/2fa/enable/confirm", f.apiTOTPConfirm)
	rt.JSON("POST /api/auth/2fa/disable", f.apiTOTPDisable)
	rt.JSON("POST /api/auth/2fa/step-up", f.apiTOTPStepUp)
	rt.JSON("POST /api/auth/2fa/recovery-codes/regenerate", f.apiTOTPRegenerate)
	rt.Page("POST /account/2fa/enable", f.pageTOTPEnable)
	rt.Page("POST /account/2fa/confirm", f.pageTOTPConfirm)
	rt.Page("POST /account/2fa/step-up", f.pageTOTPStepUp)
	rt.Page("POST /account/2fa/disable", f.pageTOTPDisable)
	rt.Page("POST /account/2fa/regenerate", f.pageTOTPRegenerate)
}

// Ready implements feature.SecondFactor.
func (f *Feature) Ready() bool { return f.ready }

// PendingLifetime implements feature.SecondFactor.
func (f *Feature) PendingLifetime() time.Duration { return totpTokenLifetime }

// ReloadKeyring swaps the keyring that seals and opens TOTP records. It
// is refused when TOTP was not configured at start, or for a nil keyring.
func (f *Feature) ReloadKeyring(k *signing.Keyring) error {
	if k == nil {
		return errors.New("loginui: nil TOTP keyring")
	}
	if f.ring.Load() == nil {
		return errors.New("loginui: TOTP was not configured at start; restart to enable it")
	}
	f.ring.Store(k)
	return nil
}

var (
	refuse        = feature.Refuse
	refused       = feature.Refused
	passwordStill = feature.PasswordStill
)

// hashErr maps an error of the password hasher: saturated is web.Busy,
// anything else a store failure.
func hashErr(err error) error {
	if errors.Is(err, signing.ErrHashBusy) {
		return web.Busy
	}
	return web.Unavailable
}

func constEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
