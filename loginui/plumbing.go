package loginui

import (
	"net/http"

	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The portal's request plumbing lives in loginui/internal/web; these are
// the short names the core uses for it.

const (
	maxJSONBody    = web.MaxJSONBody
	csrfCookieName = web.CSRFCookieName
	csrfHeader     = web.CSRFHeader
	csrfFormField  = web.CSRFFormField
	csrfPreBinding = web.CSRFPreBinding

	refreshCookieSuffix = web.RefreshCookieSuffix
)

var errBadBody = web.ErrBadBody

func writeJSON(w http.ResponseWriter, status int, v any) { web.WriteJSON(w, status, v) }

func decodeJSON(r *http.Request, dst any, allowEmpty bool) error {
	return web.DecodeJSON(r, dst, allowEmpty)
}

func parseForm(w http.ResponseWriter, r *http.Request) bool { return web.ParseForm(w, r) }

func cookieValue(r *http.Request, name string) string { return web.CookieValue(r, name) }

func isSafeMethod(m string) bool { return web.IsSafeMethod(m) }

// padded pads h to MinResponseTime (web.Padded).
func (p *Portal) padded(h http.HandlerFunc) http.HandlerFunc {
	return web.Padded(p.o.MinResponseTime, h)
}

// jsonRoute adapts a JSON handler that returns its error.
func jsonRoute(h web.Handler) http.HandlerFunc { return web.JSON(h) }

// pageRoute adapts a page handler that returns its error.
func (p *Portal) pageRoute(h web.Handler) http.HandlerFunc {
	return web.Page(web.ErrorPagerFunc(p.renderError), h)
}

// renderError is the portal's web.ErrorPager: a store failure (or an error
// nobody mapped) is the store page; any other error is a message page
// with the error's status and detail.
func (p *Portal) renderError(w http.ResponseWriter, _ *http.Request, e *web.Error) {
	if e.Code == CodeTokenProcessingFailed && e.Status == http.StatusServiceUnavailable && e.Detail == opStore.Detail {
		p.renderStoreError(w)
		return
	}
	e.SetHeaders(w)
	p.renderMessage(w, e.Status, http.StatusText(e.Status), "", e.Detail)
}

// csrfBinding is what a request's CSRF token must be bound to.
func csrfBinding(c *caller) []byte {
	if c != nil && c.viaCookie {
		return c.digest
	}
	return []byte(csrfPreBinding)
}

// rate is the rate limit of slot for keys (web.Limiter.Allow).
func (p *Portal) rate(r *http.Request, slot string, keys ...[]string) *opErr {
	return p.limiter.Allow(r, slot, keys...)
}

// onRateLimited audits a refusal over a limit and calls the hook.
func (p *Portal) onRateLimited(slot string) {
	p.log.Info().Str("audit", "rate_limited").Str("slot", slot).Msg("audit")
	if p.o.OnRateLimited != nil {
		p.o.OnRateLimited(slot)
	}
}

// clientIP is the request's client address (web.ClientIP).
func (p *Portal) clientIP(r *http.Request) string {
	return web.ClientIP(r, p.o.TrustedProxies, p.o.TrustedHops)
}

// errorPage renders err as a page (web.As maps it) for helpers that
// answer themselves.
func (p *Portal) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	p.renderError(w, r, web.As(err))
}
