package verifier

import (
	"bytes"

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
	return h
}

var (
	contentTypeJSON   = []byte("application/json")
	wwwAuthBearer     = []byte(`Bearer realm="gatehouse"`)
	wwwAuthWithSigned = []byte(`Bearer realm="gatehouse", LSA1-HMAC-SHA256 realm="gatehouse"`)
	noStore           = []byte("no-store")
)

// writeAllow answers 200 with an empty body and every identity header,
// empty where it does not apply, so a proxy that copies them overwrites
// whatever a client sent under those names.
func (v *Verifier) writeAllow(ctx *fasthttp.RequestCtx, s *scratch, now int64) {
	ctx.Response.ResetBody()
	ctx.SetStatusCode(fasthttp.StatusOK)
	h := &ctx.Response.Header
	id := &s.id
	var email, uid, name, groups, keyID string
	if u := id.user; u != nil {
		email, uid, name, groups = u.email, u.id, u.name, u.rolesCSV
	}
	s.scopes = s.scopes[:0]
	if k := id.key; k != nil {
		keyID = k.keyID
		s.scopes = v.appendScopes(s.scopes, k, id.user)
	}
	h.Set(v.hdr.User, email)
	h.Set(v.hdr.UserID, uid)
	h.Set(v.hdr.Email, email)
	h.Set(v.hdr.Name, name)
	h.Set(v.hdr.Groups, groups)
	h.Set(v.hdr.AuthMethod, id.kind.String())
	h.Set(v.hdr.APIKeyID, keyID)
	h.SetBytesV(v.hdr.Scopes, s.scopes)
	h.SetBytesV(v.hdr.ContentSHA256, id.contentSHA)
	if v.assert != nil {
		s.assertion = s.assertion[:0]
		if id.user != nil {
			s.assertion = v.assert.appendToken(s.assertion, s, now)
		}
		h.SetBytesV(v.hdr.Assertion, s.assertion)
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
	h.SetCanonical([]byte(fasthttp.HeaderCacheControl), noStore)
	status := r.Status()
	if r.isCredentialFailure() {
		if kind == KindSigned {
			h.SetCanonical([]byte(fasthttp.HeaderWWWAuthenticate), wwwAuthWithSigned)
		} else {
			h.SetCanonical([]byte(fasthttp.HeaderWWWAuthenticate), wwwAuthBearer)
		}
		if o != nil && s != nil && isBrowser(&ctx.Request.Header) {
			s.loc = append(s.loc[:0], v.loginURL...)
			var ok bool
			s.url, ok = appendOriginalURL(s.url[:0], o)
			if ok && v.redirect.Valid(s.url) {
				s.loc = append(s.loc, "?rd="...)
				s.loc = appendQueryEscape(s.loc, s.url)
			}
			h.SetCanonical([]byte(fasthttp.HeaderLocation), s.loc)
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
