package loginui

import (
	"encoding/json"
	"net/http"
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
func (p *Portal) keyRoutesOff() *opErr {
	if p.keys == nil {
		return opNoRoute
	}
	return nil
}

// opNoRoute answers an unknown API route.
var opNoRoute = newOpErr(http.StatusNotFound, CodeRequestBodyInvalid, "no such API route")

// keyOwner admits the self-service routes: API keys enabled, no API-key
// credential on the request, a browser session opened with a password
// (cookie sessions also pass the CSRF check in apiCaller).
func (p *Portal) keyOwner(r *http.Request) (*caller, *opErr) {
	if e := p.keyRoutesOff(); e != nil {
		return nil, e
	}
	if p.presentsAPIKey(r) {
		return nil, opForbidden("API-key credentials cannot manage API keys")
	}
	c, e := p.apiCaller(r)
	if e != nil {
		return nil, e
	}
	if !c.passwordSession() {
		return nil, opKeyNeedPwSess
	}
	return c, nil
}

// keyAdmin admits the admin routes (superuser, password session, step-up
// with TOTP on).
func (p *Portal) keyAdmin(r *http.Request) (*caller, *opErr) {
	if e := p.keyRoutesOff(); e != nil {
		return nil, e
	}
	if p.presentsAPIKey(r) {
		return nil, opForbidden("API-key credentials cannot manage API keys")
	}
	return p.adminCaller(r)
}

// decodeKeyCreate reads and pre-validates a create body.
func decodeKeyCreate(r *http.Request) (keyCreate, *opErr) {
	var req apiKeyCreateRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return keyCreate{}, opBody
	}
	life, e := parseKeyLifetime(req.ExpiresIn)
	if e != nil {
		return keyCreate{}, e
	}
	return keyCreate{Name: req.Name, Scopes: req.Scopes, Lifetime: life, SigningRequired: req.SigningRequired}, nil
}

// apiKeyCreate: POST /api/api-keys.
func (p *Portal) apiKeyCreate(w http.ResponseWriter, r *http.Request) error {
	c, e := p.keyOwner(r)
	if e != nil {
		return e
	}
	if e := p.stepUpErr(c); e != nil {
		return e
	}
	req, e := decodeKeyCreate(r)
	if e != nil {
		return e
	}
	k, raw, e := p.createAPIKey(r, c.user, c.user, req)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusCreated, apiKeyCreated{Key: p.viewAPIKey(k), APIKey: raw})
	return nil
}

// apiKeyList: GET /api/api-keys, newest first.
func (p *Portal) apiKeyList(w http.ResponseWriter, r *http.Request) error {
	c, e := p.keyOwner(r)
	if e != nil {
		return e
	}
	ks, e := p.listAPIKeys(r, c.user.ID)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": ks})
	return nil
}

// apiKeyGet: GET /api/api-keys/{key_id}.
func (p *Portal) apiKeyGet(w http.ResponseWriter, r *http.Request) error {
	c, e := p.keyOwner(r)
	if e != nil {
		return e
	}
	k, e := p.ownedAPIKey(r, c.user.ID, r.PathValue("key_id"))
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, p.viewAPIKey(k))
	return nil
}

// apiKeyPatch: PATCH /api/api-keys/{key_id} {name?, scopes?}.
func (p *Portal) apiKeyPatch(w http.ResponseWriter, r *http.Request) error {
	c, e := p.keyOwner(r)
	if e != nil {
		return e
	}
	if e := p.stepUpErr(c); e != nil {
		return e
	}
	var req apiKeyPatchRequest
	if err := decodeJSON(r, &req, false); err != nil || (req.Name == nil && req.Scopes == nil) {
		return opBody
	}
	k, e := p.updateAPIKey(r, c.user, c.user, r.PathValue("key_id"), keyPatch(req))
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, p.viewAPIKey(k))
	return nil
}

// apiKeyDelete: DELETE /api/api-keys/{key_id} revokes (204).
func (p *Portal) apiKeyDelete(w http.ResponseWriter, r *http.Request) error {
	c, e := p.keyOwner(r)
	if e != nil {
		return e
	}
	if e := p.stepUpErr(c); e != nil {
		return e
	}
	if err := decodeJSON(r, &emptyRequest{}, true); err != nil {
		return opBody
	}
	if e := p.revokeAPIKey(r, c.user, c.user.ID, r.PathValue("key_id")); e != nil {
		return e
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiAdminKeyCreate: POST /api/users/{id}/api-keys; the key belongs to
// {id}, whose roles bound its scopes under ScopeSubsetCheck.
func (p *Portal) apiAdminKeyCreate(w http.ResponseWriter, r *http.Request) error {
	c, e := p.keyAdmin(r)
	if e != nil {
		return e
	}
	req, e := decodeKeyCreate(r)
	if e != nil {
		return e
	}
	u, e := p.adminTarget(r)
	if e != nil {
		return e
	}
	k, raw, e := p.createAPIKey(r, c.user, u, req)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusCreated, apiKeyCreated{Key: p.viewAPIKey(k), APIKey: raw})
	return nil
}

// apiAdminKeyList: GET /api/users/{id}/api-keys.
func (p *Portal) apiAdminKeyList(w http.ResponseWriter, r *http.Request) error {
	_, e := p.keyAdmin(r)
	if e != nil {
		return e
	}
	u, e := p.adminTarget(r)
	if e != nil {
		return e
	}
	ks, e := p.listAPIKeys(r, u.ID)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": ks})
	return nil
}

// apiAdminKeyDelete: DELETE /api/users/{id}/api-keys/{key_id} revokes.
func (p *Portal) apiAdminKeyDelete(w http.ResponseWriter, r *http.Request) error {
	c, e := p.keyAdmin(r)
	if e != nil {
		return e
	}
	if err := decodeJSON(r, &emptyRequest{}, true); err != nil {
		return opBody
	}
	u, e := p.adminTarget(r)
	if e != nil {
		return e
	}
	if e := p.revokeAPIKey(r, c.user, u.ID, r.PathValue("key_id")); e != nil {
		return e
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
