package adminui

import (
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/view"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The /admin pages: the user list (with search), a user's page, and its
// save and delete forms. Each passes Host.PageCaller (login redirect,
// CSRF on POST) and then Host.AdminGate.

//go:embed templates/*.html
var templateFS embed.FS

// page is what the admin templates see; it carries the fields the shared
// layout reads.
type page struct {
	Title            string
	CSRF             string
	Error            string
	Notice           string
	User             *keystore.User
	RegistrationOpen bool
	Users            []view.User            // admin.html
	Query            string                 // admin.html
	Target           view.User              // admin_user.html
	Self             bool                   // admin_user.html: the admin's own account
	Passkeys         []accounts.PasskeyView // admin_user.html
}

// render writes t with status. Pages are never cached.
func (f *Feature) render(w http.ResponseWriter, t *template.Template, name string, status int, d *page) {
	d.RegistrationOpen = f.h.RegistrationOpen()
	if err := web.WritePage(w, t, status, d); err != nil {
		f.h.Log().Error().Str("component", "loginui").Str("page", name).Msg("page rendering failed")
	}
}

// adminPage admits a superuser page session; ok=false: answered, or err
// to answer.
func (f *Feature) adminPage(w http.ResponseWriter, r *http.Request, path string) (*page, *feature.Caller, bool, error) {
	if f.tmplErr != nil {
		return nil, nil, false, web.Unavailable.WithCause(f.tmplErr)
	}
	c, csrf, ok := f.h.PageCaller(w, r, path)
	if !ok {
		return nil, nil, false, nil
	}
	if err := f.h.AdminGate(c); err != nil {
		e := web.As(err)
		f.h.RenderMessage(w, e.Status, "Administration", "", e.Detail)
		return nil, nil, false, nil
	}
	return &page{Title: "Users", CSRF: csrf, User: c.User}, c, true, nil
}

// load loads the {id} user for an admin page; ok=false: answered.
func (f *Feature) load(w http.ResponseWriter, r *http.Request) (*keystore.User, bool) {
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	u, err := f.users.GetUser(ctx, r.PathValue("id"))
	if err == nil {
		return u, true
	}
	if errors.Is(err, keystore.ErrNotFound) {
		f.h.RenderMessage(w, http.StatusNotFound, "Users", "", "No such user.")
	} else {
		f.h.ErrorPage(w, r, web.Unavailable)
	}
	return nil, false
}

// pageList: GET /admin?q=.
func (f *Feature) pageList(w http.ResponseWriter, r *http.Request) error {
	d, _, ok, err := f.adminPage(w, r, "/admin")
	if !ok {
		return err
	}
	d.Query = clip(r.URL.Query().Get("q"), keystore.MaxEmailLen)
	us, err := f.listUsers(r, d.Query, 0, maxListUsers)
	if err != nil {
		return web.Unavailable
	}
	for _, u := range us {
		d.Users = append(d.Users, view.Of(u))
	}
	d.Notice = adminNotices[r.URL.Query().Get("done")]
	f.render(w, f.listTmpl, "admin", http.StatusOK, d)
	return nil
}

// pageUser: GET /admin/users/{id}.
func (f *Feature) pageUser(w http.ResponseWriter, r *http.Request) error {
	d, c, ok, err := f.adminPage(w, r, "/admin/users/"+r.PathValue("id"))
	if !ok {
		return err
	}
	u, ok := f.load(w, r)
	if !ok {
		return nil
	}
	ps, err := f.listPasskeys(r, u)
	if err != nil {
		return err
	}
	d.Title, d.Target, d.Self, d.Passkeys = "User", view.Of(u), u.ID == c.User.ID, ps
	d.Notice = adminNotices[r.URL.Query().Get("done")]
	f.render(w, f.userTmpl, "admin_user", http.StatusOK, d)
	return nil
}

// renderFailure shows the user page again with the failure of a form.
func (f *Feature) renderFailure(w http.ResponseWriter, r *http.Request, d *page, c *feature.Caller, u *keystore.User, err error) {
	e := web.As(err)
	d.Title, d.Target, d.Self, d.Error = "User", view.Of(u), u.ID == c.User.ID, e.Detail
	// The list is shown again when it can be read; the failure is the
	// page's message either way.
	d.Passkeys, _ = f.listPasskeys(r, u)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	f.render(w, f.userTmpl, "admin_user", e.Status, d)
}

// pageUserPost: POST /admin/users/{id} (roles and flags).
func (f *Feature) pageUserPost(w http.ResponseWriter, r *http.Request) error {
	return f.pageUserForm(w, r, func(c *feature.Caller, u *keystore.User) (string, error) {
		fv := r.PostForm
		roles := []string{}
		for _, s := range strings.Split(fv.Get("roles"), ",") {
			if s = strings.TrimSpace(s); s != "" {
				roles = append(roles, s)
			}
		}
		active, verified, super := fv.Get("active") == "1", fv.Get("verified") == "1", fv.Get("superuser") == "1"
		req := patch{CurrentPassword: fv.Get("current_password"), Roles: &roles, Active: &active, Verified: &verified, Superuser: &super}
		return "/admin?done=saved", f.update(r, c, u, req)
	})
}

// pageUserDelete: POST /admin/users/{id}/delete.
func (f *Feature) pageUserDelete(w http.ResponseWriter, r *http.Request) error {
	return f.pageUserForm(w, r, func(c *feature.Caller, u *keystore.User) (string, error) {
		return "/admin?done=deleted", f.deleteUser(r, c, u.ID, r.PostForm.Get("current_password"))
	})
}

// pageUserForm answers a form of the {id} user's page: the admin gate
// (CSRF included), the user, then do, which returns where to go on
// success; a failure shows the user page again with it.
func (f *Feature) pageUserForm(w http.ResponseWriter, r *http.Request, do func(c *feature.Caller, u *keystore.User) (string, error)) error {
	d, c, ok, err := f.adminPage(w, r, "/admin")
	if !ok {
		return err
	}
	u, ok := f.load(w, r)
	if !ok {
		return nil
	}
	to, err := do(c, u)
	if err != nil {
		f.renderFailure(w, r, d, c, u, err)
		return nil
	}
	redirect(w, r, to)
	return nil
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}
