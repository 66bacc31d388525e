package signup

import (
	"embed"
	"net/http"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/view"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The public forms: /register, /forgot-password, /reset-password and
// /verify, rendered in the portal's page shell.

//go:embed templates/*.html
var templateFS embed.FS

// pageData is what the feature's templates (and the shell) see.
type pageData struct {
	Title            string
	CSRF             string
	Error            string
	Notice           string
	User             *keystore.User
	RegistrationOpen bool
	Email            string
	DisplayName      string
	Token            string
	MinLen, MaxLen   int
}

var pageFiles = []string{"register", "forgot", "reset", "verify"}

// render writes page name with status. Pages are never cached.
func (f *Feature) render(w http.ResponseWriter, status int, name string, d *pageData) {
	d.RegistrationOpen = f.h.RegistrationOpen()
	d.MinLen, d.MaxLen = f.c.PasswordMinLen, f.c.PasswordMaxLen
	f.pages.Render(f.h, w, status, name, d)
}

// renderOp renders an operation failure on page name.
func (f *Feature) renderOp(w http.ResponseWriter, e *web.Error, name string, d *pageData) {
	feature.RetryAfter(w, e)
	d.Error = e.Detail
	f.render(w, e.Status, name, d)
}

// formPage prepares a public form.
func (f *Feature) formPage(w http.ResponseWriter, r *http.Request, title string) (*pageData, error) {
	pf, err := f.h.PublicForm(w, r)
	if err != nil {
		return nil, err
	}
	return &pageData{Title: title, CSRF: pf.CSRF, User: pf.User}, nil
}

// formPost parses a form post and checks its CSRF token; it answers and
// returns ok=false on failure.
func (f *Feature) formPost(w http.ResponseWriter, r *http.Request, name, title string) (*pageData, bool) {
	if !web.ParseForm(w, r) {
		f.h.RenderMessage(w, http.StatusBadRequest, title, "", "The form could not be read.")
		return nil, false
	}
	pf, err := f.h.PublicForm(w, r)
	if err != nil {
		f.h.ErrorPage(w, r, err)
		return nil, false
	}
	d := &pageData{Title: title, CSRF: pf.CSRF, User: pf.User}
	if !pf.CSRFOK {
		// d.CSRF is a valid token for a fresh attempt.
		d.Error = "This form has expired. Please submit it again."
		f.render(w, http.StatusForbidden, name, d)
		return nil, false
	}
	return d, true
}

// clip: view.Clip.
func clip(s string, n int) string { return view.Clip(s, n) }

func (f *Feature) pageRegister(w http.ResponseWriter, r *http.Request) error {
	if !f.h.RegistrationOpen() {
		f.h.RenderMessage(w, http.StatusForbidden, "Register", "", "Registration is disabled.")
		return nil
	}
	d, err := f.formPage(w, r, "Create an account")
	if err != nil {
		return err
	}
	f.render(w, http.StatusOK, "register", d)
	return nil
}

func (f *Feature) pageRegisterPost(w http.ResponseWriter, r *http.Request) error {
	if !f.h.RegistrationOpen() {
		f.h.RenderMessage(w, http.StatusForbidden, "Register", "", "Registration is disabled.")
		return nil
	}
	d, ok := f.formPost(w, r, "register", "Create an account")
	if !ok {
		return nil
	}
	fm := r.PostForm
	d.Email, d.DisplayName = clip(fm.Get("email"), keystore.MaxEmailLen), clip(fm.Get("display_name"), 4*accounts.MaxDisplayNameLen)
	if err := f.h.Rate(r, SlotRegister, []string{"ip", f.h.ClientIP(r)}); err != nil {
		f.renderOp(w, web.As(err), "register", d)
		return nil
	}
	if e := f.register(r, registerRequest{Email: fm.Get("email"), Password: fm.Get("password"), DisplayName: fm.Get("display_name")}); e != nil {
		f.renderOp(w, e, "register", d)
		return nil
	}
	f.h.RenderMessage(w, http.StatusAccepted, "Check your inbox", answerRegistered["detail"], "")
	return nil
}

func (f *Feature) pageForgot(w http.ResponseWriter, r *http.Request) error {
	d, err := f.formPage(w, r, "Forgot your password?")
	if err != nil {
		return err
	}
	f.render(w, http.StatusOK, "forgot", d)
	return nil
}

func (f *Feature) pageForgotPost(w http.ResponseWriter, r *http.Request) error {
	d, ok := f.formPost(w, r, "forgot", "Forgot your password?")
	if !ok {
		return nil
	}
	email := r.PostForm.Get("email")
	if err := f.h.Rate(r, SlotForgotPassword, []string{"ip", f.h.ClientIP(r)}, []string{"email", keystore.FoldEmail(email)}); err != nil {
		f.renderOp(w, web.As(err), "forgot", d)
		return nil
	}
	f.forgotPassword(r, email)
	f.h.RenderMessage(w, http.StatusAccepted, "Check your inbox", answerMailSent["detail"], "")
	return nil
}

func (f *Feature) pageReset(w http.ResponseWriter, r *http.Request) error {
	d, err := f.formPage(w, r, "Choose a new password")
	if err != nil {
		return err
	}
	d.Token = clip(r.URL.Query().Get("token"), 4096)
	f.render(w, http.StatusOK, "reset", d)
	return nil
}

func (f *Feature) pageResetPost(w http.ResponseWriter, r *http.Request) error {
	d, ok := f.formPost(w, r, "reset", "Choose a new password")
	if !ok {
		return nil
	}
	d.Token = clip(r.PostForm.Get("token"), 4096)
	if err := f.h.Rate(r, SlotResetPassword, []string{"ip", f.h.ClientIP(r)}); err != nil {
		f.renderOp(w, web.As(err), "reset", d)
		return nil
	}
	if e := f.resetPassword(r, r.PostForm.Get("token"), r.PostForm.Get("password")); e != nil {
		f.renderOp(w, e, "reset", d)
		return nil
	}
	f.h.RenderMessage(w, http.StatusOK, "Password reset", "Your password has been reset. You can now log in.", "")
	return nil
}

func (f *Feature) pageVerify(w http.ResponseWriter, r *http.Request) error {
	d, err := f.formPage(w, r, "Confirm your email address")
	if err != nil {
		return err
	}
	d.Token = clip(r.URL.Query().Get("token"), 4096)
	f.render(w, http.StatusOK, "verify", d)
	return nil
}

func (f *Feature) pageVerifyPost(w http.ResponseWriter, r *http.Request) error {
	d, ok := f.formPost(w, r, "verify", "Confirm your email address")
	if !ok {
		return nil
	}
	d.Token = clip(r.PostForm.Get("token"), 4096)
	if err := f.h.Rate(r, SlotVerifyToken, []string{"ip", f.h.ClientIP(r)}); err != nil {
		f.renderOp(w, web.As(err), "verify", d)
		return nil
	}
	if e := f.verifyEmail(r, r.PostForm.Get("token")); e != nil {
		f.renderOp(w, e, "verify", d)
		return nil
	}
	f.h.RenderLink(w, http.StatusOK, "Email address confirmed", "Your email address is confirmed.", "", "/login", "Continue to log in")
	return nil
}
