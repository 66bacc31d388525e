package verifier

import (
	"bytes"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// HeaderNames are the identity header names sent on an allow (docs/design.md "Answers").
// Empty fields take the defaults.
type HeaderNames struct {
	User          string // Remote-User (login email)
	UserID        string // Remote-User-Id
	Email         string // Remote-Email
	Name          string // Remote-Name
	Groups        string // Remote-Groups (roles, comma-separated)
	AuthMethod    string // Remote-Auth-Method
	APIKeyID      string // Remote-Api-Key-Id
	Scopes        string // Remote-Scopes
	ContentSHA256 string // Remote-Content-SHA256 (signed requests without a forwarded body)
	Assertion     string // Gatehouse-Assertion
	Issuer        string // Remote-Issuer (iss of an external_jwt credential, empty otherwise)
}

func (h HeaderNames) withDefaults() HeaderNames {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&h.User, "Remote-User")
	def(&h.UserID, "Remote-User-Id")
	def(&h.Email, "Remote-Email")
	def(&h.Name, "Remote-Name")
	def(&h.Groups, "Remote-Groups")
	def(&h.AuthMethod, "Remote-Auth-Method")
	def(&h.APIKeyID, "Remote-Api-Key-Id")
	def(&h.Scopes, "Remote-Scopes")
	def(&h.ContentSHA256, "Remote-Content-SHA256")
	def(&h.Assertion, "Gatehouse-Assertion")
	def(&h.Issuer, "Remote-Issuer")
	return h
}

// headerKeys are the identity header names in fasthttp's canonical form,
// computed once in New: ResponseHeader.Set would copy and normalise the
// name on every call (ten times per allow).
type headerKeys struct {
	user, userID, email, name, groups, authMethod, apiKeyID, scopes, contentSHA, assertion, issuer []byte
}

func (h HeaderNames) keys() headerKeys {
	k := func(s string) []byte { return fasthttp.AppendNormalizedHeaderKey(nil, s) }
	return headerKeys{
		user: k(h.User), userID: k(h.UserID), email: k(h.Email), name: k(h.Name),
		groups: k(h.Groups), authMethod: k(h.AuthMethod), apiKeyID: k(h.APIKeyID),
		scopes: k(h.Scopes), contentSHA: k(h.ContentSHA256), assertion: k(h.Assertion),
		issuer: k(h.Issuer),
	}
}

// roBytes returns the bytes of s without copying. The result must never
// be written to; it is only handed to fasthttp setters, which copy it.
func roBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

var (
	kindValues [kindCount][]byte // Remote-Auth-Method values by kind

	keyCacheControl    = []byte(fasthttp.HeaderCacheControl)
	keyWWWAuthenticate = []byte(fasthttp.HeaderWWWAuthenticate)
	keyLocation        = []byte(fasthttp.HeaderLocation)
)

func init() {
	for k := range kindValues {
		kindValues[k] = []byte(CredentialKind(k).String())
	}
}

var (
	contentTypeJSON   = []byte("application/json")
	wwwAuthBearer     = []byte(`Bearer realm="gatehouse"`)
	wwwAuthWithSigned = []byte(`Bearer realm="gatehouse", LSA1-HMAC-SHA256 realm="gatehouse"`)
	noStore           = []byte("no-store")
)

// writeAllow answers 200 with an empty body and every identity header,
// empty where it does not apply, so a proxy that copies them overwrites
// whatever a client sent under those names. An external_jwt identity
// (docs/design.md "External issuers") has no gatehouse account: Remote-User
// is its mapped subject, Remote-User-Id stays empty, Remote-Issuer names its
// issuer, and no Gatehouse-Assertion is signed for it.
func (v *Verifier) writeAllow(ctx *fasthttp.RequestCtx, s *scratch, now int64) {
	ctx.Response.ResetBody()
	ctx.SetStatusCode(fasthttp.StatusOK)
	h := &ctx.Response.Header
	id := &s.id
	hk := &v.hk
	var user, email, uid, name, groups, keyID, iss string
	if u := id.user; u != nil {
		user, email, uid, name, groups = u.email, u.email, u.id, u.name, u.rolesCSV
	}
	s.scopes = s.scopes[:0]
	if k := id.key; k != nil {
		keyID = k.keyID
		s.scopes = v.appendScopes(s.scopes, k, id.user)
	}
	if e := id.ext; e != nil {
		user, email, name, groups, iss = e.subject, e.email, e.name, e.groups, e.iss.iss
		s.scopes = append(s.scopes, e.scopesCSV...)
	}
	h.SetCanonical(hk.user, roBytes(user))
	h.SetCanonical(hk.userID, roBytes(uid))
	h.SetCanonical(hk.email, roBytes(email))
	h.SetCanonical(hk.name, roBytes(name))
	h.SetCanonical(hk.groups, roBytes(groups))
	h.SetCanonical(hk.authMethod, kindValues[id.kind%kindCount])
	h.SetCanonical(hk.apiKeyID, roBytes(keyID))
	h.SetCanonical(hk.scopes, s.scopes)
	h.SetCanonical(hk.contentSHA, id.contentSHA)
	h.SetCanonical(hk.issuer, roBytes(iss))
	if v.assert != nil {
		s.assertion = s.assertion[:0]
		if id.user != nil {
			s.assertion = v.assert.appendToken(s.assertion, s, now)
		}
		h.SetCanonical(hk.assertion, s.assertion)
	}
}

// writeDeny answers a deny: the reason's status and JSON body, with
// WWW-Authenticate on 401 and, for a browser navigation, a Location to the
// login page (302/303 on proxies that pass the answer through; 401 with
// Location on nginx, which maps it itself). o is nil when the original
// request is unknown or malformed. Nothing from the request is echoed
// except a validated, escaped rd value.
func (v *Verifier) writeDeny(ctx *fasthttp.RequestCtx, s *scratch, d Dialect, o *original, r Reason, kind CredentialKind) {
	ctx.Response.ResetBody()
	h := &ctx.Response.Header
	h.SetCanonical(keyCacheControl, noStore)
	status := r.Status()
	if r.isCredentialFailure() {
		if kind == KindSigned {
			h.SetCanonical(keyWWWAuthenticate, wwwAuthWithSigned)
		} else {
			h.SetCanonical(keyWWWAuthenticate, wwwAuthBearer)
		}
		if o != nil && s != nil && isBrowser(&ctx.Request.Header) {
			s.loc = append(s.loc[:0], v.loginURL...)
			var ok bool
			s.url, ok = appendOriginalURL(s.url[:0], o)
			if ok && v.redirect.Valid(s.url) {
				s.loc = append(s.loc, "?rd="...)
				s.loc = appendQueryEscape(s.loc, s.url)
			}
			h.SetCanonical(keyLocation, s.loc)
			if d.redirects() {
				if m := o.method; string(m) == fasthttp.MethodGet || string(m) == fasthttp.MethodHead {
					ctx.SetStatusCode(fasthttp.StatusFound)
				} else {
					ctx.SetStatusCode(fasthttp.StatusSeeOther)
				}
				return
			}
		}
	}
	ctx.SetStatusCode(status)
	ctx.SetContentTypeBytes(contentTypeJSON)
	ctx.Response.SetBodyRaw(r.body())
}

// isBrowser: Accept has text/html, no X-Requested-With: XMLHttpRequest,
// Sec-Fetch-Mode absent or "navigate" (docs/design.md "Answers").
func isBrowser(h *fasthttp.RequestHeader) bool {
	if !bytes.Contains(h.Peek(fasthttp.HeaderAccept), []byte("text/html")) {
		return false
	}
	if asciiEqualFold(bytes.TrimSpace(h.Peek("X-Requested-With")), "xmlhttprequest") {
		return false
	}
	m := h.Peek("Sec-Fetch-Mode")
	return len(m) == 0 || asciiEqualFold(bytes.TrimSpace(m), "navigate")
}
