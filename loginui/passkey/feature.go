package passkey

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/ceremony"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Options configure passkeys.
type Options struct {
	// Enabled lets users add passkeys and log in without a password.
	// When false, users who already have passkeys still need one (or TOTP)
	// as their second factor and may remove them.
	Enabled bool
	// RPID is the WebAuthn relying party id (the cookie domain, or the
	// portal's host); RPName is shown by authenticators (default
	// "gatehouse").
	RPID, RPName string
	// Origins are the origins answers may come from (the portal's origin
	// and the configured extra origins).
	Origins []string
	// Lifetime of a ceremony; default 5m.
	Lifetime time.Duration
}

// Config is what New needs besides Options: the keys the core derives and
// the stores.
type Config struct {
	Options
	// StateKey seals ceremony states; HandleKey derives user handles. 32
	// bytes each, independent.
	StateKey, HandleKey []byte
	Passkeys            keystore.Passkeys
	Markers             keystore.Markers
	Users               keystore.Users    // the passwordless login's user
	Sessions            keystore.Sessions // step-up marks
	StepUpTTL           time.Duration
	Now                 func() time.Time
}

// ScriptPath is where the feature serves its script.
const ScriptPath = "/static/passkey.js"

//go:embed static/passkey.js
var script []byte

//go:embed templates/section.html
var templateFS embed.FS

var section = feature.Fragments{FS: templateFS, Files: []string{"templates/section.html"}}

// Feature is passkeys.
type Feature struct {
	c  Config
	rp *ceremony.RP
	h  feature.Host
}

var (
	_ feature.Feature       = (*Feature)(nil)
	_ feature.FramedSection = (*Feature)(nil)
	_ feature.Passkeys      = (*Feature)(nil)
	_ feature.Notices       = (*Feature)(nil)
)

// New builds the feature.
func New(c Config) (*Feature, error) {
	if c.Sessions == nil || c.Users == nil || c.StepUpTTL <= 0 {
		return nil, errors.New("loginui: passkeys need the user and session stores and a step-up TTL")
	}
	rp, err := ceremony.New(ceremony.Config{RPID: c.RPID, RPName: c.RPName, Origins: c.Origins, Lifetime: c.Lifetime,
		StateKey: c.StateKey, HandleKey: c.HandleKey, Passkeys: c.Passkeys, Markers: c.Markers, Now: c.Now})
	if err != nil {
		return nil, err
	}
	return &Feature{c: c, rp: rp}, nil
}

// Register implements feature.Feature.
func (f *Feature) Register(rt feature.Router, h feature.Host) {
	f.h = h
	rt.JSON("POST /api/auth/webauthn/register/begin", f.apiRegisterBegin)
	rt.JSON("POST /api/auth/webauthn/register/finish", f.apiRegisterFinish)
	rt.JSON("GET /api/auth/webauthn/credentials", f.apiList)
	rt.JSON("DELETE /api/auth/webauthn/credentials/{id}", f.apiDelete)
	rt.JSON("POST /api/auth/webauthn/step-up/begin", f.apiStepUpBegin)
	rt.JSON("POST /api/auth/webauthn/step-up/finish", f.apiStepUpFinish)
	rt.Page("POST /account/passkeys/remove", f.pageRemove)
	rt.Raw("GET "+ScriptPath, serveScript)
}

func serveScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(script)
}

// Enabled implements feature.Passkeys.
func (f *Feature) Enabled() bool { return f.c.Enabled }

// ScriptPath implements feature.Passkeys.
func (f *Feature) ScriptPath() string { return ScriptPath }

// Notices implements feature.Notices.
func (f *Feature) Notices() map[string]string {
	return map[string]string{"passkey_removed": "The passkey has been removed."}
}

// Answers of the passkey routes.
var (
	opState    = web.New(http.StatusBadRequest, errcode.WebAuthnStateInvalid, "the ceremony is invalid or expired; start again")
	opReplayed = web.New(http.StatusBadRequest, errcode.WebAuthnReplayed, "the ceremony was already answered; start again")
	opVerify   = web.New(http.StatusBadRequest, errcode.WebAuthnVerificationFailed, "the passkey's answer was refused")
	opUnknown  = web.New(http.StatusBadRequest, errcode.WebAuthnUnknownCredential, "this passkey is not registered for this account")
	opCloned   = web.New(http.StatusBadRequest, errcode.WebAuthnSignCount, "the passkey's signature counter went back; it may have been copied")
	opExists   = web.New(http.StatusConflict, errcode.WebAuthnCredentialExists, "this passkey is already registered")
	opLimit    = web.New(http.StatusConflict, errcode.WebAuthnLimitReached, "you have the most passkeys allowed")
	opNotFound = web.New(http.StatusNotFound, errcode.WebAuthnNotFound, "no such passkey")
	opDisabled = web.New(http.StatusForbidden, errcode.WebAuthnDisabled, "passkeys are disabled")
	opBody     = web.New(http.StatusUnprocessableEntity, errcode.WebAuthnPayloadInvalid, "the request body is invalid")
	opNeedPw   = web.New(http.StatusForbidden, errcode.AuthorizationDenied, "a password session or a recent step-up proof is required")
	opCookie   = web.New(http.StatusForbidden, errcode.AuthorizationDenied, "a browser session is required")
)

// answer maps a ceremony error to its answer; anything else is a store
// failure.
func answer(err error) error {
	switch {
	case errors.Is(err, ceremony.ErrState):
		return opState
	case errors.Is(err, ceremony.ErrReplayed):
		return opReplayed
	case errors.Is(err, ceremony.ErrVerify):
		return opVerify
	case errors.Is(err, ceremony.ErrUnknownCredential):
		return opUnknown
	case errors.Is(err, ceremony.ErrCloned):
		return opCloned
	case errors.Is(err, ceremony.ErrExists):
		return opExists
	case errors.Is(err, ceremony.ErrLimit):
		return opLimit
	}
	return web.Unavailable.WithCause(err)
}

// refused audits an assertion that failed (userID "" when the answer
// named no known user) and returns its answer: a lowered signature
// counter is passkey_clone_refused, any other refusal event.
func (f *Feature) refused(err error, event, userID string) error {
	e := answer(err)
	switch {
	case errors.Is(err, ceremony.ErrCloned):
		f.h.Log().Warn().Str("audit", "passkey_clone_refused").Str("user_id", userID).Msg("audit")
	case web.As(e).Status != http.StatusServiceUnavailable:
		f.h.Log().Info().Str("audit", event).Str("user_id", userID).Msg("audit")
	}
	return e
}

// sessionBinding is the ceremony binding of a cookie session: its digest.
func sessionBinding(c *feature.Caller) string { return "session\x00" + string(c.Digest) }

// HasPasskeys implements feature.Passkeys.
func (f *Feature) HasPasskeys(ctx context.Context, userID string) (bool, error) {
	pks, err := f.c.Passkeys.ListUserPasskeys(ctx, userID)
	return len(pks) > 0, err
}

// BeginSecond implements feature.Passkeys.
func (f *Feature) BeginSecond(r *http.Request, u *keystore.User, binding string) (json.RawMessage, string, error) {
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	opts, st, err := f.rp.BeginAssertion(ctx, ceremony.KindSecond, u, binding)
	if err != nil {
		return nil, "", answer(err)
	}
	return opts, st, nil
}

// FinishSecond implements feature.Passkeys.
func (f *Feature) FinishSecond(r *http.Request, u *keystore.User, binding, state string, ans []byte) error {
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if _, err := f.rp.FinishAssertion(ctx, ceremony.KindSecond, u.ID, binding, state, ans); err != nil {
		return f.refused(err, "passkey_login_failed", u.ID)
	}
	return nil
}

// BeginPasswordless implements feature.Passkeys.
func (f *Feature) BeginPasswordless(binding string) (json.RawMessage, string, error) {
	if !f.c.Enabled {
		return nil, "", opDisabled
	}
	opts, st, err := f.rp.BeginLogin(binding)
	if err != nil {
		return nil, "", answer(err)
	}
	return opts, st, nil
}

// FinishPasswordless implements feature.Passkeys.
func (f *Feature) FinishPasswordless(r *http.Request, binding, state string, ans []byte) (*keystore.User, bool, error) {
	if !f.c.Enabled {
		return nil, false, opDisabled
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	res, err := f.rp.FinishAssertion(ctx, ceremony.KindLogin, "", binding, state, ans)
	if err != nil {
		owner := ""
		if res != nil {
			owner = res.UserID
		}
		return nil, false, f.refused(err, "passkey_login_failed", owner)
	}
	u, err := f.c.Users.GetUser(ctx, res.UserID)
	if err != nil {
		// A passkey whose user is gone (the cascade failed half-way) logs
		// nobody in.
		if errors.Is(err, keystore.ErrNotFound) {
			return nil, false, opUnknown
		}
		return nil, false, web.Unavailable
	}
	return u, res.UserVerified, nil
}
