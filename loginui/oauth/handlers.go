package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"slices"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// OAuth failures (docs/design.md "Error codes").
var (
	opOAuthState        = web.New(http.StatusBadRequest, errcode.OAuthStateInvalid, "the login attempt expired, was already used or did not start here; please try again")
	opOAuthNoEmail      = web.New(http.StatusBadRequest, errcode.OAuthNotAvailableEmail, "the provider did not share an email address")
	opOAuthNotVerified  = web.New(http.StatusBadRequest, errcode.OAuthEmailNotVerified, "the provider does not vouch for the email address")
	opOAuthUserExists   = web.New(http.StatusBadRequest, errcode.OAuthUserAlreadyExists, "an account with this email address already exists; log in with your password and link the provider from your account page")
	opOAuthLinked       = web.New(http.StatusBadRequest, errcode.OAuthAccountAlreadyLinked, "this provider account is already linked to another user")
	opOAuthProvider     = web.New(http.StatusBadGateway, errcode.AuthenticationFailed, "the login provider could not confirm the login")
	opOAuthUnavailable  = web.New(http.StatusBadRequest, errcode.LoginAccountUnavailable, "this account cannot log in")
	opOAuthRegClosed    = web.New(http.StatusForbidden, errcode.AuthorizationDenied, "new accounts cannot be created here")
	opOAuthNeedPassword = web.New(http.StatusForbidden, errcode.AuthorizationDenied, "linking a provider needs a session opened with your password")
	opOAuthLastMethod   = web.New(http.StatusBadRequest, errcode.AuthorizationDenied, "this is your only way to log in; set a password before unlinking it")
)

// maxCodeLen bounds the authorization code we pass on.
const maxCodeLen = 2048

// oauthCtx is a request context whose HTTP calls to providers use the
// configured client.
func (oa *Feature) oauthCtx(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*oauthHTTPTimout)
	return context.WithValue(ctx, oauth2.HTTPClient, oa.client), cancel
}

// startFlow seals a new flow into the cookie and returns the provider's
// authorization URL.
func (oa *Feature) startFlow(w http.ResponseWriter, r *http.Request, pr *oauthProvider, kind, userID, rd string) (string, *web.Error) {
	cfg, err := oa.oauth2Config(r, pr, kind)
	if err != nil {
		return "", opOAuthProvider
	}
	state, err1 := newState()
	nonce, err2 := newState()
	if err1 != nil || err2 != nil {
		return "", web.Unavailable
	}
	f := &oauthFlow{
		State: state, Verifier: oauth2.GenerateVerifier(), Nonce: nonce, RD: rd,
		Provider: pr.cfg.Name, Kind: kind, UserID: userID, Expires: oa.c.Now().Add(flowLifetime).Unix(),
	}
	v, err := oa.sealFlow(f)
	if err != nil {
		return "", web.Unavailable
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier)}
	if pr.oidc != nil {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", f.Nonce))
	}
	oa.setFlowCookie(w, v)
	return cfg.AuthCodeURL(state, opts...), nil
}

// oauthAuthorize: GET /api/auth/oauth/{provider}/authorize[?rd=] sends the
// browser to the provider.
func (oa *Feature) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	pr := oa.oauthProvider(r.PathValue("provider"))
	if pr == nil {
		web.WriteError(w, http.StatusNotFound, errcode.RequestBodyInvalid, "no such login provider")
		return
	}
	if e := oa.h.Rate(r, feature.SlotLogin, []string{"ip", oa.h.ClientIP(r)}); e != nil {
		oa.oauthFail(w, r, flowLogin, "", web.As(e))
		return
	}
	rd, _ := oa.h.SafeRedirect(r.URL.Query().Get("rd"))
	to, e := oa.startFlow(w, r, pr, flowLogin, "", rd)
	if e != nil {
		oa.oauthFail(w, r, flowLogin, rd, e)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusFound)
}

// finishFlow is the common part of both callbacks: the flow cookie and
// state, the provider's error, the code exchange with the PKCE verifier
// and the identity checks.
func (oa *Feature) finishFlow(w http.ResponseWriter, r *http.Request, pr *oauthProvider, kind string) (*oauthFlow, *oauthIdentity, *oauth2.Token, *web.Error) {
	f, storeErr := oa.takeFlow(w, r, pr.cfg.Name, kind)
	if storeErr {
		return nil, nil, nil, web.Unavailable
	}
	if f == nil {
		oa.h.Log().Info().Str("audit", "oauth_state_invalid").Str("provider", pr.cfg.Name).Msg("audit")
		return nil, nil, nil, opOAuthState
	}
	q := r.URL.Query()
	code := q.Get("code")
	if q.Get("error") != "" || code == "" || len(code) > maxCodeLen {
		return f, nil, nil, opOAuthProvider
	}
	cfg, err := oa.oauth2Config(r, pr, kind)
	if err != nil {
		return f, nil, nil, opOAuthProvider
	}
	ctx, cancel := oa.oauthCtx(r)
	defer cancel()
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		// The error may quote the provider's answer: never log it.
		oa.h.Log().Warn().Str("component", "loginui").Str("provider", pr.cfg.Name).Msg("oauth code exchange failed")
		return f, nil, nil, opOAuthProvider
	}
	id, err := oa.identity(ctx, pr, tok, f.Nonce)
	if err != nil {
		oa.h.Log().Warn().Str("component", "loginui").Str("provider", pr.cfg.Name).Msg("oauth identity not confirmed")
		return f, nil, nil, opOAuthProvider
	}
	return f, id, tok, nil
}

// oauthCallback: GET /api/auth/oauth/{provider}/callback logs the person
// in (or creates or links the account, as configured) and lands on rd or
// the portal home. Failures are shown on the login page.
func (oa *Feature) oauthCallback(w http.ResponseWriter, r *http.Request) {
	pr := oa.oauthProvider(r.PathValue("provider"))
	if pr == nil {
		web.WriteError(w, http.StatusNotFound, errcode.RequestBodyInvalid, "no such login provider")
		return
	}
	if e := oa.h.Rate(r, feature.SlotLogin, []string{"ip", oa.h.ClientIP(r)}); e != nil {
		oa.clearFlowCookie(w)
		oa.oauthFail(w, r, flowLogin, "", web.As(e))
		return
	}
	f, id, tok, e := oa.finishFlow(w, r, pr, flowLogin)
	rd := ""
	if f != nil {
		rd, _ = oa.h.SafeRedirect(f.RD)
	}
	if e != nil {
		oa.oauthFail(w, r, flowLogin, rd, e)
		return
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	u, e := oa.resolveLogin(ctx, pr, id, tok)
	if e != nil {
		oa.oauthFail(w, r, flowLogin, rd, e)
		return
	}
	// The core opens the session (after its second step for users with
	// TOTP on) and lands on rd or the portal home.
	oa.h.FinishLogin(w, r, u, MethodPrefix+pr.cfg.Name, rd)
}

// resolveLogin maps a provider identity to a user: an existing link; else
// the account with the same trusted, verified email when the provider
// associates by email; else a new account when the provider's verified
// email is trusted.
func (oa *Feature) resolveLogin(ctx context.Context, pr *oauthProvider, id *oauthIdentity, tok *oauth2.Token) (*keystore.User, *web.Error) {
	link, err := oa.c.Links.GetOAuthLink(ctx, pr.cfg.Name, id.Subject)
	switch {
	case err == nil:
		u, err := oa.c.Users.GetUser(ctx, link.UserID)
		if errors.Is(err, keystore.ErrNotFound) {
			return nil, opOAuthUnavailable
		}
		if err != nil {
			return nil, web.Unavailable
		}
		if !u.Active {
			return nil, opOAuthUnavailable
		}
		return u, nil
	case !errors.Is(err, keystore.ErrNotFound):
		return nil, web.Unavailable
	}
	if id.Email == "" || !keystore.ValidEmail(id.Email) {
		return nil, opOAuthNoEmail
	}
	if !id.EmailVerified || !pr.cfg.TrustEmailVerified {
		return nil, opOAuthNotVerified
	}
	existing, err := oa.c.Users.GetUserByEmail(ctx, id.Email)
	switch {
	case err == nil:
		// An unverified local account may have been opened by someone
		// else with this address (pre-hijacking): never link to it.
		if !pr.cfg.AssociateByEmail || !existing.Verified {
			return nil, opOAuthUserExists
		}
		if !existing.Active {
			return nil, opOAuthUnavailable
		}
		if e := oa.createLink(ctx, pr, id, tok, existing.ID, nil); e != nil {
			return nil, e
		}
		oa.h.Audit("oauth_linked_by_email", existing.ID)
		return existing, nil
	case !errors.Is(err, keystore.ErrNotFound):
		return nil, web.Unavailable
	}
	if oa.c.RegistrationDisabled {
		return nil, opOAuthRegClosed
	}
	name := ""
	if accounts.ValidDisplayName(id.Name) {
		name = id.Name
	}
	u, err := oa.h.Accounts().AddUser(ctx, accounts.NewUser{Email: id.Email, DisplayName: name, Verified: true})
	if errors.Is(err, accounts.ErrEmailTaken) {
		return nil, opOAuthUserExists
	} else if err != nil {
		return nil, web.Unavailable
	}
	if e := oa.createLink(ctx, pr, id, tok, u.ID, nil); e != nil {
		if err := oa.c.Users.DeleteUser(ctx, u.ID); err != nil {
			oa.h.Log().Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("account without its provider link not removed")
		}
		return nil, e
	}
	oa.h.Audit("oauth_registered", u.ID)
	return u, nil
}

// createLink stores the link of id to userID, with sealed tokens when the
// provider keeps them.
// owner, when set, links id from their account on the strength of their
// verified address (see accounts.Service.CreateOAuthLink).
func (oa *Feature) createLink(ctx context.Context, pr *oauthProvider, id *oauthIdentity, tok *oauth2.Token, userID string, owner *keystore.User) *web.Error {
	at, rt, err := oa.sealTokens(pr, tok)
	if err != nil {
		return web.Unavailable
	}
	email := ""
	if keystore.ValidEmail(id.Email) {
		email = id.Email
	}
	l := &keystore.OAuthLink{Provider: pr.cfg.Name, Subject: id.Subject, UserID: userID, Email: email, AccessToken: at, RefreshToken: rt}
	if e := linkErr(oa.h.Accounts().CreateOAuthLink(ctx, l, owner)); e != nil {
		if e == web.Unavailable && owner != nil {
			oa.h.Log().Warn().Str("component", "loginui").Str("user_id", owner.ID).Str("provider", pr.cfg.Name).Msg("provider link not stored or not removed")
		}
		return e
	}
	return nil
}

// oauthFail shows a failed flow: on the login page for logins, on a
// message page leading back to /account for linking. The error code is
// also sent in the Gatehouse-Error header for scripts and tests.
func (oa *Feature) oauthFail(w http.ResponseWriter, r *http.Request, kind, rd string, e *web.Error) {
	if e.Status == http.StatusServiceUnavailable {
		oa.h.ErrorPage(w, r, web.Unavailable)
		return
	}
	w.Header().Set("Gatehouse-Error", e.Code)
	if kind == flowAssociate {
		oa.h.RenderLink(w, e.Status, "Linking failed", "", e.Detail, "/account", "Back to your account")
		return
	}
	oa.h.RenderLoginError(w, r, rd, e)
}

// associateAuthorize: POST /api/auth/associate/{provider}/authorize links
// a provider to the logged-in user. It needs a browser session opened
// with a password, CSRF and, with TOTP on, step-up. A JSON caller (CSRF
// header) gets {authorization_url}; the /account form (csrf field) is
// redirected to the provider.
func (oa *Feature) associateAuthorize(w http.ResponseWriter, r *http.Request) {
	pr := oa.oauthProvider(r.PathValue("provider"))
	if pr == nil {
		web.WriteError(w, http.StatusNotFound, errcode.RequestBodyInvalid, "no such login provider")
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	form := mt == "application/x-www-form-urlencoded"
	formCSRF := ""
	if form {
		if !web.ParseForm(w, r) {
			web.BadBody.WriteJSON(w)
			return
		}
		formCSRF = r.PostForm.Get(web.CSRFFormField)
	}
	c, err := oa.h.Authenticate(r)
	if err != nil {
		web.As(err).WriteJSON(w)
		return
	}
	if err := oa.h.CheckCSRF(r, c, formCSRF); err != nil {
		web.As(err).WriteJSON(w)
		return
	}
	fail := func(e *web.Error) {
		if form {
			oa.oauthFail(w, r, flowAssociate, "", e)
			return
		}
		e.WriteJSON(w)
	}
	if !c.PasswordSession {
		fail(opOAuthNeedPassword)
		return
	}
	if !c.User.Verified {
		fail(web.EmailUnverified)
		return
	}
	if err := oa.h.StepUp(c); err != nil {
		fail(web.As(err))
		return
	}
	to, e := oa.startFlow(w, r, pr, flowAssociate, c.User.ID, "")
	if e != nil {
		fail(e)
		return
	}
	if form {
		if slices.Contains(oa.formOrigins, urlOrigin(to)) {
			redirect(w, r, to)
			return
		}
		// A redirect after a form post to an origin outside the CSP
		// form-action would be blocked: offer a link instead.
		oa.h.RenderLink(w, http.StatusOK, "Link "+pr.cfg.DisplayName, "", "", to, "Continue to "+pr.cfg.DisplayName)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"authorization_url": to})
}

// associateCallback: GET /api/auth/associate/{provider}/callback links
// the provider identity to the user who started the flow, who must still
// be the one logged in.
func (oa *Feature) associateCallback(w http.ResponseWriter, r *http.Request) {
	pr := oa.oauthProvider(r.PathValue("provider"))
	if pr == nil {
		web.WriteError(w, http.StatusNotFound, errcode.RequestBodyInvalid, "no such login provider")
		return
	}
	c, err := oa.h.CookieCaller(r)
	if err != nil {
		oa.clearFlowCookie(w)
		oa.h.ErrorPage(w, r, err)
		return
	}
	f, id, tok, e := oa.finishFlow(w, r, pr, flowAssociate)
	if e == nil && (c == nil || !c.PasswordSession || !constEq(c.User.ID, f.UserID)) {
		e = opOAuthState
	}
	if e == nil && !c.User.Verified {
		e = web.EmailUnverified
	}
	if e != nil {
		oa.oauthFail(w, r, flowAssociate, "", e)
		return
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	link, err := oa.c.Links.GetOAuthLink(ctx, pr.cfg.Name, id.Subject)
	switch {
	case err == nil && link.UserID == c.User.ID:
		redirect(w, r, "/account?done=linked")
		return
	case err == nil:
		oa.oauthFail(w, r, flowAssociate, "", opOAuthLinked)
		return
	case !errors.Is(err, keystore.ErrNotFound):
		oa.h.ErrorPage(w, r, web.Unavailable)
		return
	}
	if e := oa.createLink(ctx, pr, id, tok, c.User.ID, c.User); e != nil {
		oa.oauthFail(w, r, flowAssociate, "", e)
		return
	}
	oa.h.Log().Info().Str("audit", "oauth_linked").Str("user_id", c.User.ID).Str("provider", pr.cfg.Name).Msg("audit")
	redirect(w, r, "/account?done=linked")
}

// linkErr maps an accounts error of link creation to the answer.
func linkErr(err error) *web.Error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, accounts.ErrEmailUnverified):
		return web.EmailUnverified
	case errors.Is(err, accounts.ErrLinkTaken):
		return opOAuthLinked
	}
	return web.Unavailable
}

func constEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// linkTime formats a link's creation time for the account page.
func linkTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }
