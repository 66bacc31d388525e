package sessions

import (
	"embed"
	"errors"
	"html/template"
	"net/http"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

//go:embed templates/section.html
var templateFS embed.FS

var section = feature.Fragments{FS: templateFS, Files: []string{"templates/section.html"}}

// SectionTitle implements feature.Section.
func (f *Feature) SectionTitle() string { return "Sessions" }

// Framed implements feature.FramedSection: the section brings its own
// <section> element and, wired first, stands first among the framed ones.
func (f *Feature) Framed() {}

// RenderSection lists the caller's sessions with a sign-out form for each
// other one. A store failure fails the whole page (web.Unavailable): the
// account page is never shown without its sessions.
func (f *Feature) RenderSection(r *http.Request, c *feature.Caller, csrf string) (template.HTML, bool, error) {
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	ss, err := f.h.Sessions(ctx, c)
	if err != nil {
		return "", false, web.Unavailable.WithCause(err)
	}
	h, err := section.Execute("sessions_section", struct {
		CSRF     string
		Sessions []feature.SessionView
	}{csrf, ss})
	return h, err == nil, err
}

// Notices implements feature.Notices.
func (f *Feature) Notices() map[string]string {
	return map[string]string{
		"revoked": "The session has been signed out.",
		"others":  "All your other sessions have been signed out.",
	}
}

// pageRevoke: POST /account/sessions/revoke {id}.
func (f *Feature) pageRevoke(w http.ResponseWriter, r *http.Request) error {
	c, csrf, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	switch err := f.h.RevokeSession(ctx, c, r.PostForm.Get("id")); {
	case errors.Is(err, feature.ErrNoSuchSession):
		return f.h.RenderAccount(w, r, c, feature.AccountView{CSRF: csrf, Status: http.StatusNotFound, Error: "No such session."})
	case err != nil:
		return web.Unavailable.WithCause(err)
	}
	redirect(w, r, "/account?done=revoked")
	return nil
}

// pageRevokeOthers: POST /account/sessions/revoke-others.
func (f *Feature) pageRevokeOthers(w http.ResponseWriter, r *http.Request) error {
	c, _, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if _, err := f.h.RevokeOtherSessions(ctx, c); err != nil {
		return web.Unavailable.WithCause(err)
	}
	redirect(w, r, "/account?done=others")
	return nil
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}
