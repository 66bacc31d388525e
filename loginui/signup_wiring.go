package loginui

import (
	"fmt"

	"github.com/gatehouse/gatehouse/loginui/internal/session"
	"github.com/gatehouse/gatehouse/loginui/signup"
	"github.com/gatehouse/gatehouse/signing"
)

// Registration, verification and password reset are the loginui/signup
// feature; the core builds its token codecs and fingerprint keys, keeps
// the revocation policy (loginui/internal/session RevokeUnverified) and
// stores new passwords (storePasswordHash), and mails a verify link
// through it after an email change.

// Audiences of the verify and reset JWTs (docs/design.md "Access JWT").
const (
	audVerify = "gatehouse:verify"
	audReset  = "gatehouse:reset-password"
)

// initSignup builds the signup feature (after the mail queue).
func (p *Portal) initSignup(iss string) error {
	o := p.o
	verify, err := session.NewJWT(iss, audVerify, []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: o.Secrets.VerifyToken}}, "", false)
	if err != nil {
		return fmt.Errorf("loginui: verify tokens: %w", err)
	}
	reset, err := session.NewJWT(iss, audReset, []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: o.Secrets.ResetToken}}, "", false)
	if err != nil {
		return fmt.Errorf("loginui: reset tokens: %w", err)
	}
	f, err := signup.New(signup.Config{
		VerifyTokens: verify, ResetTokens: reset,
		VerifyFPKey:   signing.NewSecret(signing.DeriveKey(o.Secrets.VerifyToken, "loginui/verify-fingerprint", 32)),
		ResetFPKey:    signing.NewSecret(signing.DeriveKey(o.Secrets.ResetToken, "loginui/reset-fingerprint", 32)),
		TokenLifetime: o.TokenLifetime, PasswordMinLen: o.PasswordMinLen, PasswordMaxLen: o.PasswordMaxLen,
		PublicURL: p.public, Mail: p.mail, Users: o.Users, Denylist: o.Denylist, Markers: o.Markers,
	})
	if err != nil {
		return err
	}
	p.signup = f
	p.features = append(p.features, f)
	return nil
}
