package adminui

import (
	"errors"
	"github.com/gatehouse/gatehouse/loginui/internal/view"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The shared operations behind the JSON routes (api.go) and the pages
// (pages.go).

// maxListUsers bounds one listing; search scans at most maxSearchScan.
const (
	maxListUsers  = 200
	maxSearchScan = 10000
)

// ErrConfig: the feature has no user or session store.
var ErrConfig = errors.New("loginui: the admin area needs a user and a session store")

// Config is what the admin area needs from the portal's options.
type Config struct {
	Users    keystore.Users
	Sessions keystore.Sessions
	// Passkeys, when set, lets the admin see and remove a user's
	// passkeys (passkeys.go); nil: the lists are empty.
	Passkeys keystore.Passkeys
}

// Feature is the admin area. Build it with New.
type Feature struct {
	users    keystore.Users
	sessions keystore.Sessions
	passkeys keystore.Passkeys // nil: none
	h        feature.Host

	listTmpl, userTmpl *template.Template
	tmplErr            error
}

var (
	_ feature.Feature = (*Feature)(nil)
	_ feature.Notices = (*Feature)(nil)
)

// New builds the admin area.
func New(c Config) (*Feature, error) {
	if c.Users == nil || c.Sessions == nil {
		return nil, ErrConfig
	}
	return &Feature{users: c.Users, sessions: c.Sessions, passkeys: c.Passkeys}, nil
}

// Register implements feature.Feature.
func (f *Feature) Register(r feature.Router, h feature.Host) {
	f.h = h
	f.listTmpl, f.tmplErr = h.ParsePage(templateFS, "templates/admin.html")
	if f.tmplErr == nil {
		f.userTmpl, f.tmplErr = h.ParsePage(templateFS, "templates/admin_user.html")
	}
	r.JSON("GET /api/users", f.apiList)
	r.JSON("GET /api/users/{id}", f.apiGet)
	r.JSON("PATCH /api/users/{id}", f.apiPatch)
	r.JSON("DELETE /api/users/{id}", f.apiDelete)
	r.Page("GET /admin", f.pageList)
	r.Page("GET /admin/users/{id}", f.pageUser)
	r.Page("POST /admin/users/{id}", f.pageUserPost)
	r.Page("POST /admin/users/{id}/delete", f.pageUserDelete)
	r.JSON("GET /api/users/{id}/passkeys", f.apiPasskeys)
	r.JSON("DELETE /api/users/{id}/passkeys/{credential_id}", f.apiPasskeyDelete)
	r.Page("POST /admin/users/{id}/passkeys/{credential_id}/remove", f.pagePasskeyRemove)
}

// adminNotices maps the ?done= values of the admin pages' redirects.
var adminNotices = map[string]string{
	"saved":   "The user has been saved.",
	"deleted": "The user has been deleted.",
	// admin_passkey_removed: the user's page after its passkey remove form.
	"admin_passkey_removed": "The passkey has been removed.",
}

// Notices implements feature.Notices.
func (f *Feature) Notices() map[string]string { return adminNotices }

// listUsers returns users matching q (a case-insensitive substring of
// email or display name; empty: all) from offset, at most limit.
func (f *Feature) listUsers(r *http.Request, q string, offset, limit int) ([]*keystore.User, error) {
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if limit <= 0 || limit > maxListUsers {
		limit = maxListUsers
	}
	if offset < 0 {
		offset = 0
	}
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return f.users.ListUsers(ctx, offset, limit)
	}
	all, err := f.users.ListUsers(ctx, 0, maxSearchScan)
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

// patch is the body of PATCH /api/users/{id} (and what the user page's
// form posts).
type patch struct {
	CurrentPassword string    `json:"current_password"`
	Email           *string   `json:"email"`
	DisplayName     *string   `json:"display_name"`
	Roles           *[]string `json:"roles"`
	Superuser       *bool     `json:"is_superuser"`
	Active          *bool     `json:"is_active"`
	Verified        *bool     `json:"is_verified"`
}

var errWrongPassword = web.New(http.StatusBadRequest, errcode.UpdateInvalidPassword, "your current password is wrong")

func invalid(detail string) *web.Error {
	return web.New(http.StatusUnprocessableEntity, errcode.RequestBodyInvalid, detail)
}

// update applies req to u (updated in place on success) for admin c. The
// error is a *web.Error.
func (f *Feature) update(r *http.Request, c *feature.Caller, u *keystore.User, req patch) error {
	if err := f.confirm(r, c, req.CurrentPassword); err != nil {
		return err
	}
	if req.Email != nil && !keystore.ValidEmail(*req.Email) {
		return invalid("the email address is not valid")
	}
	if req.DisplayName != nil && !accounts.ValidDisplayName(*req.DisplayName) {
		return invalid("the display name is not valid")
	}
	if req.Roles != nil && !accounts.ValidRoles(*req.Roles) {
		return invalid("roles must be short names of letters, digits and _ - . :")
	}
	if req.Superuser != nil && u.ID == c.User.ID && !*req.Superuser {
		return web.Forbidden("a superuser cannot remove their own superuser flag")
	}
	if req.Active != nil && u.ID == c.User.ID && !*req.Active {
		return web.Forbidden("a superuser cannot deactivate themselves")
	}
	// u was read before the (slow) password check: only the fields the
	// request names are set, on the record as stored now. A new address is
	// unverified unless the admin vouches for it in the same request;
	// either way nothing made under the old one carries over.
	now := f.h.Now()
	vouched := req.Verified != nil && *req.Verified
	proofChanged := false
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	nu, err := f.h.Accounts().UpdateUser(ctx, u.ID, func(x *keystore.User) error {
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
		return web.New(http.StatusBadRequest, errcode.UpdateEmailExists, "another account uses this email address")
	case errors.Is(err, keystore.ErrNotFound):
		return web.New(http.StatusNotFound, errcode.UserNotFound, "no such user")
	case err != nil:
		return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "update failed; it may not have been saved, try again shortly")
	}
	if !nu.Active {
		// Also when the user was already inactive: a session created in
		// between must not outlive the decision.
		if _, err := f.sessions.DeleteUserSessions(ctx, nu.ID, nil); err != nil {
			return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "the user is deactivated but their sessions could not be revoked")
		}
	}
	if proofChanged {
		if err := f.h.RevokeUnverifiedCredentials(ctx, nu, now, c); err != nil {
			return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "the user is updated but their earlier sessions, API keys and linked accounts could not all be revoked")
		}
	}
	ev := f.h.Log().Info().Str("audit", "user_updated").Str("user_id", nu.ID).Str("by_user_id", c.User.ID)
	if req.Roles != nil || req.Superuser != nil {
		ev = ev.Bool("roles_changed", true)
	}
	ev.Msg("audit")
	*u = *nu
	return nil
}

// confirm is the check before every admin change: admin c's current
// password, rate limited per admin.
func (f *Feature) confirm(r *http.Request, c *feature.Caller, currentPassword string) error {
	if err := f.h.Rate(r, feature.SlotChangePassword, []string{"user", c.User.ID}); err != nil {
		return err
	}
	return f.h.CheckPassword(r.Context(), c.User, currentPassword, errWrongPassword)
}

// deleteUser deletes user id for admin c after checking c's password.
func (f *Feature) deleteUser(r *http.Request, c *feature.Caller, id, currentPassword string) error {
	if id == c.User.ID {
		return web.New(http.StatusForbidden, errcode.SuperuserCannotDelete, "a superuser cannot delete their own account")
	}
	if err := f.confirm(r, c, currentPassword); err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	switch err := f.users.DeleteUser(ctx, id); {
	case errors.Is(err, keystore.ErrNotFound):
		return web.New(http.StatusNotFound, errcode.UserNotFound, "no such user")
	case err != nil:
		return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "delete failed")
	}
	f.h.Log().Info().Str("audit", "user_deleted").Str("user_id", id).Str("by_user_id", c.User.ID).Msg("audit")
	return nil
}

// clip: view.Clip.
func clip(s string, n int) string { return view.Clip(s, n) }
