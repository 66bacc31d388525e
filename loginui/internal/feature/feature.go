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
// The package holds only the contract (and StoreCtx): it imports no portal code, so both the core
// and the features can depend on it.
package feature

import (
	"context"
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
// RenderSection returns trusted HTML built with html/template; ok=false
// shows nothing. An error is logged by the core (by Title) and the section
// is left out.
type Section interface {
	SectionTitle() string
	RenderSection(r *http.Request, c *Caller) (html template.HTML, ok bool, err error)
}

// Router is where a feature registers its handlers. JSON routes answer
// errors as JSON bodies; Page routes as the portal's message pages (a
// web.Unavailable is the store page).
type Router interface {
	JSON(pattern string, h web.Handler)
	Page(pattern string, h web.Handler)
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
}

// Host is what the core offers a feature. Every method is safe for
// concurrent use. Methods returning error return *web.Error values (or an
// error the adapters answer as web.Unavailable).
type Host interface {
	// APICaller authenticates a JSON request (bearer access token or
	// session cookie; CSRF for unsafe cookie requests). API-key
	// credentials are refused.
	APICaller(r *http.Request) (*Caller, error)
	// AdminCaller is APICaller plus: superuser, password session and,
	// with TOTP on, a step-up proof.
	AdminCaller(r *http.Request) (*Caller, error)
	// AdminTarget loads the user named by the {id} path value (404
	// USER_NOT_FOUND).
	AdminTarget(r *http.Request) (*keystore.User, error)
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
	// StepUp refuses (403 TOTP_STEP_UP_REQUIRED) a user with TOTP on
	// whose session holds no current step-up proof.
	StepUp(c *Caller) error
	// RequireStepUp is StepUp after using code, when given, to obtain a
	// proof.
	RequireStepUp(r *http.Request, c *Caller, code string) error
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
	// Now is the portal's clock.
	Now() time.Time
	// Log is the portal's logger. Log ids, never secrets, tokens,
	// passwords or email addresses.
	Log() *zerolog.Logger
}

// StoreTimeout bounds each store call of a request.
const StoreTimeout = 5 * time.Second

// StoreCtx is the context of one store call of r.
func StoreCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), StoreTimeout)
}
