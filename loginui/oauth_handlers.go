package loginui

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"slices"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
)

// OAuth failures (SPEC §3.5).
var (
	opOAuthState        = newOpErr(http.StatusBadRequest, CodeOAuthStateInvalid, "the login attempt expired, was already used or did not start here; please try again")
	opOAuthNoEmail      = newOpErr(http.StatusBadRequest, CodeOAuthNotAvailableEmail, "the provider did not share an email address")
	opOAuthNotVerified  = newOpErr(http.StatusBadRequest, CodeOAuthEmailNotVerified, "the provider does not vouch for the email address")
	opOAuthUserExists   = newOpErr(http.StatusBadRequest, CodeOAuthUserAlreadyExists, "an account with this email address already exists; log in with your password and link the provider from your account page")
	opOAuthLinked       = newOpErr(http.StatusBadRequest, CodeOAuthAccountAlreadyLinked, "this provider account is already linked to another user")
	opOAuthProvider     = newOpErr(http.StatusBadGateway, CodeAuthenticationFailed, "the login provider could not confirm the login")
	opOAuthUnavailable  = newOpErr(http.StatusBadRequest, CodeLoginAccountUnavailable, "this account cannot log in")
	opOAuthRegClosed    = newOpErr(http.StatusForbidden, CodeAuthorizationDenied, "new accounts cannot be created here")
	opOAuthNeedPassword = newOpErr(http.StatusForbidden, CodeAuthorizationDenied, "linking a provider needs a session opened with your password")
	opOAuthLastMethod   = newOpErr(http.StatusBadRequest, CodeAuthorizationDenied, "this is your only way to log in; set a password before unlinking it")
)

// maxCodeLen bounds the authorization code we pass on.
const maxCodeLen = 2048

// oauthCtx is a request context whose HTTP calls to providers use the
// configured client.
func (p *Portal) oauthCtx(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*oauthHTTPTimout)
	return context.WithValue(ctx, oauth2.HTTPClient, p.oauth.client), cancel
}

// startFlow seals a new flow into the cookie and returns the provider's
// authorization URL.
func (p *Portal) startFlow(w http.ResponseWriter, r *http.Request, pr *oauthProvider, kind, userID, rd string) (string, *opErr) {
	cfg, err := p.oauth2Config(r, pr, kind)
	if err != nil {
		return "", opOAuthProvider
	}
	state, err1 := newState()
	nonce, err2 := newState()
	if err1 != nil || err2 != nil {
		return "", opStore
	}
	f := &oauthFlow{
		State: state, Verifier: oauth2.GenerateVerifier(), Nonce: nonce, RD: rd,
		Provider: pr.cfg.Name, Kind: kind, UserID: userID, Expires: p.o.Now().Add(flowLifetime).Unix(),
	}
	v, err := p.sealFlow(f)
	if err != nil {
		return "", opStore
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier)}
	if pr.oidc != nil {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", f.Nonce))
	}
	p.setFlowCookie(w, v)
	return cfg.AuthCodeURL(state, opts...), nil
}

// oauthAuthorize: GET /api/auth/oauth/{provider}/authorize[?rd=] sends the
// browser to the provider.
func (p *Portal) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	pr := p.oauthProvider(r.PathValue("provider"))
	if pr == nil {
		writeError(w, http.StatusNotFound, CodeRequestBodyInvalid, "no such login provider")
		return
	}
	if e := p.rate(r, SlotLogin, []string{"ip", p.clientIP(r)}); e != nil {
		p.oauthFail(w, r, flowLogin, "", e)
		return
	}
	rd, _ := p.safeRedirect(r.URL.Query().Get("rd"))
	to, e := p.startFlow(w, r, pr, flowLogin, "", rd)
	if e != nil {
		p.oauthFail(w, r, flowLogin, rd, e)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusFound)
}

// finishFlow is the common part of both callbacks: the flow cookie and
// state, the provider's error, the code exchange with the PKCE verifier
// and the identity checks.
func (p *Portal) finishFlow(w http.ResponseWriter, r *http.Request, pr *oauthProvider, kind string) (*oauthFlow, *oauthIdentity, *oauth2.Token, *opErr) {
	f, storeErr := p.takeFlow(w, r, pr.cfg.Name, kind)
	if storeErr {
		return nil, nil, nil, opStore
	}
	if f == nil {
		p.log.Info().Str("audit", "oauth_state_invalid").Str("provider", pr.cfg.Name).Msg("audit")
		return nil, nil, nil, opOAuthState
	}
	q := r.URL.Query()
	code := q.Get("code")
	if q.Get("error") != "" || code == "" || len(code) > maxCodeLen {
		return f, nil, nil, opOAuthProvider
	}
	cfg, err := p.oauth2Config(r, pr, kind)
	if err != nil {
		return f, nil, nil, opOAuthProvider
	}
	ctx, cancel := p.oauthCtx(r)
	defer cancel()
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		// The error may quote the provider's answer: never log it.
		p.log.Warn().Str("component", "loginui").Str("provider", pr.cfg.Name).Msg("oauth code exchange failed")
		return f, nil, nil, opOAuthProvider
	}
	id, err := p.identity(ctx, pr, tok, f.Nonce)
	if err != nil {
		p.log.Warn().Str("component", "loginui").Str("provider", pr.cfg.Name).Msg("oauth identity not confirmed")
		return f, nil, nil, opOAuthProvider
	}
	return f, id, tok, nil
}

// oauthCallback: GET /api/auth/oauth/{provider}/callback logs the person
// in (or creates or links the account, as configured) and lands on rd or
// the portal home. Failures are shown on the login page.
func (p *Portal) oauthCallback(w http.ResponseWriter, r *http.Request) {
	pr := p.oauthProvider(r.PathValue("provider"))
	if pr == nil {
		writeError(w, http.StatusNotFound, CodeRequestBodyInvalid, "no such login provider")
		return
	}
	if e := p.rate(r, SlotLogin, []string{"ip", p.clientIP(r)}); e != nil {
		p.clearFlowCookie(w)
		p.oauthFail(w, r, flowLogin, "", e)
		return
	}
	f, id, tok, e := p.finishFlow(w, r, pr, flowLogin)
	rd := ""
	if f != nil {
		rd, _ = p.safeRedirect(f.RD)
	}
	if e != nil {
		p.oauthFail(w, r, flowLogin, rd, e)
		return
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	u, e := p.resolveLogin(ctx, pr, id, tok)
	if e != nil {
		p.oauthFail(w, r, flowLogin, rd, e)
		return
	}
	if u.TOTPEnabled {
		if err := p.pageTOTPRequired(w, r, u, rd, methodOAuthPrefix+pr.cfg.Name); err != nil {
			p.errorPage(w, r, err)
		}
		return
	}
	if p.o.SecondStep != nil && p.o.SecondStep(w, r, u) {
		return
	}
	if _, err := p.createSession(ctx, w, r, u, methodOAuthPrefix+pr.cfg.Name); err != nil {
		p.renderStoreError(w)
		return
	}
	p.log.Info().Str("audit", "login_ok").Str("user_id", u.ID).Str("provider", pr.cfg.Name).Msg("audit")
	if rd != "" {
		redirect(w, r, rd)
		return
	}
	redirect(w, r, p.home())
}

// methodOAuthPrefix starts the AuthMethod of an OAuth session.
const methodOAuthPrefix = "oauth:"

// resolveLogin maps a provider identity to a user: an existing link; else
// the account with the same trusted, verified email when the provider
// associates by email; else a new account when the provider's verified
// email is trusted.
func (p *Portal) resolveLogin(ctx context.Context, pr *oauthProvider, id *oauthIdentity, tok *oauth2.Token) (*keystore.User, *opErr) {
	link, err := p.o.Links.GetOAuthLink(ctx, pr.cfg.Name, id.Subject)
	switch {
	case err == nil:
		u, err := p.o.Users.GetUser(ctx, link.UserID)
		if errors.Is(err, keystore.ErrNotFound) {
			return nil, opOAuthUnavailable
		}
		if err != nil {
			return nil, opStore
		}
		if !u.Active {
			return nil, opOAuthUnavailable
		}
		return u, nil
	case !errors.Is(err, keystore.ErrNotFound):
		return nil, opStore
	}
	if id.Email == "" || !validEmail(id.Email) {
		return nil, opOAuthNoEmail
	}
	if !id.EmailVerified || !pr.cfg.TrustEmailVerified {
		return nil, opOAuthNotVerified
	}
	existing, err := p.o.Users.GetUserByEmail(ctx, id.Email)
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
		if e := p.createLink(ctx, pr, id, tok, existing.ID, nil); e != nil {
			return nil, e
		}
		p.audit("oauth_linked_by_email", existing.ID)
		return existing, nil
	case !errors.Is(err, keystore.ErrNotFound):
		return nil, opStore
	}
	if p.o.RegistrationDisabled {
		return nil, opOAuthRegClosed
	}
	name := ""
	if validDisplayName(id.Name) {
		name = id.Name
	}
	u, err := p.accounts.AddUser(ctx, accounts.NewUser{Email: id.Email, DisplayName: name, Verified: true})
	if errors.Is(err, accounts.ErrEmailTaken) {
		return nil, opOAuthUserExists
	} else if err != nil {
		return nil, opStore
	}
	if e := p.createLink(ctx, pr, id, tok, u.ID, nil); e != nil {
		if err := p.o.Users.DeleteUser(ctx, u.ID); err != nil {
			p.log.Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("account without its provider link not removed")
		}
		return nil, e
	}
	p.audit("oauth_registered", u.ID)
	return u, nil
}

// createLink stores the link of id to userID, with sealed tokens when the
// provider keeps them.
// owner, when set, links id from their account on the strength of their
// verified address (see accounts.Service.CreateOAuthLink).
func (p *Portal) createLink(ctx context.Context, pr *oauthProvider, id *oauthIdentity, tok *oauth2.Token, userID string, owner *keystore.User) *opErr {
	at, rt, err := p.sealTokens(pr, tok)
	if err != nil {
		return opStore
	}
	email := ""
	if validEmail(id.Email) {
		email = id.Email
	}
	l := &keystore.OAuthLink{Provider: pr.cfg.Name, Subject: id.Subject, UserID: userID, Email: email, AccessToken: at, RefreshToken: rt}
	if e := linkErr(p.accounts.CreateOAuthLink(ctx, l, owner)); e != nil {
		if e == opStore && owner != nil {
			p.log.Warn().Str("component", "loginui").Str("user_id", owner.ID).Str("provider", pr.cfg.Name).Msg("provider link not stored or not removed")
		}
		return e
	}
	return nil
}

// oauthFail shows a failed flow: on the login page for logins, on a
// message page leading back to /account for linking. The error code is
// also sent in the Gatehouse-Error header for scripts and tests.
func (p *Portal) oauthFail(w http.ResponseWriter, r *http.Request, kind, rd string, e *opErr) {
	if e.Status == http.StatusServiceUnavailable {
		p.renderStoreError(w)
		return
	}
	w.Header().Set("Gatehouse-Error", e.Code)
	if kind == flowAssociate {
		p.render(w, e.Status, "message", &pageData{Title: "Linking failed", Error: e.Detail, Link: "/account", LinkText: "Back to your account"})
		return
	}
	d, _, err := p.formPage(w, r, "Log in")
	if err != nil {
		p.errorPage(w, r, err)
		return
	}
	d.RD = rd
	p.renderOp(w, e, "login", d)
}

// associateAuthorize: POST /api/auth/associate/{provider}/authorize links
// a provider to the logged-in user. It needs a browser session opened
// with a password, CSRF and, with TOTP on, step-up. A JSON caller (CSRF
// header) gets {authorization_url}; the /account form (csrf field) is
// redirected to the provider.
func (p *Portal) associateAuthorize(w http.ResponseWriter, r *http.Request) {
	pr := p.oauthProvider(r.PathValue("provider"))
	if pr == nil {
		writeError(w, http.StatusNotFound, CodeRequestBodyInvalid, "no such login provider")
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	form := mt == "application/x-www-form-urlencoded"
	formCSRF := ""
	if form {
		if !parseForm(w, r) {
			errBody(w)
			return
		}
		formCSRF = r.PostForm.Get(csrfFormField)
	}
	c, err := p.authenticate(r)
	switch {
	case errors.Is(err, errAuthStore):
		errStore(w)
		return
	case err != nil, c == nil:
		errUnauthenticated(w)
		return
	}
	if !c.viaCookie || !p.checkCSRF(r, c.digest, formCSRF) {
		errCSRF(w)
		return
	}
	fail := func(e *opErr) {
		if form {
			p.oauthFail(w, r, flowAssociate, "", e)
			return
		}
		e.WriteJSON(w)
	}
	if !c.passwordSession() {
		fail(opOAuthNeedPassword)
		return
	}
	if e := requireVerifiedEmail(c.user); e != nil {
		fail(e)
		return
	}
	if e := p.stepUpErr(c); e != nil {
		fail(e)
		return
	}
	to, e := p.startFlow(w, r, pr, flowAssociate, c.user.ID, "")
	if e != nil {
		fail(e)
		return
	}
	if form {
		if slices.Contains(p.oauth.formOrigins, urlOrigin(to)) {
			redirect(w, r, to)
			return
		}
		// A redirect after a form post to an origin outside the CSP
		// form-action would be blocked: offer a link instead.
		p.render(w, http.StatusOK, "message", &pageData{Title: "Link " + pr.cfg.DisplayName, Link: to, LinkText: "Continue to " + pr.cfg.DisplayName})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"authorization_url": to})
}

// associateCallback: GET /api/auth/associate/{provider}/callback links
// the provider identity to the user who started the flow, who must still
// be the one logged in.
func (p *Portal) associateCallback(w http.ResponseWriter, r *http.Request) {
	pr := p.oauthProvider(r.PathValue("provider"))
	if pr == nil {
		writeError(w, http.StatusNotFound, CodeRequestBodyInvalid, "no such login provider")
		return
	}
	c, err := p.cookieCaller(r)
	if err != nil {
		p.clearFlowCookie(w)
		p.errorPage(w, r, err)
		return
	}
	f, id, tok, e := p.finishFlow(w, r, pr, flowAssociate)
	if e == nil && (c == nil || !c.passwordSession() || !constEq(c.user.ID, f.UserID)) {
		e = opOAuthState
	}
	if e == nil {
		e = requireVerifiedEmail(c.user)
	}
	if e != nil {
		p.oauthFail(w, r, flowAssociate, "", e)
		return
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	link, err := p.o.Links.GetOAuthLink(ctx, pr.cfg.Name, id.Subject)
	switch {
	case err == nil && link.UserID == c.user.ID:
		redirect(w, r, "/account?done=linked")
		return
	case err == nil:
		p.oauthFail(w, r, flowAssociate, "", opOAuthLinked)
		return
	case !errors.Is(err, keystore.ErrNotFound):
		p.renderStoreError(w)
		return
	}
	if e := p.createOwnerLink(ctx, pr, id, tok, c.user); e != nil {
		p.oauthFail(w, r, flowAssociate, "", e)
		return
	}
	p.log.Info().Str("audit", "oauth_linked").Str("user_id", c.user.ID).Str("provider", pr.cfg.Name).Msg("audit")
	redirect(w, r, "/account?done=linked")
}

// linkTime formats a link's creation time for the account page.
func linkTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }
