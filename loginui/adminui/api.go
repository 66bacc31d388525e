package adminui

import (
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/loginui/internal/view"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The admin JSON API. Every route passes Host.AdminCaller first.

// apiList: GET /api/users?q=&offset=&limit=.
func (f *Feature) apiList(w http.ResponseWriter, r *http.Request) error {
	if _, err := f.h.AdminCaller(r); err != nil {
		return err
	}
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	us, err := f.listUsers(r, q.Get("q"), offset, limit)
	if err != nil {
		return web.Unavailable
	}
	out := make([]view.User, 0, len(us))
	for _, u := range us {
		out = append(out, view.Of(u))
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// apiGet: GET /api/users/{id}.
func (f *Feature) apiGet(w http.ResponseWriter, r *http.Request) error {
	if _, err := f.h.AdminCaller(r); err != nil {
		return err
	}
	u, err := f.h.AdminTarget(r)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, view.Of(u))
	return nil
}

// apiPatch: PATCH /api/users/{id}; the admin's current password is
// required. Deactivating a user signs them out everywhere. A new email
// is unverified unless is_verified:true comes with it; a new email or a
// false→true is_verified revokes the user's earlier sessions, API keys and
// OAuth links as the user's own verification would.
func (f *Feature) apiPatch(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.AdminCaller(r)
	if err != nil {
		return err
	}
	var req patch
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	u, err := f.h.AdminTarget(r)
	if err != nil {
		return err
	}
	if err := f.update(r, c, u, req); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, view.Of(u))
	return nil
}

type deleteBody struct {
	CurrentPassword string `json:"current_password"`
}

// apiDelete: DELETE /api/users/{id} {current_password}.
func (f *Feature) apiDelete(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.AdminCaller(r)
	if err != nil {
		return err
	}
	var req deleteBody
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	if err := f.deleteUser(r, c, r.PathValue("id"), req.CurrentPassword); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
