package apikeys

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// apiKeyCreateRequest is the body of POST /api/api-keys and
// POST /api/users/{id}/api-keys.
type apiKeyCreateRequest struct {
	Name            string          `json:"name"`
	Scopes          []string        `json:"scopes"`
	ExpiresIn       json.RawMessage `json:"expires_in"` // seconds, or "720h" / "90d"; absent: the default
	SigningRequired bool            `json:"signing_required"`
}

// apiKeyPatchRequest is the body of PATCH /api/api-keys/{key_id}.
type apiKeyPatchRequest struct {
	Name   *string   `json:"name"`
	Scopes *[]string `json:"scopes"`
}

// apiKeyCreated is the 201 answer: the raw key, shown this once.
type apiKeyCreated struct {
	Key    apiKeyView `json:"key"`
	APIKey string     `json:"api_key"`
}

// keyRoutesOff is the 404 answered when API keys are disabled, as for an
// unknown route.
func (f *Feature) keyRoutesOff() error {
	if !f.o.Enabled {
		return web.NoRoute
	}
	return nil
}

// keyOwner admits the self-service routes: API keys enabled, no API-key
// credential on the request, a browser session opened with a password
// (cookie sessions also pass the CSRF check in Host.APICaller).
func (f *Feature) keyOwner(r *http.Request) (*feature.Caller, error) {
	if e := f.keyRoutesOff(); e != nil {
		return nil, e
	}
	if f.h.PresentsAPIKey(r) {
		return nil, web.Forbidden("API-key credentials cannot manage API keys")
	}
	c, e := f.h.APICaller(r)
	if e != nil {
		return nil, e
	}
	if !c.PasswordSession {
		return nil, opKeyNeedPwSess
	}
	return c, nil
}

// keyAdmin admits the admin routes (superuser, password session, step-up
// with TOTP on).
func (f *Feature) keyAdmin(r *http.Request) (*feature.Caller, error) {
	if e := f.keyRoutesOff(); e != nil {
		return nil, e
	}
	if f.h.PresentsAPIKey(r) {
		return nil, web.Forbidden("API-key credentials cannot manage API keys")
	}
	return f.h.AdminCaller(r)
}

// decodeKeyCreate reads and pre-validates a create body.
func decodeKeyCreate(r *http.Request) (keyCreate, error) {
	var req apiKeyCreateRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return keyCreate{}, web.BadBody
	}
	life, e := parseKeyLifetime(req.ExpiresIn)
	if e != nil {
		return keyCreate{}, e
	}
	return keyCreate{Name: req.Name, Scopes: req.Scopes, Lifetime: life, SigningRequired: req.SigningRequired}, nil
}

// apiKeyCreate: POST /api/api-keys.
func (f *Feature) apiKeyCreate(w http.ResponseWriter, r *http.Request) error {
	c, e := f.keyOwner(r)
	if e != nil {
		return e
	}
	if e := f.h.StepUp(c); e != nil {
		return e
	}
	req, e := decodeKeyCreate(r)
	if e != nil {
		return e
	}
	k, raw, e := f.createAPIKey(r, c.User, c.User, req)
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusCreated, apiKeyCreated{Key: f.viewAPIKey(k), APIKey: raw})
	return nil
}

// apiKeyList: GET /api/api-keys, newest first.
func (f *Feature) apiKeyList(w http.ResponseWriter, r *http.Request) error {
	c, e := f.keyOwner(r)
	if e != nil {
		return e
	}
	ks, e := f.listAPIKeys(r, c.User.ID)
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"api_keys": ks})
	return nil
}

// apiKeyGet: GET /api/api-keys/{key_id}.
func (f *Feature) apiKeyGet(w http.ResponseWriter, r *http.Request) error {
	c, e := f.keyOwner(r)
	if e != nil {
		return e
	}
	k, e := f.ownedAPIKey(r, c.User.ID, r.PathValue("key_id"))
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, f.viewAPIKey(k))
	return nil
}

// apiKeyPatch: PATCH /api/api-keys/{key_id} {name?, scopes?}.
func (f *Feature) apiKeyPatch(w http.ResponseWriter, r *http.Request) error {
	c, e := f.keyOwner(r)
	if e != nil {
		return e
	}
	if e := f.h.StepUp(c); e != nil {
		return e
	}
	var req apiKeyPatchRequest
	if err := web.DecodeJSON(r, &req, false); err != nil || (req.Name == nil && req.Scopes == nil) {
		return web.BadBody
	}
	k, e := f.updateAPIKey(r, c.User, c.User, r.PathValue("key_id"), keyPatch(req))
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, f.viewAPIKey(k))
	return nil
}

// apiKeyDelete: DELETE /api/api-keys/{key_id} revokes (204).
func (f *Feature) apiKeyDelete(w http.ResponseWriter, r *http.Request) error {
	c, e := f.keyOwner(r)
	if e != nil {
		return e
	}
	if e := f.h.StepUp(c); e != nil {
		return e
	}
	if err := web.DecodeJSON(r, &struct{}{}, true); err != nil {
		return web.BadBody
	}
	if e := f.revokeAPIKey(r, c.User, c.User.ID, r.PathValue("key_id")); e != nil {
		return e
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiAdminKeyCreate: POST /api/users/{id}/api-keys; the key belongs to
// {id}, whose roles bound its scopes under ScopeSubsetCheck.
func (f *Feature) apiAdminKeyCreate(w http.ResponseWriter, r *http.Request) error {
	c, e := f.keyAdmin(r)
	if e != nil {
		return e
	}
	req, e := decodeKeyCreate(r)
	if e != nil {
		return e
	}
	u, e := f.h.AdminTarget(r)
	if e != nil {
		return e
	}
	k, raw, e := f.createAPIKey(r, c.User, u, req)
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusCreated, apiKeyCreated{Key: f.viewAPIKey(k), APIKey: raw})
	return nil
}

// apiAdminKeyList: GET /api/users/{id}/api-keys.
func (f *Feature) apiAdminKeyList(w http.ResponseWriter, r *http.Request) error {
	_, e := f.keyAdmin(r)
	if e != nil {
		return e
	}
	u, e := f.h.AdminTarget(r)
	if e != nil {
		return e
	}
	ks, e := f.listAPIKeys(r, u.ID)
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"api_keys": ks})
	return nil
}

// apiAdminKeyDelete: DELETE /api/users/{id}/api-keys/{key_id} revokes.
func (f *Feature) apiAdminKeyDelete(w http.ResponseWriter, r *http.Request) error {
	c, e := f.keyAdmin(r)
	if e != nil {
		return e
	}
	if err := web.DecodeJSON(r, &struct{}{}, true); err != nil {
		return web.BadBody
	}
	u, e := f.h.AdminTarget(r)
	if e != nil {
		return e
	}
	if e := f.revokeAPIKey(r, c.User, u.ID, r.PathValue("key_id")); e != nil {
		return e
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
