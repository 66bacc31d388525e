// Package feature is the contract between the portal core (package
// loginui) and its feature packages (loginui/apikeys, ...): the Feature a
// package implements and the Host the core hands it.
//
// A feature owns its routes, its /account section, its templates and its
// store calls. It reaches the core's machinery (who is calling, CSRF,
// step-up, rate limits, the account service, the page shell) only through
// Host. It must never read the core's cookies, tokens or sessions by
// itself, never check a password or mint a session, and never write a
// record read in an earlier step (the keystore Update functions apply a
// change to the record as stored).
//
// The package holds the contract, the rules both sides apply to it (the
// AuthMethod rules of methods.go, the field-level change helpers of
// change.go, StoreCtx) and the page helpers features share (Pages,
// Forms, Fragments). It imports no other portal package but
// loginui/internal/web, so the core and the features can depend on it.
package feature

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Feature is one optional part of the portal. New (package loginui)
// builds each feature from the options and calls Register once, before
// the portal serves.
type Feature interface {
	// Register adds the feature's routes; h stays valid for the
	// portal's life.
	Register(r Router, h Host)
}

// Section is implemented by features that add a section to /account.
// RenderSection returns trusted HTML built with html/template; csrf is the
// page's CSRF token for the section's forms; ok=false shows nothing. A
// *web.Error fails the whole page with it (a section the page cannot be
// shown without, such as the sessions); any other error is logged by the
// core (by title) and the section is left out.
// The core wraps the HTML in a <section> headed by the title, after its
// own sections, unless the feature is a FramedSection.
type Section interface {
	SectionTitle() string
	RenderSection(r *http.Request, c *Caller, csrf string) (html template.HTML, ok bool, err error)
}

// FramedSection is a Section whose HTML is its own <section> element; the
// core places it right after its own sections (profile and password), as
// is, in wiring order (loginui/sessions first).
type FramedSection interface {
	Section
	Framed()
}

// AccountView is a re-render of /account by a feature's form handler
// (after a failure, or to show something once). Own, when not empty,
// replaces From's section for this render.
type AccountView struct {
	CSRF          string // from PageCaller
	Status        int
	Notice, Error string
	From          Section
	Own           template.HTML
	// DataImages relaxes this response's CSP to img-src 'self' data: for
	// an image the page inlines (the TOTP enrolment QR code); every other
	// page keeps the strict policy.
	DataImages bool
}

// SecondFactor is implemented by a feature that adds a second login step
// for users who have it on (keystore.User.TOTPEnabled). The core owns the
// login: it asks Begin for a pending token after the first factor, and
// Complete to check it with the code before it mints the session. The
// pending token serves every second step (a passkey too): the feature
// implements PendingLogins as well.
type SecondFactor interface {
	// Ready reports whether codes can be checked; when it is false a
	// user whose only second factor is this one cannot log in (503).
	Ready() bool
	// Begin returns the pending token of u's login after firstFactor
	// (the AuthMethod of the first step), bound to r's client.
	Begin(r *http.Request, u *keystore.User, firstFactor string) (string, error)
	// Complete checks a pending token and a code, spends both, and returns
	// the user and the first factor of the login.
	Complete(r *http.Request, token, code string) (u *keystore.User, firstFactor string, err error)
	// PendingLifetime is how long a pending token lives.
	PendingLifetime() time.Duration
}

// PendingLogin is a pending token as PendingLogins.Pending verified it.
type PendingLogin struct {
	User        *keystore.User // as stored; active
	FirstFactor string
	JTI         string // the token's id: a second step's ceremony binds to it
	ExpiresAt   time.Time
}

// PendingLogins checks and spends the pending token of a second login
// step that is not the SecondFactor's own code (a passkey). Errors are
// *web.Error values (TOTP_PENDING_BAD_TOKEN) or web.Unavailable.
type PendingLogins interface {
	// Pending verifies tok (signature, expiry, unused, bound to r's
	// client and to the current credentials of an active user) and
	// spends nothing.
	Pending(r *http.Request, tok string) (*PendingLogin, error)
	// SpendPending spends it; one concurrent caller wins.
	SpendPending(ctx context.Context, p *PendingLogin) error
}

// Passkeys is implemented by the feature that holds the users' passkeys
// (loginui/passkey). The core owns the logins that use them (the
// passwordless login and the passkey second step, their routes and
// sessions); the feature runs the ceremonies, audits their failures and
// answers errors as *web.Error values.
type Passkeys interface {
	// HasPasskeys reports whether the user has at least one passkey
	// (HasSecondFactor).
	HasPasskeys(ctx context.Context, userID string) (bool, error)
	// BeginSecond starts an assertion with u's passkeys bound to binding
	// (the pending token's id).
	BeginSecond(r *http.Request, u *keystore.User, binding string) (options json.RawMessage, state string, err error)
	// FinishSecond verifies the answer to a ceremony BeginSecond began for
	// u and binding, and records the passkey's use.
	FinishSecond(r *http.Request, u *keystore.User, binding, state string, answer []byte) error
	// BeginPasswordless starts a discoverable-credential login bound to
	// binding (a per-client value).
	BeginPasswordless(binding string) (options json.RawMessage, state string, err error)
	// FinishPasswordless verifies its answer and returns the passkey's
	// user as stored (the core checks it may log in) and whether the
	// authenticator verified the person (the UV flag).
	FinishPasswordless(r *http.Request, binding, state string, answer []byte) (u *keystore.User, userVerified bool, err error)
	// Enabled reports whether users may add passkeys and log in without
	// a password (passkeys already registered work either way).
	Enabled() bool
	// ScriptPath is the path of the first-party script that runs the
	// ceremonies in a browser; pages that include it get CSP script-src
	// 'self'.
	ScriptPath() string
}

// StepUpper is implemented by the feature that proves a second factor
// for a cookie session (Host.RequireStepUp uses it).
type StepUpper interface {
	// StepUp checks code for c and marks its session until the returned
	// time (also set on c.Session).
	StepUp(r *http.Request, c *Caller, code string) (time.Time, error)
}

// Claims are the parts of a verified feature token.
type Claims struct {
	Subject, JTI, SFP, FirstFactor string
	SID                            string // an access token's refresh chain
	ExpiresAt                      time.Time
}

// Tokens issues and verifies the signed tokens of one audience (the core
// builds them; keys never reach the feature).
type Tokens interface {
	// Issue signs a token for sub; firstFactor is carried only by
	// tokens built for it.
	Issue(sub, jti, binding, firstFactor string, lifetime time.Duration, now time.Time) (string, error)
	Verify(tok string, now time.Time) (Claims, error)
}

// Router is where a feature registers its handlers. JSON routes answer
// errors as JSON bodies; Page routes as the portal's message pages (a
// web.Unavailable is the store page).
type Router interface {
	JSON(pattern string, h web.Handler)
	Page(pattern string, h web.Handler)
	// Raw registers a handler that writes every answer itself (redirect
	// flows that mix JSON, pages and redirects).
	Raw(pattern string, h http.HandlerFunc)
	// PaddedJSON and PaddedPage are JSON and Page whose answers take at
	// least the portal's minimum response time (routes whose timing must
	// not tell whether an account exists).
	PaddedJSON(pattern string, h web.Handler)
	PaddedPage(pattern string, h web.Handler)
}

// LoginSection is implemented by features that add to the login page
// (other ways to log in); rd is the page's validated redirect target.
// The HTML is placed after the password form, as is.
type LoginSection interface {
	LoginSection(rd string) (template.HTML, error)
}

// FormOrigins is implemented by features whose forms may redirect to
// other origins; the core adds them to the CSP form-action.
type FormOrigins interface {
	FormOrigins() []string
}

// Notices is implemented by features whose redirects to /account carry
// ?done= values; the core shows the fixed texts it maps them to.
type Notices interface {
	Notices() map[string]string
}

// Caller is the authenticated principal of a request as a feature sees
// it. Session and CSRFBinding are set for cookie (browser) sessions only.
type Caller struct {
	User      *keystore.User
	ViaCookie bool
	Session   *keystore.Session
	// PasswordSession: a browser session opened with a password (alone
	// or followed by a second factor). Bearer tokens never count.
	PasswordSession bool
	// Digest of the session cookie token, the CSRF binding of a cookie
	// session.
	Digest []byte
	// RefreshChain, AccessJTI and AccessExpiresAt are those of a bearer
	// caller's access token (empty for cookie sessions).
	RefreshChain    string
	AccessJTI       string
	AccessExpiresAt time.Time
}

// SessionView is the JSON form of a session (or live refresh token) of
// the caller; Current marks the caller's own.
type SessionView struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	AuthMethod string    `json:"auth_method"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

// ErrNoSuchSession is Host.RevokeSession's answer for an id that names
// none of the caller's sessions.
var ErrNoSuchSession = errors.New("loginui: no such session")

// Host is what the core offers a feature. Every method is safe for
// concurrent use. Methods returning error return *web.Error values (or an
// error the adapters answer as web.Unavailable).
type Host interface {
	// APICaller authenticates a JSON request (bearer access token or
	// session cookie; CSRF for unsafe cookie requests). API-key
	// credentials are refused.
	APICaller(r *http.Request) (*Caller, error)
	// AdminCaller is APICaller plus: superuser, password session and,
	// with a second factor (HasSecondFactor), a step-up proof.
	AdminCaller(r *http.Request) (*Caller, error)
	// AdminTarget loads the user named by the {id} path value (404
	// USER_NOT_FOUND).
	AdminTarget(r *http.Request) (*keystore.User, error)
	// AdminGate is AdminCaller's check for a caller already admitted
	// (a page session from PageCaller): superuser, password session and,
	// with a second factor, a step-up proof; the error is the 403.
	AdminGate(c *Caller) error
	// RevokeUnverifiedCredentials is the core's revocation policy after
	// a change of u's address or verification made at before (an email
	// verified, a password reset, an admin's change by c): every API key,
	// OAuth link, refresh chain and session of u created earlier goes
	// unless made while u was verified with its current address; c's own
	// current session stays when u is c (c nil: none stays).
	RevokeUnverifiedCredentials(ctx context.Context, u *keystore.User, before time.Time, c *Caller) error
	// PageCaller admits a page request by its session cookie: it
	// redirects to the login page (ok=false, answered) when there is
	// none, checks CSRF on POST (answered when it fails) and returns the
	// CSRF token for the page's forms.
	PageCaller(w http.ResponseWriter, r *http.Request, path string) (c *Caller, csrf string, ok bool)
	// CookieCSRF is the CSRF token the request's cookie carries when it
	// is valid for c, or "".
	CookieCSRF(r *http.Request, c *Caller) string
	// PresentsAPIKey reports whether the request carries an API-key
	// credential (bearer key, X-API-Key, or a signed request).
	PresentsAPIKey(r *http.Request) bool
	// StepUp refuses (403 TOTP_STEP_UP_REQUIRED) a user with a second
	// factor (TOTP on, or a passkey: HasSecondFactor) whose session holds
	// no current step-up proof.
	StepUp(c *Caller) error
	// RequireStepUp is StepUp after using code, when given, to obtain a
	// proof.
	RequireStepUp(r *http.Request, c *Caller, code string) error
	// ClientIP is the request's client address (trusted proxies applied).
	ClientIP(r *http.Request) string
	// AccessFingerprint changes with u's email or password hash; tokens
	// bound to it die with those.
	AccessFingerprint(u *keystore.User) string
	// CheckPassword verifies u's current password (a dummy hash when
	// there is none); wrong is answered on a mismatch, a 429 when the
	// hasher is saturated.
	CheckPassword(ctx context.Context, u *keystore.User, password string, wrong *web.Error) error
	// RenderAccount renders /account for c with v.
	RenderAccount(w http.ResponseWriter, r *http.Request, c *Caller, v AccountView) error
	// Audit logs an audit event with the user id only.
	Audit(event, userID string)
	// Authenticate resolves the caller of r (bearer access token or
	// session cookie) without any CSRF check; an error is the JSON
	// answer (401 without a valid credential, 503 on a store failure).
	Authenticate(r *http.Request) (*Caller, error)
	// CheckCSRF demands a cookie session and a CSRF token (header, or
	// formValue when not empty) bound to it; the error is the 403.
	CheckCSRF(r *http.Request, c *Caller, formValue string) error
	// CookieCaller is the caller of a page request by its session
	// cookie; nil without a valid session, an error when a store failed.
	CookieCaller(r *http.Request) (*Caller, error)
	// SafeRedirect keeps rd only when the redirect policy accepts it.
	SafeRedirect(rd string) (string, bool)
	// FinishLogin completes a login whose first factor (an OAuth
	// AuthMethod such as "oauth:github") succeeded: the core's second
	// step for users with a second factor and the SecondStep hook, or a
	// new session and a redirect to rd (or the portal home). It answers
	// in every case.
	FinishLogin(w http.ResponseWriter, r *http.Request, u *keystore.User, firstFactor, rd string)
	// RenderLoginError answers with the login page showing err.
	RenderLoginError(w http.ResponseWriter, r *http.Request, rd string, err error)
	// RenderLink answers with the message page offering one link.
	RenderLink(w http.ResponseWriter, status int, title, notice, errText, link, linkText string)
	// ErrorPage answers err as a page (a store failure is the store page).
	ErrorPage(w http.ResponseWriter, r *http.Request, err error)
	// Rate counts one event of slot for each key set; an error is the
	// 429 (or store) answer.
	Rate(r *http.Request, slot string, keys ...[]string) error
	// Accounts is the account service (users, credentials, key policy).
	Accounts() *accounts.Service
	// ParsePage parses a feature template (files of fsys) with the
	// portal's page shell; execute "layout" to render a whole page.
	ParsePage(fsys fs.FS, files ...string) (*template.Template, error)
	// RenderMessage answers with the portal's message page.
	RenderMessage(w http.ResponseWriter, status int, title, notice, errText string)
	// RegistrationOpen reports whether the page shell links to /register.
	RegistrationOpen() bool
	// PublicForm prepares a public form (one that works without a
	// session): the CSRF token for it, bound to the visitor's session or,
	// without one, to the pre-session label, and the visitor if logged
	// in. For an unsafe method it also checks the "csrf" field of the
	// parsed form (CSRFOK). An error is a store failure.
	PublicForm(w http.ResponseWriter, r *http.Request) (PublicForm, error)
	// ReplacePassword stores hash as u's password hash (check runs on the
	// record as stored first; its error aborts, returned as is), revokes
	// every session of u and mails the password-changed notice. On
	// success *u is the record as stored.
	ReplacePassword(ctx context.Context, u *keystore.User, hash string, check func(*keystore.User) error) error
	// Sessions lists c's unexpired sessions and unspent refresh tokens,
	// newest first.
	Sessions(ctx context.Context, c *Caller) ([]SessionView, error)
	// RevokeSession deletes c's session with public id (its whole chain
	// for a refresh token); ErrNoSuchSession when id is none of them.
	RevokeSession(ctx context.Context, c *Caller, id string) error
	// RevokeOtherSessions deletes every session of c except the current
	// one (a bearer caller keeps its own refresh chain), denying the
	// refresh chains first, and reports how many went.
	RevokeOtherSessions(ctx context.Context, c *Caller) (int, error)
	// SetPassword hashes password and stores it as c's (check runs on
	// the record as stored first; its error aborts, returned as is),
	// revokes every other session of c (a bearer caller keeps none, and
	// its access token is denied) and mails the password-changed notice.
	// On success *c.User is the record as stored. A busy hasher is
	// signing.ErrHashBusy.
	SetPassword(ctx context.Context, c *Caller, password string, check func(*keystore.User) error) error
	// Now is the portal's clock.
	Now() time.Time
	// Log is the portal's logger. Log ids, never secrets, tokens,
	// passwords or email addresses.
	Log() *zerolog.Logger
}

// PublicForm is a public form as Host.PublicForm prepared it.
type PublicForm struct {
	CSRF   string
	User   *keystore.User // nil without a session
	CSRFOK bool           // unsafe methods: the form's CSRF token is valid
}

// SlotLogin is the core's rate-limit slot of login attempts.
const SlotLogin = "login"

// SlotChangePassword is the core's rate-limit slot of password checks,
// shared by every route that asks for the current password.
const SlotChangePassword = "change_password"

// StoreTimeout bounds each store call of a request.
const StoreTimeout = 5 * time.Second

// StoreCtx is the context of one store call of r.
func StoreCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), StoreTimeout)
}
