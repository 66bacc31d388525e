package totp

import (
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// apiTOTPEnable: POST /api/auth/2fa/enable (body empty or {}); needs a
// browser session opened with a password.
func (f *Feature) apiTOTPEnable(w http.ResponseWriter, r *http.Request) error {
	c, e := f.h.APICaller(r)
	if e != nil {
		return e
	}
	if err := web.DecodeJSON(r, &struct{}{}, true); err != nil {
		return web.BadBody
	}
	en, e := f.startEnrollment(r, c)
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, en)
	return nil
}

type totpConfirmRequest struct {
	EnrollmentToken string `json:"enrollment_token"`
	Code            string `json:"code"`
}

// apiTOTPConfirm: POST /api/auth/2fa/enable/confirm {enrollment_token, code}
// answers {recovery_codes} (shown this once).
func (f *Feature) apiTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	c, e := f.h.APICaller(r)
	if e != nil {
		return e
	}
	var req totpConfirmRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	codes, e := f.confirmEnrollment(r, c, req.EnrollmentToken, req.Code)
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"totp_enabled": true, "recovery_codes": codes})
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

// apiTOTPStepUp: POST /api/auth/2fa/step-up {code} marks the cookie
// session for StepUpTTL. A TOTP code or a recovery code is accepted.
func (f *Feature) apiTOTPStepUp(w http.ResponseWriter, r *http.Request) error {
	c, e := f.h.APICaller(r)
	if e != nil {
		return e
	}
	var req codeRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	until, e := f.StepUp(r, c, req.Code)
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"step_up_until": until.UTC().Format(time.RFC3339)})
	return nil
}

type totpDisableRequest struct {
	CurrentPassword string `json:"current_password"`
	Code            string `json:"code"`
}

// apiTOTPDisable: POST /api/auth/2fa/disable {current_password[, code]}.
// It needs the current password and a step-up proof: either a recent
// /2fa/step-up on this session or a code in the body.
func (f *Feature) apiTOTPDisable(w http.ResponseWriter, r *http.Request) error {
	c, e := f.h.APICaller(r)
	if e != nil {
		return e
	}
	var req totpDisableRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	if e := f.disableTOTP(r, c, req.Code, req.CurrentPassword); e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, map[string]bool{"totp_enabled": false})
	return nil
}

// apiTOTPRegenerate: POST /api/auth/2fa/recovery-codes/regenerate
// {[code]} needs a step-up proof (recent, or a code in the body) and
// answers {recovery_codes}; the old codes stop working.
func (f *Feature) apiTOTPRegenerate(w http.ResponseWriter, r *http.Request) error {
	c, e := f.h.APICaller(r)
	if e != nil {
		return e
	}
	var req codeRequest
	if err := web.DecodeJSON(r, &req, true); err != nil {
		return web.BadBody
	}
	codes, e := f.regenerateRecovery(r, c, req.Code)
	if e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
	return nil
}
