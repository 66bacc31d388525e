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
	feature.Form
	Email       string
	DisplayName string
	Token       string
}

var pageFiles = []string{"register", "forgot", "reset", "verify"}

func newPageData(title string, pf feature.PublicForm) *pageData {
	return &pageData{Form: feature.Form{Shell: feature.Shell{Title: title, CSRF: pf.CSRF, User: pf.User}}}
}

// formPage prepares a public form.
func (f *Feature) formPage(w http.ResponseWriter, r *http.Request, title string) (*pageData, error) {
	pf, err := f.h.PublicForm(w, r)
	if err != nil {
		return nil, err
	}
	return newPageData(title, pf), nil
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
	d := newPageData(title, pf)
	if !pf.CSRFOK {
		// d.CSRF is a valid token for a fresh attempt.
		d.Error = "This form has expired. Please submit it again."
		f.pages.Render(f.h, w, http.StatusForbidden, name, d)
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
	f.pages.Render(f.h, w, http.StatusOK, "register", d)
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
		f.pages.RenderError(f.h, w, web.As(err), "register", d)
		return nil
	}
	if e := f.register(r, registerRequest{Email: fm.Get("email"), Password: fm.Get("password"), DisplayName: fm.Get("display_name")}); e != nil {
		f.pages.RenderError(f.h, w, e, "register", d)
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
	f.pages.Render(f.h, w, http.StatusOK, "forgot", d)
	return nil
}

func (f *Feature) pageForgotPost(w http.ResponseWriter, r *http.Request) error {
	d, ok := f.formPost(w, r, "forgot", "Forgot your password?")
	if !ok {
		return nil
	}
	email := r.PostForm.Get("email")
	if err := f.h.Rate(r, SlotForgotPassword, []string{"ip", f.h.ClientIP(r)}, []string{"email", keystore.FoldEmail(email)}); err != nil {
		f.pages.RenderError(f.h, w, web.As(err), "forgot", d)
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
	f.pages.Render(f.h, w, http.StatusOK, "reset", d)
	return nil
}

func (f *Feature) pageResetPost(w http.ResponseWriter, r *http.Request) error {
	d, ok := f.formPost(w, r, "reset", "Choose a new password")
	if !ok {
		return nil
	}
	d.Token = clip(r.PostForm.Get("token"), 4096)
	if err := f.h.Rate(r, SlotResetPassword, []string{"ip", f.h.ClientIP(r)}); err != nil {
		f.pages.RenderError(f.h, w, web.As(err), "reset", d)
		return nil
	}
	if e := f.resetPassword(r, r.PostForm.Get("token"), r.PostForm.Get("password")); e != nil {
		f.pages.RenderError(f.h, w, e, "reset", d)
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
	f.pages.Render(f.h, w, http.StatusOK, "verify", d)
	return nil
}

func (f *Feature) pageVerifyPost(w http.ResponseWriter, r *http.Request) error {
	d, ok := f.formPost(w, r, "verify", "Confirm your email address")
	if !ok {
		return nil
	}
	d.Token = clip(r.PostForm.Get("token"), 4096)
	if err := f.h.Rate(r, SlotVerifyToken, []string{"ip", f.h.ClientIP(r)}); err != nil {
		f.pages.RenderError(f.h, w, web.As(err), "verify", d)
		return nil
	}
	if e := f.verifyEmail(r, r.PostForm.Get("token")); e != nil {
		f.pages.RenderError(f.h, w, e, "verify", d)
		return nil
	}
	f.h.RenderLink(w, http.StatusOK, "Email address confirmed", "Your email address is confirmed.", "", "/login", "Continue to log in")
	return nil
}
