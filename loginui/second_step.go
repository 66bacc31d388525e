package loginui

import (
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The second login step belongs to the core, which mints the session:
// after the first factor a user with TOTP on gets a pending token from
// the second-factor feature (loginui/totp, a feature.SecondFactor), and
// POST /api/auth/2fa/verify and /2fa hand it back with the code to
// completeSecondStep. The HTML flow carries the pending token in its own
// cookie (web.Cookies.SetPending).

// completeSecondStep checks a pending token and code with the
// second-factor feature and returns the user and the AuthMethod of the
// session to open ("<first factor>+totp").
func (p *Portal) completeSecondStep(r *http.Request, tok, code string) (*keystore.User, string, *web.Error) {
	u, first, err := p.second.Complete(r, tok, code)
	if err != nil {
		return nil, "", web.As(err)
	}
	return u, feature.MethodAfterTOTP(first), nil
}

// beginSecondStep issues the pending token of u's login after
// firstFactor. Without TOTP configured the login cannot finish (503),
// never a login without the second factor.
func (p *Portal) beginSecondStep(r *http.Request, u *keystore.User, firstFactor string) (string, error) {
	if !p.second.Ready() {
		p.log.Error().Str("component", "loginui").Str("user_id", u.ID).Msg("user has TOTP on but TOTP is not configured")
		return "", web.Unavailable
	}
	tok, err := p.second.Begin(r, u, firstFactor)
	if err != nil {
		return "", web.Unavailable
	}
	event := "login_oauth_ok_totp_pending"
	if firstFactor == feature.MethodPassword {
		event = "login_password_ok_totp_pending"
	}
	p.audit(event, u.ID)
	return tok, nil
}

// apiTOTPRequired answers the first step (firstFactor: its AuthMethod) of
// a user with TOTP on: 202 {totp_required, pending_token}.
func (p *Portal) apiTOTPRequired(w http.ResponseWriter, r *http.Request, u *keystore.User, firstFactor string) error {
	tok, err := p.beginSecondStep(r, u, firstFactor)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusAccepted, map[string]any{"totp_required": true, "pending_token": tok})
	return nil
}

type totpVerifyRequest struct {
	PendingToken string `json:"pending_token"`
	Code         string `json:"code"`
}

// apiTOTPVerify: POST /api/auth/2fa/verify {pending_token, code}, the
// second login step. ?transport= and ?refresh= work as on login.
func (p *Portal) apiTOTPVerify(w http.ResponseWriter, r *http.Request) error {
	transport := r.URL.Query().Get("transport")
	if transport != "" && transport != "cookie" && transport != "bearer" {
		return web.BadBody
	}
	var req totpVerifyRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	u, method, e := p.completeSecondStep(r, req.PendingToken, req.Code)
	if e != nil {
		return e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	return p.finishAPILogin(ctx, w, r, u, transport, method)
}

// totp2faURL is /2fa carrying rd.
func totp2faURL(rd string) string {
	if rd == "" {
		return "/2fa"
	}
	return "/2fa?rd=" + url.QueryEscape(rd)
}

// pageTOTPRequired: the first factor (a password, or an OAuth login named
// by its AuthMethod) was right and the user has TOTP on; the browser is
// sent to /2fa with a pending-login cookie that carries the first factor.
func (p *Portal) pageTOTPRequired(w http.ResponseWriter, r *http.Request, u *keystore.User, rd, firstFactor string) error {
	tok, err := p.beginSecondStep(r, u, firstFactor)
	if err != nil {
		return err
	}
	p.cookies.SetPending(w, tok, p.second.PendingLifetime())
	redirect(w, r, totp2faURL(rd))
	return nil
}

func (p *Portal) pageTOTP(w http.ResponseWriter, r *http.Request) error {
	rd, _ := p.safeRedirect(r.URL.Query().Get("rd"))
	if p.cookies.Pending(r) == "" {
		to := "/login"
		if rd != "" {
			to += "?rd=" + url.QueryEscape(rd)
		}
		redirect(w, r, to)
		return nil
	}
	d, _, err := p.formPage(w, r, "Two-factor authentication")
	if err != nil {
		return err
	}
	d.RD = rd
	p.render(w, http.StatusOK, "2fa", d)
	return nil
}

func (p *Portal) pageTOTPPost(w http.ResponseWriter, r *http.Request) error {
	d, _, ok := p.formPost(w, r, "2fa", "Two-factor authentication")
	if !ok {
		return nil
	}
	d.RD, _ = p.safeRedirect(r.PostForm.Get("rd"))
	u, method, e := p.completeSecondStep(r, p.cookies.Pending(r), r.PostForm.Get("code"))
	switch {
	case e == nil:
	case e.Code == CodeTOTPPendingBadToken:
		p.cookies.ClearPending(w)
		p.render(w, e.Status, "message", &pageData{Title: "Log in again", Error: "Your login has expired or was already completed. Please log in again.", Link: "/login", LinkText: "Log in"})
		return nil
	case e.Status == http.StatusServiceUnavailable:
		return web.Unavailable
	default:
		p.renderOp(w, e, "2fa", d)
		return nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if _, err := p.createSession(ctx, w, r, u, method); err != nil {
		return web.Unavailable
	}
	p.cookies.ClearPending(w)
	p.audit("login_ok", u.ID)
	if d.RD != "" {
		redirect(w, r, d.RD)
		return nil
	}
	redirect(w, r, p.home())
	return nil
}
