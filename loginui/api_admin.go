package loginui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

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
func (p *Portal) apiAdminList(w http.ResponseWriter, r *http.Request) error {
	_, e := p.adminCaller(r)
	if e != nil {
		return e
	}
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	us, err := p.listUsers(r, q.Get("q"), offset, limit)
	if err != nil {
		return opStore
	}
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// opNoUser answers an {id} that names no user.
var opNoUser = newOpErr(http.StatusNotFound, CodeUserNotFound, "no such user")

// adminTarget loads the {id} user: 404 USER_NOT_FOUND or 503 otherwise.
func (p *Portal) adminTarget(r *http.Request) (*keystore.User, *opErr) {
	id := r.PathValue("id")
	if len(id) != 32 {
		return nil, opNoUser
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	u, err := p.o.Users.GetUser(ctx, id)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, opNoUser
	}
	if err != nil {
		return nil, opStore.WithCause(err)
	}
	return u, nil
}

// apiAdminGet: GET /api/users/{id}.
func (p *Portal) apiAdminGet(w http.ResponseWriter, r *http.Request) error {
	_, e := p.adminCaller(r)
	if e != nil {
		return e
	}
	u, e := p.adminTarget(r)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
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
// required. Deactivating a user signs them out everywhere. A new email
// is unverified unless is_verified:true comes with it; a new email or a
// false→true is_verified revokes the user's earlier sessions, API keys and
// OAuth links as the user's own verification would.
func (p *Portal) apiAdminPatch(w http.ResponseWriter, r *http.Request) error {
	c, e := p.adminCaller(r)
	if e != nil {
		return e
	}
	var req adminPatch
	if err := decodeJSON(r, &req, false); err != nil {
		return opBody
	}
	u, e := p.adminTarget(r)
	if e != nil {
		return e
	}
	if e := p.adminUpdate(r, c, u, req); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
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
	if req.Email != nil && !validEmail(*req.Email) {
		return newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "the email address is not valid")
	}
	if req.DisplayName != nil && !validDisplayName(*req.DisplayName) {
		return newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "the display name is not valid")
	}
	if req.Roles != nil && !validRoles(*req.Roles) {
		return newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "roles must be short names of letters, digits and _ - . :")
	}
	if req.Superuser != nil && u.ID == c.user.ID && !*req.Superuser {
		return newOpErr(http.StatusForbidden, CodeAuthorizationDenied, "a superuser cannot remove their own superuser flag")
	}
	if req.Active != nil && u.ID == c.user.ID && !*req.Active {
		return newOpErr(http.StatusForbidden, CodeAuthorizationDenied, "a superuser cannot deactivate themselves")
	}
	// u was read before the (slow) password check: only the fields the
	// request names are set, on the record as stored now. A new address is
	// unverified unless the admin vouches for it in the same request;
	// either way nothing made under the old one carries over.
	now := p.o.Now()
	vouched := req.Verified != nil && *req.Verified
	proofChanged := false
	ctx, cancel := storeCtx(r)
	defer cancel()
	nu, err := p.updateUser(ctx, u.ID, func(x *keystore.User) error {
		if req.DisplayName != nil {
			x.DisplayName = *req.DisplayName
		}
		if req.Roles != nil {
			x.Roles = append([]string{}, (*req.Roles)...)
		}
		if req.Superuser != nil {
			x.Superuser = *req.Superuser
		}
		if req.Active != nil {
			x.Active = *req.Active
		}
		wasVerified, emailChanged := x.Verified, false
		if req.Email != nil {
			e := strings.TrimSpace(*req.Email)
			emailChanged = keystore.FoldEmail(e) != keystore.FoldEmail(x.Email)
			x.Email = e
		}
		if req.Verified != nil {
			x.Verified = *req.Verified
		}
		switch {
		case emailChanged && !vouched:
			x.Verified, x.EmailVerifiedAt = false, time.Time{}
		case emailChanged, !wasVerified && x.Verified:
			x.EmailVerifiedAt = now
		case !x.Verified:
			x.EmailVerifiedAt = time.Time{}
		}
		proofChanged = emailChanged || (!wasVerified && x.Verified)
		return nil
	})
	switch {
	case errors.Is(err, keystore.ErrDuplicate):
		return newOpErr(http.StatusBadRequest, CodeUpdateEmailExists, "another account uses this email address")
	case errors.Is(err, keystore.ErrNotFound):
		return newOpErr(http.StatusNotFound, CodeUserNotFound, "no such user")
	case err != nil:
		return newOpErr(http.StatusServiceUnavailable, CodeTokenProcessingFailed, "update failed; nothing was changed")
	}
	if !nu.Active {
		// Also when the user was already inactive: a session created in
		// between must not outlive the decision.
		if _, err := p.o.Sessions.DeleteUserSessions(ctx, nu.ID, nil); err != nil {
			return newOpErr(http.StatusServiceUnavailable, CodeTokenProcessingFailed, "the user is deactivated but their sessions could not be revoked")
		}
	}
	if proofChanged {
		self := func(s *keystore.Session) bool { return nu.ID == c.user.ID && p.isCurrent(c, s) }
		if err := p.revokeUnverifiedCredentials(ctx, nu, now, self); err != nil {
			return newOpErr(http.StatusServiceUnavailable, CodeTokenProcessingFailed, "the user is updated but their earlier sessions, API keys and linked accounts could not all be revoked")
		}
	}
	ev := p.log.Info().Str("audit", "user_updated").Str("user_id", nu.ID).Str("by_user_id", c.user.ID)
	if req.Roles != nil || req.Superuser != nil {
		ev = ev.Bool("roles_changed", true)
	}
	ev.Msg("audit")
	*u = *nu
	return nil
}

type adminDelete struct {
	CurrentPassword string `json:"current_password"`
}

// apiAdminDelete: DELETE /api/users/{id} {current_password}.
func (p *Portal) apiAdminDelete(w http.ResponseWriter, r *http.Request) error {
	c, e := p.adminCaller(r)
	if e != nil {
		return e
	}
	var req adminDelete
	if err := decodeJSON(r, &req, false); err != nil {
		return opBody
	}
	if e := p.adminDeleteUser(r, c, r.PathValue("id"), req.CurrentPassword); e != nil {
		return e
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
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
