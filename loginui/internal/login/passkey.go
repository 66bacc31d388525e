package login

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The passkey logins of the JSON API (docs/design.md "Passkeys"): a
// passwordless login with a discoverable credential, and a passkey as the
// second step of a pending login. The feature (Flow.Passkeys) runs the
// ceremonies; the Flow decides what the login is worth and opens it.

// Answers of the passkey login routes.
var (
	opPasskeyBody = web.New(http.StatusUnprocessableEntity, errcode.WebAuthnPayloadInvalid,
		"the body must be {pending_token?} to begin and {state, credential, pending_token?} to finish")
	// opPasskeyNotSecond: a login begun with a passkey is completed with
	// a code, never the same factor again.
	opPasskeyNotSecond = web.New(http.StatusBadRequest, errcode.WebAuthnUnknownCredential, "this login's second step needs a code")
)

// PasskeyPageBinding is the ceremony binding of a passwordless login
// begun on the login page: its CSRF token (pre-session or session), which
// the form posts back and the cookie must carry.
func PasskeyPageBinding(csrf string) string { return "page\x00" + csrf }

// passkeyAPIBinding is the binding of a passwordless login begun through
// the JSON API: the client's address and User-Agent.
func (f *Flow) passkeyAPIBinding(r *http.Request) string {
	return "api\x00" + f.ClientIP(r) + "\x00" + r.UserAgent()
}

type passkeyBeginRequest struct {
	PendingToken *string `json:"pending_token"`
}

type passkeyBeginAnswer struct {
	Options json.RawMessage `json:"options"`
	State   string          `json:"state"`
}

// PasskeyBegin: POST /api/auth/webauthn/login/begin {} (passwordless) or
// {pending_token} (the second step). It answers {options, state}; options
// go to navigator.credentials.get.
func (f *Flow) PasskeyBegin(w http.ResponseWriter, r *http.Request) error {
	var req passkeyBeginRequest
	if err := web.DecodeJSON(r, &req, true); err != nil {
		return opPasskeyBody
	}
	var a passkeyBeginAnswer
	var err error
	if req.PendingToken == nil {
		a.Options, a.State, err = f.Passkeys.BeginPasswordless(f.passkeyAPIBinding(r))
	} else {
		var pl *feature.PendingLogin
		if pl, err = f.pendingForPasskey(r, *req.PendingToken); err == nil {
			a.Options, a.State, err = f.Passkeys.BeginSecond(r, pl.User, pl.JTI)
		}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, &a)
	return nil
}

// pendingForPasskey checks a pending token a passkey may complete.
func (f *Flow) pendingForPasskey(r *http.Request, tok string) (*feature.PendingLogin, error) {
	pl, err := f.Pending.Pending(r, tok)
	if err != nil {
		return nil, err
	}
	if feature.MethodAfterPasskey(pl.FirstFactor) == "" {
		return nil, opPasskeyNotSecond
	}
	return pl, nil
}

type passkeyFinishRequest struct {
	State        string          `json:"state"`
	Credential   json.RawMessage `json:"credential"`
	PendingToken *string         `json:"pending_token"`
}

// PasskeyFinish: POST /api/auth/webauthn/login/finish {state, credential
// [, pending_token]}; ?transport= and ?refresh= work as on login. A
// passwordless login whose user has a second step left answers 202 with
// a pending token, as a password login does.
func (f *Flow) PasskeyFinish(w http.ResponseWriter, r *http.Request) error {
	transport := r.URL.Query().Get("transport")
	if transport != "" && transport != "cookie" && transport != "bearer" {
		return opPasskeyBody
	}
	var req passkeyFinishRequest
	if err := web.DecodeJSON(r, &req, false); err != nil || req.State == "" || len(req.Credential) == 0 {
		return opPasskeyBody
	}
	if e := f.Limiter.Allow(r, SlotLogin, []string{"ip", f.ClientIP(r)}); e != nil {
		return e
	}
	if req.PendingToken != nil {
		u, method, err := f.CompletePasskeySecond(r, *req.PendingToken, req.State, req.Credential)
		if err != nil {
			return err
		}
		ctx, cancel := feature.StoreCtx(r)
		defer cancel()
		return f.finish(ctx, w, r, u, transport, method)
	}
	u, method, err := f.CheckPasswordless(r, f.passkeyAPIBinding(r), req.State, req.Credential)
	if err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	tok, passkey, err := f.SecondStepFor(ctx, r, u, method)
	if err != nil {
		return err
	}
	if tok != "" {
		f.writePending(w, tok, passkey)
		return nil
	}
	return f.finish(ctx, w, r, u, transport, method)
}

// CheckPasswordless verifies a passwordless answer (the caller counted
// the request on the login slot by address) and returns its active user
// and the AuthMethod of its first step (feature.PasswordlessMethod).
func (f *Flow) CheckPasswordless(r *http.Request, binding, state string, answer []byte) (*keystore.User, string, error) {
	u, uv, err := f.Passkeys.FinishPasswordless(r, binding, state, answer)
	if err != nil {
		return nil, "", err
	}
	if e := f.Limiter.Allow(r, SlotLogin, []string{"user", u.ID}); e != nil {
		return nil, "", e
	}
	if !u.Active {
		f.audit("passkey_login_failed", u.ID)
		return nil, "", Answer(ErrUnavailable)
	}
	return u, feature.PasswordlessMethod(uv), nil
}

// CompletePasskeySecond is a passkey as the second step of the pending
// login tok: the token is checked, the answer verified against its user's
// passkeys with the token's id as the binding, and the token spent. It
// returns the user and the AuthMethod of the session to open
// ("<first factor>+passkey").
func (f *Flow) CompletePasskeySecond(r *http.Request, tok, state string, answer []byte) (*keystore.User, string, error) {
	pl, err := f.pendingForPasskey(r, tok)
	if err != nil {
		return nil, "", err
	}
	if e := f.Limiter.Allow(r, SlotLogin, []string{"user", pl.User.ID}); e != nil {
		return nil, "", e
	}
	if err := f.Passkeys.FinishSecond(r, pl.User, pl.JTI, state, answer); err != nil {
		return nil, "", err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if err := f.Pending.SpendPending(ctx, pl); err != nil {
		return nil, "", err
	}
	return pl.User, feature.MethodAfterPasskey(pl.FirstFactor), nil
}
