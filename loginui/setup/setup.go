package setup

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/view"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
)

// Slot is the rate-limit slot of setup submissions.
const Slot = "setup"

// Config is what the setup feature needs besides Host.
type Config struct {
	Token                          string    // "" disables setup
	Expires                        time.Time // zero: never
	PasswordMinLen, PasswordMaxLen int
	Users                          keystore.Users
	Markers                        keystore.Markers
	// MarkerKey is the marker's key part for a token (not the token).
	MarkerKey func(tok string) string
	// OpenSession opens a password session for the new administrator
	// and sets its cookie on w.
	OpenSession func(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User) error
}

// Feature is the setup page.
type Feature struct {
	c     Config
	h     feature.Host
	pages feature.Forms
}

// New returns the setup feature.
func New(c Config) *Feature {
	return &Feature{c: c, pages: feature.Forms{Pages: feature.Pages{FS: templateFS, Names: []string{"setup", "message"}},
		MinLen: c.PasswordMinLen, MaxLen: c.PasswordMaxLen}}
}

var _ feature.Feature = (*Feature)(nil)

// Register adds GET and POST /setup.
func (f *Feature) Register(r feature.Router, h feature.Host) {
	f.h = h
	r.Page("GET /setup", f.pageSetup)
	r.Page("POST /setup", f.pageSetupPost)
}

//go:embed templates/*.html
var templateFS embed.FS

// pageData is what the setup and message templates see.
type pageData struct {
	feature.Form
	Email, Token   string
	Link, LinkText string
}

func (f *Feature) unavailable(w http.ResponseWriter) {
	f.h.RenderMessage(w, http.StatusNotFound, "Setup", "", "Setup is not available: the link is invalid, expired or already used.")
}

// usable reports whether tok opens the first-start setup: setup is
// enabled, tok matches (constant time), it has not expired and no
// superuser exists yet. ok=false with err: a store failure.
func (f *Feature) usable(r *http.Request, tok string) (bool, error) {
	if f.c.Token == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(f.c.Token)) != 1 {
		return false, nil
	}
	if !f.c.Expires.IsZero() && !f.h.Now().Before(f.c.Expires) {
		return false, nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	us, err := f.c.Users.ListUsers(ctx, 0, 0)
	if err != nil {
		return false, err
	}
	for _, u := range us {
		if u.Superuser {
			return false, nil
		}
	}
	return true, nil
}

// pageSetup: GET /setup?token=...
func (f *Feature) pageSetup(w http.ResponseWriter, r *http.Request) error {
	tok := r.URL.Query().Get("token")
	ok, err := f.usable(r, tok)
	if err != nil {
		return web.Unavailable
	}
	if !ok {
		f.unavailable(w)
		return nil
	}
	pf, err := f.h.PublicForm(w, r)
	if err != nil {
		return err
	}
	d := &pageData{Form: feature.Form{Shell: feature.Shell{Title: title, CSRF: pf.CSRF, User: pf.User}}, Token: tok}
	f.pages.Render(f.h, w, http.StatusOK, "setup", d)
	return nil
}

const title = "Create the administrator"

// pageSetupPost: POST /setup.
func (f *Feature) pageSetupPost(w http.ResponseWriter, r *http.Request) error {
	if !web.ParseForm(w, r) {
		f.h.RenderMessage(w, http.StatusBadRequest, title, "", "The form could not be read.")
		return nil
	}
	pf, err := f.h.PublicForm(w, r)
	if err != nil {
		f.h.ErrorPage(w, r, err)
		return nil
	}
	d := &pageData{Form: feature.Form{Shell: feature.Shell{Title: title, CSRF: pf.CSRF, User: pf.User}}}
	if !pf.CSRFOK {
		// d.CSRF is a valid token for a fresh attempt.
		d.Error = "This form has expired. Please submit it again."
		f.pages.Render(f.h, w, http.StatusForbidden, "setup", d)
		return nil
	}
	fv := r.PostForm
	if err := f.h.Rate(r, Slot, []string{"ip", f.h.ClientIP(r)}); err != nil {
		f.pages.RenderError(f.h, w, web.As(err), "message", d)
		return nil
	}
	tok := fv.Get("token")
	usable, err := f.usable(r, tok)
	if err != nil {
		return web.Unavailable
	}
	if !usable {
		f.unavailable(w)
		return nil
	}
	d.Token, d.Email = tok, view.Clip(fv.Get("email"), keystore.MaxEmailLen)
	email, pw := strings.TrimSpace(fv.Get("email")), fv.Get("password")
	svc := f.h.Accounts()
	nu := accounts.NewUser{Email: email, Password: pw, Roles: []string{"admin"}, Superuser: true, Verified: true}
	if err := svc.CheckNewUser(nu); errors.Is(err, accounts.ErrInvalidEmail) {
		d.Error = "The email address is not valid."
		f.pages.Render(f.h, w, http.StatusBadRequest, "setup", d)
		return nil
	} else if err != nil {
		d.Error = "The account could not be created from these details."
		if svc.CheckPassword(pw) != nil {
			d.Error = "the password must be " + strconv.Itoa(f.c.PasswordMinLen) + " to " + strconv.Itoa(f.c.PasswordMaxLen) + " characters long"
		}
		f.pages.Render(f.h, w, http.StatusBadRequest, "setup", d)
		return nil
	}
	hash, err := svc.HashPassword(r.Context(), pw)
	if errors.Is(err, signing.ErrHashBusy) {
		f.pages.RenderError(f.h, w, web.Busy, "setup", d)
		return nil
	}
	if err != nil {
		return web.Unavailable
	}
	nu.Password, nu.PasswordHash = "", hash
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	switch _, err := f.c.Users.GetUserByEmail(ctx, email); {
	case err == nil:
		d.Error = "An account already uses this email address; use another."
		f.pages.Render(f.h, w, http.StatusBadRequest, "setup", d)
		return nil
	case !errors.Is(err, keystore.ErrNotFound):
		return web.Unavailable
	}
	// Single use: the marker makes concurrent submissions race to one winner.
	won, err := f.c.Markers.SetIfAbsent(ctx, "setup:"+f.c.MarkerKey(tok), 365*24*time.Hour)
	if err != nil {
		return web.Unavailable
	}
	if !won {
		f.unavailable(w)
		return nil
	}
	u, err := svc.AddUser(ctx, nu)
	if err != nil {
		if errors.Is(err, accounts.ErrEmailTaken) {
			d.Error = "An account already uses this email address; use another."
			f.pages.Render(f.h, w, http.StatusBadRequest, "setup", d)
			return nil
		}
		return web.Unavailable
	}
	f.h.Log().Info().Str("audit", "user_created").Str("user_id", u.ID).Bool("superuser", true).Str("via", "setup").Msg("audit")
	if err := f.c.OpenSession(ctx, w, r, u); err != nil {
		return web.Unavailable
	}
	f.h.Audit("login_ok", u.ID)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/account?done=setup", http.StatusSeeOther)
	return nil
}
