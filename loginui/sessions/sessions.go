package sessions

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Feature is the sessions API and the /account sessions section.
type Feature struct{ h feature.Host }

// New returns the sessions feature.
func New() *Feature { return &Feature{} }

var _ feature.Feature = (*Feature)(nil)

// Register adds the sessions routes.
func (f *Feature) Register(r feature.Router, h feature.Host) {
	f.h = h
	r.JSON("GET /api/auth/sessions", f.apiSessions)
	r.JSON("DELETE /api/auth/sessions/{id}", f.apiDeleteSession)
	r.JSON("POST /api/auth/sessions/revoke-others", f.apiRevokeOthers)
	r.Page("POST /account/sessions/revoke", f.pageRevoke)
	r.Page("POST /account/sessions/revoke-others", f.pageRevokeOthers)
}

// apiSessions: GET /api/auth/sessions.
func (f *Feature) apiSessions(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	ss, err := f.h.Sessions(ctx, c)
	if err != nil {
		return web.Unavailable
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"sessions": ss})
	return nil
}

// apiDeleteSession: DELETE /api/auth/sessions/{id}. An id that is not one
// of the caller's sessions is 404 AUTHORIZATION_DENIED.
func (f *Feature) apiDeleteSession(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	switch err := f.h.RevokeSession(ctx, c, r.PathValue("id")); {
	case errors.Is(err, feature.ErrNoSuchSession):
		return web.New(http.StatusNotFound, errcode.AuthorizationDenied, "no such session")
	case err != nil:
		return web.Unavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiRevokeOthers: POST /api/auth/sessions/revoke-others.
func (f *Feature) apiRevokeOthers(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	n, err := f.h.RevokeOtherSessions(ctx, c)
	if err != nil {
		return web.Unavailable
	}
	web.WriteJSON(w, http.StatusOK, map[string]int{"revoked": n})
	return nil
}
