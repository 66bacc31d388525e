package jwks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxRedirects bounds same-origin redirects; a redirect to another origin
// is always refused (the configured origin is the one the operator trusts).
const maxRedirects = 3

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", ErrRedirect, maxRedirects)
	}
	if !sameOrigin(via[0].URL, req.URL) {
		return fmt.Errorf("%w: to another origin", ErrRedirect)
	}
	return nil
}

// get fetches u within the Source's timeout and body bound.
func (s *Source) get(ctx context.Context, u string) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%w: %s answered %d", ErrFetch, u, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" {
		return nil, nil, fmt.Errorf("%w: %s answered an HTML page", ErrFetch, u)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.opts.MaxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: reading %s: %w", ErrFetch, u, err)
	}
	if int64(len(body)) > s.opts.MaxBody {
		return nil, nil, fmt.Errorf("%w: %s sent more than %d bytes", ErrTooLarge, u, s.opts.MaxBody)
	}
	return body, resp.Header, nil
}

// discoveryURL is where OpenID Connect Discovery 1.0 §4 puts the document.
func discoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// discover reads jwks_uri from the issuer's discovery document, whose
// issuer must equal the configured one exactly (OpenID Connect Discovery
// 1.0 §4.3), and checks it with the URL rules.
func (s *Source) discover(ctx context.Context) (string, error) {
	body, _, err := s.get(ctx, discoveryURL(s.opts.Issuer))
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("%w: discovery document: %v", ErrFetch, err)
	}
	if doc.Issuer != s.opts.Issuer {
		return "", ErrIssuerMismatch
	}
	if _, err := checkURL(doc.JWKSURI, s.opts.AllowLoopbackHTTP); err != nil {
		return "", fmt.Errorf("discovery jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}
