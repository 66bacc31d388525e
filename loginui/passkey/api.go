package passkey

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/ceremony"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The JSON routes of passkeys (docs/design.md "Passkeys"). Bodies refuse
// unknown fields (web.DecodeJSON); every refusal is a WEBAUTHN_* code or
// the core's.

// View is the JSON form of a passkey.
type View struct {
	ID             string     `json:"id"` // base64url credential id
	Name           string     `json:"name"`
	CreatedAt      time.Time  `json:"created_at"`
	LastUsedAt     *time.Time `json:"last_used_at"` // null until first used
	BackupEligible bool       `json:"backup_eligible"`
	BackupState    bool       `json:"backup_state"`
	Transports     []string   `json:"transports"`
}

func viewOf(p *keystore.Passkey) View {
	v := View{ID: base64.RawURLEncoding.EncodeToString(p.CredentialID), Name: p.Name, CreatedAt: p.CreatedAt.UTC(),
		BackupEligible: p.BackupEligible, BackupState: p.BackupState, Transports: p.Transports}
	if !p.LastUsedAt.IsZero() {
		t := p.LastUsedAt.UTC()
		v.LastUsedAt = &t
	}
	if v.Transports == nil {
		v.Transports = []string{}
	}
	return v
}

// ceremonyAnswer is the answer of a begin route.
type ceremonyAnswer struct {
	Options json.RawMessage `json:"options"`
	State   string          `json:"state"`
}

// registerCaller admits the caller of a registration route (mayRegister).
func (f *Feature) registerCaller(r *http.Request) (*feature.Caller, error) {
	c, err := f.h.APICaller(r)
	if err != nil {
		return nil, err
	}
	if err := f.mayRegister(c); err != nil {
		return nil, err
	}
	return c, nil
}

// mayRegister: adding a passkey needs the feature on and a cookie session
// opened with a password or holding a step-up proof (like TOTP
// enrolment) and, when the user already has a second factor, a fresh
// step-up proof (Host.StepUp): a passkey with user verification is a
// whole login, so a hijacked session must not be able to add one and
// keep a way in that skips both the password and the second factor.
func (f *Feature) mayRegister(c *feature.Caller) error {
	switch {
	case !f.c.Enabled:
		return opDisabled
	case !c.ViaCookie:
		return opCookie
	case !c.PasswordSession && !f.h.Now().Before(c.Session.StepUpUntil):
		return opNeedPw
	}
	return f.h.StepUp(c)
}

type registerBeginRequest struct {
	Name string `json:"name"`
}

// apiRegisterBegin: POST /api/auth/webauthn/register/begin {name} →
// {options, state} for navigator.credentials.create.
func (f *Feature) apiRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	var req registerBeginRequest
	if err := web.DecodeJSON(r, &req, true); err != nil {
		return opBody
	}
	c, err := f.registerCaller(r)
	if err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	opts, st, err := f.rp.BeginRegistration(ctx, c.User, sessionBinding(c))
	if err != nil {
		return answer(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, ceremonyAnswer{opts, st})
	return nil
}

type registerFinishRequest struct {
	State      string          `json:"state"`
	Credential json.RawMessage `json:"credential"`
	Name       string          `json:"name"`
}

// apiRegisterFinish: POST /api/auth/webauthn/register/finish {state,
// credential, name} → 201 with the passkey.
func (f *Feature) apiRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	var req registerFinishRequest
	if err := web.DecodeJSON(r, &req, false); err != nil || req.State == "" || len(req.Credential) == 0 {
		return opBody
	}
	c, err := f.registerCaller(r)
	if err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	p, err := f.rp.FinishRegistration(ctx, c.User, sessionBinding(c), req.State, req.Credential, req.Name)
	if err != nil {
		return answer(err)
	}
	f.h.Audit("passkey_registered", c.User.ID)
	web.WriteJSON(w, http.StatusCreated, viewOf(p))
	return nil
}

// apiList: GET /api/auth/webauthn/credentials → the caller's passkeys.
func (f *Feature) apiList(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	pks, err := f.c.Passkeys.ListUserPasskeys(ctx, c.User.ID)
	if err != nil {
		return web.Unavailable
	}
	out := make([]View, 0, len(pks))
	for _, p := range pks {
		out = append(out, viewOf(p))
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// apiDelete: DELETE /api/auth/webauthn/credentials/{id} → 204; it needs
// a step-up proof.
func (f *Feature) apiDelete(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	if err := f.remove(r, c, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// remove deletes c's passkey named by its base64url id after the step-up
// check (feature.Host.StepUp); the ownership check is the one every
// removal uses (accounts.RemoveUserPasskey).
func (f *Feature) remove(r *http.Request, c *feature.Caller, id string) error {
	if _, err := accounts.ParseCredentialID(id); err != nil {
		return opNotFound
	}
	if err := f.h.StepUp(c); err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	switch err := accounts.RemoveUserPasskey(ctx, f.c.Passkeys, c.User.ID, id); {
	case errors.Is(err, accounts.ErrPasskeyNotFound):
		return opNotFound
	case err != nil:
		return web.Unavailable
	}
	f.h.Audit("passkey_removed", c.User.ID)
	return nil
}

type stepUpFinishRequest struct {
	State      string          `json:"state"`
	Credential json.RawMessage `json:"credential"`
}

// apiStepUpBegin: POST /api/auth/webauthn/step-up/begin {} → {options,
// state} with the caller's passkeys.
func (f *Feature) apiStepUpBegin(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := web.DecodeJSON(r, &req, true); err != nil {
		return opBody
	}
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	if !c.ViaCookie {
		return opCookie
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	opts, st, err := f.rp.BeginAssertion(ctx, ceremony.KindStepUp, c.User, sessionBinding(c))
	if err != nil {
		return answer(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, ceremonyAnswer{opts, st})
	return nil
}

// apiStepUpFinish: POST /api/auth/webauthn/step-up/finish {state,
// credential} marks the cookie session for the step-up TTL, as a TOTP
// code does.
func (f *Feature) apiStepUpFinish(w http.ResponseWriter, r *http.Request) error {
	var req stepUpFinishRequest
	if err := web.DecodeJSON(r, &req, false); err != nil || req.State == "" || len(req.Credential) == 0 {
		return opBody
	}
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	if !c.ViaCookie {
		return opCookie
	}
	if err := f.h.Rate(r, feature.SlotLogin, []string{"user", c.User.ID}); err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if _, err := f.rp.FinishAssertion(ctx, ceremony.KindStepUp, c.User.ID, sessionBinding(c), req.State, req.Credential); err != nil {
		return f.refused(err, "passkey_step_up_failed", c.User.ID)
	}
	until := f.h.Now().Add(f.c.StepUpTTL)
	if err := f.c.Sessions.SetSessionStepUp(ctx, c.Digest, until); err != nil {
		return web.Unavailable
	}
	c.Session.StepUpUntil = until
	f.h.Audit("step_up", c.User.ID)
	web.WriteJSON(w, http.StatusOK, map[string]string{"step_up_until": until.UTC().Format(time.RFC3339)})
	return nil
}
