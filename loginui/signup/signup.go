package signup

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/mail"
	"github.com/gatehouse/gatehouse/signing"
)

// Rate-limit slots of the core's limits (loginui.Slot*).
const (
	SlotRegister       = "register"
	SlotForgotPassword = "forgot_password"
	SlotResetPassword  = "reset_password"
	SlotVerifyToken    = "verify_token"
)

// Config is what the core hands the feature at construction.
type Config struct {
	// VerifyTokens and ResetTokens sign and check the links' tokens;
	// VerifyFPKey and ResetFPKey bind them to the address (verify) or to
	// the address and password hash (reset).
	VerifyTokens, ResetTokens feature.Tokens
	VerifyFPKey, ResetFPKey   signing.Secret
	TokenLifetime             time.Duration
	PasswordMinLen            int
	PasswordMaxLen            int
	PublicURL                 *url.URL
	Mail                      *mail.Queue
	Users                     keystore.Users
	Denylist                  keystore.Denylist
	Markers                   keystore.Markers
}

// Feature is registration, verification and password reset.
type Feature struct {
	c     Config
	h     feature.Host
	pages feature.Forms
}

// ErrConfig is returned by New for a config without tokens, keys or stores.
var ErrConfig = errors.New("loginui/signup: incomplete configuration")

// New builds the feature.
func New(c Config) (*Feature, error) {
	if c.VerifyTokens == nil || c.ResetTokens == nil || c.PublicURL == nil || c.Mail == nil ||
		c.Users == nil || c.Denylist == nil || c.Markers == nil {
		return nil, ErrConfig
	}
	return &Feature{c: c, pages: feature.Forms{Pages: feature.Pages{FS: templateFS, Names: pageFiles},
		MinLen: c.PasswordMinLen, MaxLen: c.PasswordMaxLen}}, nil
}

var _ feature.Feature = (*Feature)(nil)

// Register adds the routes; register, request-verify-token and
// forgot-password (API and form posts) are padded.
func (f *Feature) Register(rt feature.Router, h feature.Host) {
	f.h = h
	rt.PaddedJSON("POST /api/auth/register", f.apiRegister)
	rt.JSON("POST /api/auth/verify", f.apiVerify)
	rt.PaddedJSON("POST /api/auth/request-verify-token", f.apiRequestVerify)
	rt.PaddedJSON("POST /api/auth/forgot-password", f.apiForgotPassword)
	rt.JSON("POST /api/auth/reset-password", f.apiResetPassword)
	rt.Page("GET /register", f.pageRegister)
	rt.PaddedPage("POST /register", f.pageRegisterPost)
	rt.Page("GET /forgot-password", f.pageForgot)
	rt.PaddedPage("POST /forgot-password", f.pageForgotPost)
	rt.Page("GET /reset-password", f.pageReset)
	rt.Page("POST /reset-password", f.pageResetPost)
	rt.Page("GET /verify", f.pageVerify)
	rt.Page("POST /verify", f.pageVerifyPost)
}

// verifyFingerprint binds a verify token to the address it was sent to.
func (f *Feature) verifyFingerprint(u *keystore.User) string {
	return signing.SessionFingerprint(f.c.VerifyFPKey, u.ID, keystore.FoldEmail(u.Email), "")
}

// resetFingerprint binds a reset token to the password it replaces, so it
// dies with any password change (and with an email change).
func (f *Feature) resetFingerprint(u *keystore.User) string {
	return signing.SessionFingerprint(f.c.ResetFPKey, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash)
}

// sendMail queues an email; it never blocks the request.
func (f *Feature) sendMail(event string, u *keystore.User, link string) {
	f.c.Mail.Enqueue(mail.Message{Event: event, To: u.Email, UserID: u.ID, Link: link})
}

// link builds an absolute portal URL with one query parameter.
func (f *Feature) link(path, key, value string) string {
	u := *f.c.PublicURL
	u.Path = path
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// SendVerify mails a verification link to u (after a registration, a
// request for a new link, or an email change of the core's).
func (f *Feature) SendVerify(u *keystore.User) error {
	jti, err := signing.RandomHex(16)
	if err != nil {
		return err
	}
	tok, err := f.c.VerifyTokens.Issue(u.ID, jti, f.verifyFingerprint(u), "", f.c.TokenLifetime, f.h.Now())
	if err != nil {
		return err
	}
	f.sendMail(mail.EventVerify, u, f.link("/verify", "token", tok))
	return nil
}

// sendReset mails a password reset link to u.
func (f *Feature) sendReset(u *keystore.User) error {
	jti, err := signing.RandomHex(16)
	if err != nil {
		return err
	}
	tok, err := f.c.ResetTokens.Issue(u.ID, jti, f.resetFingerprint(u), "", f.c.TokenLifetime, f.h.Now())
	if err != nil {
		return err
	}
	f.sendMail(mail.EventReset, u, f.link("/reset-password", "token", tok))
	return nil
}

func passwordPolicyDetail(min, max int) string {
	return "the password must be " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + " characters long"
}
