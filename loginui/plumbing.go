package loginui

import (
	"net/http"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The portal's request plumbing lives in loginui/internal/web; these are
// the core's settings of it.

// padded pads h to MinResponseTime (web.Padded).
func (p *Portal) padded(h http.HandlerFunc) http.HandlerFunc {
	return web.Padded(p.o.MinResponseTime, h)
}

// pageRoute adapts a page handler that returns its error.
func (p *Portal) pageRoute(h web.Handler) http.HandlerFunc {
	return web.Page(web.ErrorPagerFunc(p.renderError), h)
}

// renderError is the portal's web.ErrorPager: a store failure (or an error
// nobody mapped) is the store page; any other error is a message page
// with the error's status and detail.
func (p *Portal) renderError(w http.ResponseWriter, _ *http.Request, e *web.Error) {
	if e.Code == CodeTokenProcessingFailed && e.Status == http.StatusServiceUnavailable && e.Detail == web.Unavailable.Detail {
		p.renderStoreError(w)
		return
	}
	e.SetHeaders(w)
	p.renderMessage(w, e.Status, http.StatusText(e.Status), "", e.Detail)
}

// errorPage renders err as a page (web.As maps it) for helpers that
// answer themselves.
func (p *Portal) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	p.renderError(w, r, web.As(err))
}

// csrfBinding is what a request's CSRF token must be bound to.
func csrfBinding(c *feature.Caller) []byte {
	if c != nil && c.ViaCookie {
		return c.Digest
	}
	return []byte(web.CSRFPreBinding)
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

func (p *Portal) audit(event, userID string) {
	p.log.Info().Str("audit", event).Str("user_id", userID).Msg("audit")
}
