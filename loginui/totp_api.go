package loginui

import (
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// apiTOTPRequired answers the first step (firstFactor: its AuthMethod) of
// a user with TOTP on: 202 {totp_required, pending_token}. Without TOTP
// configured the login cannot finish (503), never a login without the
// second factor.
func (p *Portal) apiTOTPRequired(w http.ResponseWriter, r *http.Request, u *keystore.User, firstFactor string) error {
	if !p.totp.ready {
		p.log.Error().Str("component", "loginui").Str("user_id", u.ID).Msg("user has TOTP on but TOTP is not configured")
		return opStore
	}
	tok, err := p.issuePending(u, r, firstFactor)
	if err != nil {
		return opStore
	}
	p.audit(pendingAuditEvent(firstFactor), u.ID)
	writeJSON(w, http.StatusAccepted, map[string]any{"totp_required": true, "pending_token": tok})
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
		return opBody
	}
	var req totpVerifyRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return opBody
	}
	u, method, e := p.completeTOTPLogin(r, req.PendingToken, req.Code)
	if e != nil {
		return e
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	return p.finishAPILogin(ctx, w, r, u, transport, method)
}

type emptyRequest struct{}

// apiTOTPEnable: POST /api/auth/2fa/enable (body empty or {}); needs a
// browser session opened with a password.
func (p *Portal) apiTOTPEnable(w http.ResponseWriter, r *http.Request) error {
	c, e := p.apiCaller(r)
	if e != nil {
		return e
	}
	if err := decodeJSON(r, &emptyRequest{}, true); err != nil {
		return opBody
	}
	en, e := p.startEnrollment(r, c)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, en)
	return nil
}

type totpConfirmRequest struct {
	EnrollmentToken string `json:"enrollment_token"`
	Code            string `json:"code"`
}

// apiTOTPConfirm: POST /api/auth/2fa/enable/confirm {enrollment_token, code}
// answers {recovery_codes} (shown this once).
func (p *Portal) apiTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	c, e := p.apiCaller(r)
	if e != nil {
		return e
	}
	var req totpConfirmRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return opBody
	}
	codes, e := p.confirmEnrollment(r, c, req.EnrollmentToken, req.Code)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]any{"totp_enabled": true, "recovery_codes": codes})
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

// apiTOTPStepUp: POST /api/auth/2fa/step-up {code} marks the cookie
// session for StepUpTTL. A TOTP code or a recovery code is accepted.
func (p *Portal) apiTOTPStepUp(w http.ResponseWriter, r *http.Request) error {
	c, e := p.apiCaller(r)
	if e != nil {
		return e
	}
	var req codeRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return opBody
	}
	until, e := p.stepUp(r, c, req.Code)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]string{"step_up_until": until.UTC().Format(time.RFC3339)})
	return nil
}

type totpDisableRequest struct {
	CurrentPassword string `json:"current_password"`
	Code            string `json:"code"`
}

// apiTOTPDisable: POST /api/auth/2fa/disable {current_password[, code]}.
// It needs the current password and a step-up proof: either a recent
// /2fa/step-up on this session or a code in the body.
func (p *Portal) apiTOTPDisable(w http.ResponseWriter, r *http.Request) error {
	c, e := p.apiCaller(r)
	if e != nil {
		return e
	}
	var req totpDisableRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return opBody
	}
	if e := p.disableTOTP(r, c, req.Code, req.CurrentPassword); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]bool{"totp_enabled": false})
	return nil
}

// apiTOTPRegenerate: POST /api/auth/2fa/recovery-codes/regenerate
// {[code]} needs a step-up proof (recent, or a code in the body) and
// answers {recovery_codes}; the old codes stop working.
func (p *Portal) apiTOTPRegenerate(w http.ResponseWriter, r *http.Request) error {
	c, e := p.apiCaller(r)
	if e != nil {
		return e
	}
	var req codeRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return opBody
	}
	codes, e := p.regenerateRecovery(r, c, req.Code)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
	return nil
}

// pendingAuditEvent names the audit event of a first step that now waits
// for the TOTP code.
func pendingAuditEvent(firstFactor string) string {
	if firstFactor == methodPassword {
		return "login_password_ok_totp_pending"
	}
	return "login_oauth_ok_totp_pending"
}
