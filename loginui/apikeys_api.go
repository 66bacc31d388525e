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

// keyRoutesOff answers 404 when API keys are disabled, as for an unknown
// route.
func (p *Portal) keyRoutesOff(w http.ResponseWriter) bool {
	if p.keys == nil {
		writeError(w, http.StatusNotFound, CodeRequestBodyInvalid, "no such API route")
		return true
	}
	return false
}

// requireKeyOwner admits the self-service routes: API keys enabled, no
// API-key credential on the request, a browser session opened with a
// password (cookie sessions also pass the CSRF check in requireAPI).
func (p *Portal) requireKeyOwner(w http.ResponseWriter, r *http.Request) *caller {
	if p.keyRoutesOff(w) {
		return nil
	}
	if p.presentsAPIKey(r) {
		errForbidden(w, "API-key credentials cannot manage API keys")
		return nil
	}
	c := p.requireAPI(w, r)
	if c == nil {
		return nil
	}
	if !c.passwordSession() {
		opKeyNeedPwSess.WriteJSON(w)
		return nil
	}
	return c
}

// requireKeyAdmin admits the admin routes (superuser, password session,
// step-up with TOTP on).
func (p *Portal) requireKeyAdmin(w http.ResponseWriter, r *http.Request) *caller {
	if p.keyRoutesOff(w) {
		return nil
	}
	if p.presentsAPIKey(r) {
		errForbidden(w, "API-key credentials cannot manage API keys")
		return nil
	}
	return p.requireAdmin(w, r)
}

// decodeKeyCreate reads and pre-validates a create body.
func decodeKeyCreate(w http.ResponseWriter, r *http.Request) (keyCreate, bool) {
	var req apiKeyCreateRequest
	if err := decodeJSON(r, &req, false); err != nil {
		errBody(w)
		return keyCreate{}, false
	}
	life, e := parseKeyLifetime(req.ExpiresIn)
	if e != nil {
		e.WriteJSON(w)
		return keyCreate{}, false
	}
	return keyCreate{Name: req.Name, Scopes: req.Scopes, Lifetime: life, SigningRequired: req.SigningRequired}, true
}

// apiKeyCreate: POST /api/api-keys.
func (p *Portal) apiKeyCreate(w http.ResponseWriter, r *http.Request) {
	c := p.requireKeyOwner(w, r)
	if c == nil {
		return
	}
	if e := p.stepUpErr(c); e != nil {
		e.WriteJSON(w)
		return
	}
	req, ok := decodeKeyCreate(w, r)
	if !ok {
		return
	}
	k, raw, e := p.createAPIKey(r, c.user, c.user, req)
	if e != nil {
		e.WriteJSON(w)
		return
	}
	writeJSON(w, http.StatusCreated, apiKeyCreated{Key: p.viewAPIKey(k), APIKey: raw})
}

// apiKeyList: GET /api/api-keys, newest first.
func (p *Portal) apiKeyList(w http.ResponseWriter, r *http.Request) {
	c := p.requireKeyOwner(w, r)
	if c == nil {
		return
	}
	ks, e := p.listAPIKeys(r, c.user.ID)
	if e != nil {
		e.WriteJSON(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": ks})
}

// apiKeyGet: GET /api/api-keys/{key_id}.
func (p *Portal) apiKeyGet(w http.ResponseWriter, r *http.Request) {
	c := p.requireKeyOwner(w, r)
	if c == nil {
		return
	}
	k, e := p.ownedAPIKey(r, c.user.ID, r.PathValue("key_id"))
	if e != nil {
		e.WriteJSON(w)
		return
	}
	writeJSON(w, http.StatusOK, p.viewAPIKey(k))
}

// apiKeyPatch: PATCH /api/api-keys/{key_id} {name?, scopes?}.
func (p *Portal) apiKeyPatch(w http.ResponseWriter, r *http.Request) {
	c := p.requireKeyOwner(w, r)
	if c == nil {
		return
	}
	if e := p.stepUpErr(c); e != nil {
		e.WriteJSON(w)
		return
	}
	var req apiKeyPatchRequest
	if err := decodeJSON(r, &req, false); err != nil || (req.Name == nil && req.Scopes == nil) {
		errBody(w)
		return
	}
	k, e := p.updateAPIKey(r, c.user, c.user, r.PathValue("key_id"), keyPatch(req))
	if e != nil {
		e.WriteJSON(w)
		return
	}
	writeJSON(w, http.StatusOK, p.viewAPIKey(k))
}

// apiKeyDelete: DELETE /api/api-keys/{key_id} revokes (204).
func (p *Portal) apiKeyDelete(w http.ResponseWriter, r *http.Request) {
	c := p.requireKeyOwner(w, r)
	if c == nil {
		return
	}
	if e := p.stepUpErr(c); e != nil {
		e.WriteJSON(w)
		return
	}
	if err := decodeJSON(r, &emptyRequest{}, true); err != nil {
		errBody(w)
		return
	}
	if e := p.revokeAPIKey(r, c.user, c.user.ID, r.PathValue("key_id")); e != nil {
		e.WriteJSON(w)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// apiAdminKeyCreate: POST /api/users/{id}/api-keys; the key belongs to
// {id}, whose roles bound its scopes under ScopeSubsetCheck.
func (p *Portal) apiAdminKeyCreate(w http.ResponseWriter, r *http.Request) {
	c := p.requireKeyAdmin(w, r)
	if c == nil {
		return
	}
	req, ok := decodeKeyCreate(w, r)
	if !ok {
		return
	}
	u := p.adminTarget(w, r)
	if u == nil {
		return
	}
	k, raw, e := p.createAPIKey(r, c.user, u, req)
	if e != nil {
		e.WriteJSON(w)
		return
	}
	writeJSON(w, http.StatusCreated, apiKeyCreated{Key: p.viewAPIKey(k), APIKey: raw})
}

// apiAdminKeyList: GET /api/users/{id}/api-keys.
func (p *Portal) apiAdminKeyList(w http.ResponseWriter, r *http.Request) {
	c := p.requireKeyAdmin(w, r)
	if c == nil {
		return
	}
	u := p.adminTarget(w, r)
	if u == nil {
		return
	}
	ks, e := p.listAPIKeys(r, u.ID)
	if e != nil {
		e.WriteJSON(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": ks})
}

// apiAdminKeyDelete: DELETE /api/users/{id}/api-keys/{key_id} revokes.
func (p *Portal) apiAdminKeyDelete(w http.ResponseWriter, r *http.Request) {
	c := p.requireKeyAdmin(w, r)
	if c == nil {
		return
	}
	if err := decodeJSON(r, &emptyRequest{}, true); err != nil {
		errBody(w)
		return
	}
	u := p.adminTarget(w, r)
	if u == nil {
		return
	}
	if e := p.revokeAPIKey(r, c.user, u.ID, r.PathValue("key_id")); e != nil {
		e.WriteJSON(w)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
