package loginui

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/keystore"
)

func init() {
	notices["linked"] = "The provider account has been linked."
	notices["unlinked"] = "The provider account has been unlinked."
}

// oauthButton is one provider on the login page.
type oauthButton struct {
	Name, DisplayName, URL string
}

// oauthButtons lists the providers for the login page, carrying rd.
func (p *Portal) oauthButtons(rd string) []oauthButton {
	if !p.oauth.enabled {
		return nil
	}
	out := make([]oauthButton, 0, len(p.oauth.order))
	for _, n := range p.oauth.order {
		u := "/api/auth/oauth/" + n + "/authorize"
		if rd != "" {
			u += "?rd=" + url.QueryEscape(rd)
		}
		out = append(out, oauthButton{Name: n, DisplayName: p.oauth.providers[n].cfg.DisplayName, URL: u})
	}
	return out
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
func (p *Portal) oauthSectionView(r *http.Request, c *caller) *oauthView {
	if !p.oauth.enabled {
		return nil
	}
	v := &oauthView{CanLink: c.passwordSession(), Unverified: !c.user.Verified, HasPasswd: c.user.PasswordHash != ""}
	ctx, cancel := storeCtx(r)
	defer cancel()
	links, err := p.o.Links.ListUserOAuthLinks(ctx, c.user.ID)
	if err != nil {
		v.Unavail = true
		return v
	}
	linked := map[string]bool{}
	for _, l := range links {
		dn := l.Provider
		if pr := p.oauth.providers[l.Provider]; pr != nil {
			dn = pr.cfg.DisplayName
		}
		linked[l.Provider] = true
		v.Links = append(v.Links, linkView{ID: linkPublicID(l.Provider, l.Subject), Provider: l.Provider, DisplayName: dn, Email: l.Email, Created: linkTime(l.CreatedAt)})
	}
	for _, n := range p.oauth.order {
		if !linked[n] {
			v.Linkable = append(v.Linkable, oauthButton{Name: n, DisplayName: p.oauth.providers[n].cfg.DisplayName, URL: "/api/auth/associate/" + n + "/authorize"})
		}
	}
	return v
}

// pageOAuthUnlink: POST /account/linked/unlink {csrf, id} removes one of
// the caller's links, unless it is the last way into an account without
// a password.
func (p *Portal) pageOAuthUnlink(w http.ResponseWriter, r *http.Request) error {
	if !p.oauth.enabled {
		http.NotFound(w, r)
		return nil
	}
	d, c, ok := p.pageAuth(w, r, "/account")
	if !ok {
		return nil
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	links, err := p.o.Links.ListUserOAuthLinks(ctx, c.user.ID)
	if err != nil {
		return opStore
	}
	want := r.PostForm.Get("id")
	var target *keystore.OAuthLink
	for _, l := range links {
		if len(want) == 32 && constEq(linkPublicID(l.Provider, l.Subject), want) {
			target = l
		}
	}
	if target == nil {
		d.Error = "That linked account was not found."
		return p.renderAccount(w, r, c, d, http.StatusNotFound)
	}
	if c.user.PasswordHash == "" && len(links) <= 1 {
		d.Error = opOAuthLastMethod.Detail
		return p.renderAccount(w, r, c, d, opOAuthLastMethod.Status)
	}
	if err := p.o.Links.DeleteOAuthLink(ctx, target.Provider, target.Subject); err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return opStore
	}
	p.log.Info().Str("audit", "oauth_unlinked").Str("user_id", c.user.ID).Str("provider", target.Provider).Msg("audit")
	redirect(w, r, "/account?done=unlinked")
	return nil
}
