package oauth

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

//go:embed templates/oauth.html
var templateFS embed.FS

var fragments = feature.Fragments{FS: templateFS, Files: []string{"templates/oauth.html"}}

func execute(name string, data any) (template.HTML, error) { return fragments.Execute(name, data) }

// oauthButton is one provider on the login page.
type oauthButton struct {
	Name, DisplayName, URL string
}

// oauthButtons lists the providers for the login page, carrying rd.
func (oa *Feature) oauthButtons(rd string) []oauthButton {
	if !oa.enabled {
		return nil
	}
	out := make([]oauthButton, 0, len(oa.order))
	for _, n := range oa.order {
		u := "/api/auth/oauth/" + n + "/authorize"
		if rd != "" {
			u += "?rd=" + url.QueryEscape(rd)
		}
		out = append(out, oauthButton{Name: n, DisplayName: oa.providers[n].cfg.DisplayName, URL: u})
	}
	return out
}

// LoginSection implements feature.LoginSection: the provider buttons.
func (oa *Feature) LoginSection(rd string) (template.HTML, error) {
	b := oa.oauthButtons(rd)
	if len(b) == 0 {
		return "", nil
	}
	return execute("login_section", struct{ OAuthButtons []oauthButton }{b})
}

// linkView is one linked account on /account.
type linkView struct {
	ID, Provider, DisplayName, Email, Created string
}

// oauthView is the linked-accounts section of /account.
type oauthView struct {
	Links      []linkView
	Linkable   []oauthButton // providers not linked yet
	CanLink    bool          // password session
	Unverified bool          // the email address is not verified: no link forms
	Unavail    bool          // the links could not be read
	HasPasswd  bool
}

// linkPublicID names a link in forms without echoing the subject.
func linkPublicID(provider, subject string) string {
	s := sha256.Sum256([]byte("gatehouse/oauth-link\x00" + provider + "\x00" + subject))
	return hex.EncodeToString(s[:16])
}

// oauthSectionView is nil when OAuth is off.
func (oa *Feature) oauthSectionView(r *http.Request, c *feature.Caller) *oauthView {
	if !oa.enabled {
		return nil
	}
	v := &oauthView{CanLink: c.PasswordSession, Unverified: !c.User.Verified, HasPasswd: c.User.PasswordHash != ""}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	links, err := oa.c.Links.ListUserOAuthLinks(ctx, c.User.ID)
	if err != nil {
		v.Unavail = true
		return v
	}
	linked := map[string]bool{}
	for _, l := range links {
		dn := l.Provider
		if pr := oa.providers[l.Provider]; pr != nil {
			dn = pr.cfg.DisplayName
		}
		linked[l.Provider] = true
		v.Links = append(v.Links, linkView{ID: linkPublicID(l.Provider, l.Subject), Provider: l.Provider, DisplayName: dn, Email: l.Email, Created: linkTime(l.CreatedAt)})
	}
	for _, n := range oa.order {
		if !linked[n] {
			v.Linkable = append(v.Linkable, oauthButton{Name: n, DisplayName: oa.providers[n].cfg.DisplayName, URL: "/api/auth/associate/" + n + "/authorize"})
		}
	}
	return v
}

// SectionTitle implements feature.Section.
func (oa *Feature) SectionTitle() string { return "Linked accounts" }

// Framed implements feature.FramedSection: the section brings its own
// <section id="linked"> element.
func (oa *Feature) Framed() {}

// RenderSection implements feature.Section.
func (oa *Feature) RenderSection(r *http.Request, c *feature.Caller, csrf string) (template.HTML, bool, error) {
	v := oa.oauthSectionView(r, c)
	if v == nil {
		return "", false, nil
	}
	h, err := execute("linked_section", struct {
		CSRF  string
		OAuth *oauthView
	}{csrf, v})
	return h, err == nil, err
}

// pageOAuthUnlink: POST /account/linked/unlink {csrf, id} removes one of
// the caller's links, unless it is the last way into an account without
// a password.
func (oa *Feature) pageOAuthUnlink(w http.ResponseWriter, r *http.Request) error {
	if !oa.enabled {
		http.NotFound(w, r)
		return nil
	}
	c, csrf, ok := oa.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	links, err := oa.c.Links.ListUserOAuthLinks(ctx, c.User.ID)
	if err != nil {
		return web.Unavailable
	}
	want := r.PostForm.Get("id")
	var target *keystore.OAuthLink
	for _, l := range links {
		if len(want) == 32 && constEq(linkPublicID(l.Provider, l.Subject), want) {
			target = l
		}
	}
	if target == nil {
		return oa.h.RenderAccount(w, r, c, feature.AccountView{CSRF: csrf, Status: http.StatusNotFound, Error: "That linked account was not found."})
	}
	if c.User.PasswordHash == "" && len(links) <= 1 {
		return oa.h.RenderAccount(w, r, c, feature.AccountView{CSRF: csrf, Status: opOAuthLastMethod.Status, Error: opOAuthLastMethod.Detail})
	}
	if err := oa.c.Links.DeleteOAuthLink(ctx, target.Provider, target.Subject); err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return web.Unavailable
	}
	oa.h.Log().Info().Str("audit", "oauth_unlinked").Str("user_id", c.User.ID).Str("provider", target.Provider).Msg("audit")
	redirect(w, r, "/account?done=unlinked")
	return nil
}
