package loginui

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/view"
	"github.com/gatehouse/gatehouse/signing"
)

// Session kinds and auth methods stored in keystore.Session. AuthMethod
// records the first login factor: "password" or "oauth:<provider>"
// (methodOAuthPrefix), followed by methodTOTPSuffix when a TOTP or
// recovery code completed the login ("password+totp",
// "oauth:github+totp"). Only a password first factor makes a password
// session (passwordFirstFactor). The bare "totp" stored by earlier
// versions does not say which first factor came before it, so it is not a
// password session (fail closed: such a session must log in again before
// managing keys, links or the admin API).
const (
	kindSession = "session"
	kindRefresh = "refresh"

	methodPassword   = "password"
	methodSetup      = "password" // the setup form sets a password, so it counts as one
	methodTOTPSuffix = "+totp"    // a TOTP or recovery code after the first factor
)

// validFirstFactor reports whether m can open a login: a password or a
// configured-looking OAuth provider.
func validFirstFactor(m string) bool {
	if m == methodPassword {
		return true
	}
	name, ok := strings.CutPrefix(m, methodOAuthPrefix)
	return ok && name != "" && !strings.Contains(name, "+")
}

// sessionMethodAfterTOTP is the AuthMethod of a login whose first factor
// was first and whose second step was a TOTP or recovery code.
func sessionMethodAfterTOTP(first string) string { return first + methodTOTPSuffix }

// passwordFirstFactor reports whether a stored AuthMethod records a
// password as the login's first factor. It is the one test of "opened with
// a password" (caller.passwordSession).
func passwordFirstFactor(method string) bool {
	return method == methodPassword || method == methodPassword+methodTOTPSuffix
}

// Limits on identifiers and free text.
const (
	maxEmailLen     = keystore.MaxEmailLen
	maxUserAgentLen = 256
)

// loginOutcome is the result of checking a password login.
type loginOutcome int

const (
	loginOK loginOutcome = iota
	loginBad
	loginUnavailable
	loginStoreError
	loginBusy // no password-hash slot in time: credentials not checked
)

// checkLogin verifies identifier and password. Unknown identifiers spend a
// dummy hash; a locked account spends the real one and answers loginBad;
// a failed login never writes the user record. When the hasher has no free
// slot in time (real or dummy hash alike, so the answer does not tell
// whether the account exists) it answers loginBusy and counts no failure.
func (p *Portal) checkLogin(ctx context.Context, identifier, password string) (*keystore.User, loginOutcome) {
	if len(identifier) > maxEmailLen || len(password) > 4*p.o.PasswordMaxLen || identifier == "" || password == "" {
		return nil, p.dummyLogin(ctx, "", identifier, password)
	}
	u, err := p.o.Users.GetUserByEmail(ctx, identifier)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, p.dummyLogin(ctx, "", identifier, password)
	}
	if err != nil {
		return nil, loginStoreError
	}
	locked := false
	if p.o.Lockout.Max > 0 {
		if locked, err = p.o.Denylist.IsDenied(ctx, []byte(p.lockKey(u.ID))); err != nil {
			return nil, loginStoreError
		}
	}
	if u.PasswordHash == "" {
		return nil, p.dummyLogin(ctx, u.ID, identifier, password)
	}
	ok, rehash, err := p.hasher.VerifyContext(ctx, u.PasswordHash, password)
	if errors.Is(err, signing.ErrHashBusy) {
		return nil, loginBusy
	}
	if err != nil {
		p.log.Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("stored password hash is unusable")
		ok = false
	}
	if !ok || locked {
		if !ok && p.o.Lockout.Max > 0 {
			if err := p.countFailure(ctx, u.ID); err != nil {
				return nil, loginStoreError
			}
		}
		p.auditLoginFailed(u.ID, identifier)
		return nil, loginBad
	}
	if !u.Active {
		p.log.Info().Str("audit", "login_failed").Str("user_id", u.ID).Str("reason", "inactive").Msg("audit")
		return nil, loginUnavailable
	}
	if rehash {
		if h, err := p.hasher.Hash(password); err == nil {
			// Only if the stored hash is still the one just verified: a
			// password change in between must not be reverted.
			verified := u.PasswordHash
			nu, err := p.updateUser(ctx, u.ID, func(x *keystore.User) error {
				if err := passwordStill(x, verified); err != nil {
					return err
				}
				x.PasswordHash = h
				return nil
			})
			if err == nil {
				u = nu
			} else if _, ok := refused(err); !ok {
				p.log.Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("password re-hash not stored")
			}
		}
	}
	return u, loginOK
}

// dummyLogin spends the dummy hash of a login that cannot succeed and
// answers loginBad, or loginBusy when no hashing slot was free in time.
func (p *Portal) dummyLogin(ctx context.Context, userID, identifier, password string) loginOutcome {
	if err := p.hasher.VerifyDummyContext(ctx, password); err != nil {
		return loginBusy
	}
	p.auditLoginFailed(userID, identifier)
	return loginBad
}

// lockKey is the denylist entry that marks a locked account.
func (p *Portal) lockKey(userID string) string {
	return p.limiter.Key("lockout", userID)
}

// countFailure counts a failed login and locks the account at the limit.
// A full in-process counter table (keystore.ErrFull) never locks: the
// failure goes uncounted, because a table that others can fill must not
// become a way to lock someone else's account. Guessing stays bounded by
// the login rate limit, whose per-identifier key this request already
// holds (rate refuses the request when it cannot create that key).
func (p *Portal) countFailure(ctx context.Context, userID string) error {
	n, _, err := p.counters.Incr(ctx, p.limiter.Key("lockout-count", userID), p.o.Lockout.Window)
	if errors.Is(err, keystore.ErrFull) {
		p.log.Warn().Str("component", "loginui").Str("user_id", userID).Msg("lockout counter table full; failure not counted")
		return nil
	}
	if err != nil {
		return err
	}
	if n >= int64(p.o.Lockout.Max) {
		if err := p.o.Denylist.Deny(ctx, p.lockKey(userID), p.o.Now().Add(p.o.Lockout.Window)); err != nil {
			return err
		}
		p.log.Info().Str("audit", "lockout").Str("user_id", userID).Msg("audit")
	}
	return nil
}

// auditLoginFailed logs a failed login. The identifier appears only as an
// HMAC digest, and only when a telemetry secret is set.
func (p *Portal) auditLoginFailed(userID, identifier string) {
	ev := p.log.Info().Str("audit", "login_failed")
	if userID != "" {
		ev = ev.Str("user_id", userID)
	}
	if !p.o.Secrets.Telemetry.IsZero() {
		m := hmac.New(sha256.New, p.o.Secrets.Telemetry.Bytes())
		m.Write([]byte(keystore.FoldEmail(identifier)))
		ev = ev.Str("identifier_digest", hex.EncodeToString(m.Sum(nil)[:16]))
	}
	ev.Msg("audit")
}

func (p *Portal) audit(event, userID string) {
	p.log.Info().Str("audit", event).Str("user_id", userID).Msg("audit")
}

// createSession stores a new browser session and sets its cookie and a
// CSRF cookie bound to it. It returns the CSRF token.
func (p *Portal) createSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, method string) (string, error) {
	tok, err := signing.NewOpaqueToken()
	if err != nil {
		return "", err
	}
	now := p.o.Now()
	s := &keystore.Session{
		Digest: p.tokenDigest(tok), UserID: u.ID, Kind: kindSession, AuthMethod: method,
		CreatedAt: now, ExpiresAt: now.Add(p.o.SessionLifetime), LastSeenAt: now,
		UserAgent: clip(r.UserAgent(), maxUserAgentLen),
	}
	if err := p.o.Sessions.CreateSession(ctx, s); err != nil {
		return "", err
	}
	csrf, err := p.csrf.NewToken(s.Digest)
	if err != nil {
		return "", err
	}
	p.cookies.SetSession(w, tok, s.ExpiresAt)
	p.cookies.SetCSRF(w, csrf)
	p.dropPreviousSession(ctx, r)
	return csrf, nil
}

// dropPreviousSession revokes the session whose token the request's cookie
// carries, if any: a login replaces the browser's session, and the old
// token must not outlive it. It is best effort (the new session is already
// issued and nothing is claimed about the old one), so a store failure is
// only logged.
func (p *Portal) dropPreviousSession(ctx context.Context, r *http.Request) {
	old := cookieValue(r, p.o.CookieName)
	if old == "" || len(old) > 128 {
		return
	}
	if err := p.o.Sessions.DeleteSession(ctx, p.tokenDigest(old)); err != nil && !errors.Is(err, keystore.ErrNotFound) {
		p.log.Warn().Str("component", "loginui").Msg("previous session not revoked at login")
	}
}

// bearerTokens is the answer of a bearer login or refresh.
type bearerTokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
}

// issueRefresh stores a refresh token of chainID that expires at expires;
// method is the AuthMethod of the login that opened the chain.
func (p *Portal) issueRefresh(ctx context.Context, r *http.Request, u *keystore.User, chainID string, expires time.Time, method string) (string, error) {
	tok, err := signing.NewOpaqueToken()
	if err != nil {
		return "", err
	}
	now := p.o.Now()
	s := &keystore.Session{
		Digest: p.tokenDigest(tok), UserID: u.ID, Kind: kindRefresh, AuthMethod: method,
		ChainID: chainID, CreatedAt: now, ExpiresAt: expires, LastSeenAt: now,
		UserAgent: clip(r.UserAgent(), maxUserAgentLen),
	}
	if err := p.o.Sessions.CreateSession(ctx, s); err != nil {
		return "", err
	}
	return tok, nil
}

// issueAccess mints an access JWT for u in chain sid.
func (p *Portal) issueAccess(u *keystore.User, sid string) (string, error) {
	jti, err := signing.RandomHex(16)
	if err != nil {
		return "", err
	}
	return p.access.issue(u.ID, jti, p.accessFingerprint(u), sid, p.o.AccessLifetime, p.o.Now())
}

// chainDenyKey is the denylist entry of a revoked refresh chain.
func chainDenyKey(chainID string) string { return keystore.ChainDenyPrefix + chainID }

// spentKey is the marker/denylist entry of a spent refresh token.
func spentKey(digest []byte) string { return "rt:" + hex.EncodeToString(digest) }

// revokeChain denies a refresh chain and deletes its tokens.
func (p *Portal) revokeChain(ctx context.Context, userID, chainID string, until time.Time) error {
	if err := p.o.Denylist.Deny(ctx, chainDenyKey(chainID), until); err != nil {
		return err
	}
	ss, err := p.o.Sessions.ListUserSessions(ctx, userID)
	if err != nil {
		return err
	}
	for _, s := range ss {
		if s.ChainID == chainID {
			if err := p.o.Sessions.DeleteSession(ctx, s.Digest); err != nil && !errors.Is(err, keystore.ErrNotFound) {
				return err
			}
		}
	}
	p.audit("session_revoked", userID)
	return nil
}

// sessionPublicID is the id under which a session is listed and revoked;
// it reveals nothing about the token or its digest.
func sessionPublicID(digest []byte) string {
	h := sha256.New()
	h.Write([]byte("gatehouse/session-id\x00"))
	h.Write(digest)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// sendMail queues an email; it never blocks the request.
func (p *Portal) sendMail(event string, u *keystore.User, link string) {
	p.mail.Enqueue(Message{Event: event, To: u.Email, UserID: u.ID, Link: link})
}

// validEmail is keystore.ValidEmail: every writer of accounts agrees on
// what an address is.
func validEmail(s string) bool { return keystore.ValidEmail(s) }

// validRoles checks a role list with the account rules.
func validRoles(roles []string) bool { return accounts.ValidRoles(roles) }

// clip: view.Clip.
func clip(s string, n int) string { return view.Clip(s, n) }
