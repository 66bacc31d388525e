package loginui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/keystore"
)

// maxListUsers bounds one listing; search scans at most maxSearchScan.
const (
	maxListUsers  = 200
	maxSearchScan = 10000
)

// listUsers returns users matching q (a case-insensitive substring of
// email or display name; empty: all) from offset, at most limit.
func (p *Portal) listUsers(r *http.Request, q string, offset, limit int) ([]*keystore.User, error) {
	ctx, cancel := storeCtx(r)
	defer cancel()
	if limit <= 0 || limit > maxListUsers {
		limit = maxListUsers
	}
	if offset < 0 {
		offset = 0
	}
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return p.o.Users.ListUsers(ctx, offset, limit)
	}
	all, err := p.o.Users.ListUsers(ctx, 0, maxSearchScan)
	if err != nil {
		return nil, err
	}
	var out []*keystore.User
	skipped := 0
	for _, u := range all {
		if !strings.Contains(keystore.FoldEmail(u.Email), q) && !strings.Contains(strings.ToLower(u.DisplayName), q) {
			continue
		}
		if skipped < offset {
			skipped++
			continue
		}
		out = append(out, u)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// apiAdminList: GET /api/users?q=&offset=&limit=.
func (p *Portal) apiAdminList(w http.ResponseWriter, r *http.Request) {
	c := p.requireAdmin(w, r)
	if c == nil {
		return
	}
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	us, err := p.listUsers(r, q.Get("q"), offset, limit)
	if err != nil {
		errStore(w)
		return
	}
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// adminTarget loads the {id} user; it answers 404 USER_NOT_FOUND or 503.
func (p *Portal) adminTarget(w http.ResponseWriter, r *http.Request) *keystore.User {
	id := r.PathValue("id")
	if len(id) != 32 {
		writeError(w, http.StatusNotFound, CodeUserNotFound, "no such user")
		return nil
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	u, err := p.o.Users.GetUser(ctx, id)
	if errors.Is(err, keystore.ErrNotFound) {
		writeError(w, http.StatusNotFound, CodeUserNotFound, "no such user")
		return nil
	}
	if err != nil {
		errStore(w)
		return nil
	}
	return u
}

// apiAdminGet: GET /api/users/{id}.
func (p *Portal) apiAdminGet(w http.ResponseWriter, r *http.Request) {
	c := p.requireAdmin(w, r)
	if c == nil {
		return
	}
	if u := p.adminTarget(w, r); u != nil {
		writeJSON(w, http.StatusOK, viewUser(u))
	}
}

// adminPatch is the body of PATCH /api/users/{id}.
type adminPatch struct {
	CurrentPassword string    `json:"current_password"`
	Email           *string   `json:"email"`
	DisplayName     *string   `json:"display_name"`
	Roles           *[]string `json:"roles"`
	Superuser       *bool     `json:"is_superuser"`
	Active          *bool     `json:"is_active"`
	Verified        *bool     `json:"is_verified"`
}

// apiAdminPatch: PATCH /api/users/{id}; the admin's current password is
// required. Deactivating a user signs them out everywhere.
func (p *Portal) apiAdminPatch(w http.ResponseWriter, r *http.Request) {
	c := p.requireAdmin(w, r)
	if c == nil {
		return
	}
	var req adminPatch
	if err := decodeJSON(r, &req, false); err != nil {
		errBody(w)
		return
	}
	u := p.adminTarget(w, r)
	if u == nil {
		return
	}
	if e := p.adminUpdate(r, c, u, req); e != nil {
		e.write(w)
		return
	}
	writeJSON(w, http.StatusOK, viewUser(u))
}

// adminUpdate applies req to u (updated in place on success).
func (p *Portal) adminUpdate(r *http.Request, c *caller, u *keystore.User, req adminPatch) *opErr {
	if e := p.rate(r, SlotChangePassword, []string{"user", c.user.ID}); e != nil {
		return e
	}
	if e := p.checkCurrentPassword(r.Context(), c.user, req.CurrentPassword,
		newOpErr(http.StatusBadRequest, CodeUpdateInvalidPassword, "your current password is wrong")); e != nil {
		return e
	}
	nu := *u
	if req.Email != nil {
		if !validEmail(*req.Email) {
			return newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "the email address is not valid")
		}
		nu.Email = strings.TrimSpace(*req.Email)
	}
	if req.DisplayName != nil {
		if !validDisplayName(*req.DisplayName) {
			return newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "the display name is not valid")
		}
		nu.DisplayName = *req.DisplayName
	}
	if req.Roles != nil {
		if !validRoles(*req.Roles) {
			return newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "roles must be short names of letters, digits and _ - . :")
		}
		nu.Roles = append([]string{}, (*req.Roles)...)
	}
	if req.Superuser != nil {
		if u.ID == c.user.ID && !*req.Superuser {
			return newOpErr(http.StatusForbidden, CodeAuthorizationDenied, "a superuser cannot remove their own superuser flag")
		}
		nu.Superuser = *req.Superuser
	}
	if req.Active != nil {
		if u.ID == c.user.ID && !*req.Active {
			return newOpErr(http.StatusForbidden, CodeAuthorizationDenied, "a superuser cannot deactivate themselves")
		}
		nu.Active = *req.Active
	}
	if req.Verified != nil {
		nu.Verified = *req.Verified
	}
	nu.UpdatedAt = p.o.Now()
	ctx, cancel := storeCtx(r)
	defer cancel()
	switch err := p.o.Users.UpdateUser(ctx, &nu); {
	case errors.Is(err, keystore.ErrDuplicate):
		return newOpErr(http.StatusBadRequest, CodeUpdateEmailExists, "another account uses this email address")
	case errors.Is(err, keystore.ErrNotFound):
		return newOpErr(http.StatusNotFound, CodeUserNotFound, "no such user")
	case err != nil:
		return newOpErr(http.StatusServiceUnavailable, CodeTokenProcessingFailed, "update failed; nothing was changed")
	}
	if u.Active && !nu.Active {
		if _, err := p.o.Sessions.DeleteUserSessions(ctx, nu.ID, nil); err != nil {
			return newOpErr(http.StatusServiceUnavailable, CodeTokenProcessingFailed, "the user is deactivated but their sessions could not be revoked")
		}
	}
	ev := p.log.Info().Str("audit", "user_updated").Str("user_id", nu.ID).Str("by_user_id", c.user.ID)
	if req.Roles != nil || req.Superuser != nil {
		ev = ev.Bool("roles_changed", true)
	}
	ev.Msg("audit")
	*u = nu
	return nil
}

type adminDelete struct {
	CurrentPassword string `json:"current_password"`
}

// apiAdminDelete: DELETE /api/users/{id} {current_password}.
func (p *Portal) apiAdminDelete(w http.ResponseWriter, r *http.Request) {
	c := p.requireAdmin(w, r)
	if c == nil {
		return
	}
	var req adminDelete
	if err := decodeJSON(r, &req, false); err != nil {
		errBody(w)
		return
	}
	if e := p.adminDeleteUser(r, c, r.PathValue("id"), req.CurrentPassword); e != nil {
		e.write(w)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (p *Portal) adminDeleteUser(r *http.Request, c *caller, id, currentPassword string) *opErr {
	if id == c.user.ID {
		return newOpErr(http.StatusForbidden, CodeSuperuserCannotDelete, "a superuser cannot delete their own account")
	}
	if e := p.rate(r, SlotChangePassword, []string{"user", c.user.ID}); e != nil {
		return e
	}
	if e := p.checkCurrentPassword(r.Context(), c.user, currentPassword,
		newOpErr(http.StatusBadRequest, CodeUpdateInvalidPassword, "your current password is wrong")); e != nil {
		return e
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	switch err := p.o.Users.DeleteUser(ctx, id); {
	case errors.Is(err, keystore.ErrNotFound):
		return newOpErr(http.StatusNotFound, CodeUserNotFound, "no such user")
	case err != nil:
		return newOpErr(http.StatusServiceUnavailable, CodeTokenProcessingFailed, "delete failed")
	}
	p.log.Info().Str("audit", "user_deleted").Str("user_id", id).Str("by_user_id", c.user.ID).Msg("audit")
	return nil
}
