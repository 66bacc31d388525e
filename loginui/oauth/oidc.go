package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Bounds on what a provider may send us.
const (
	maxDiscoveryBytes = 256 << 10
	maxJWKSBytes      = 1 << 20
	maxJWKSKeys       = 64
	maxIDTokenBytes   = 16 << 10
	maxAPIBytes       = 1 << 20
	// discoveryTTL: a good discovery document is reused this long.
	discoveryTTL = 24 * time.Hour
	// oidcRetryAfter: after a failed fetch (discovery or keys), the next
	// attempt waits this long, so a dead provider is not hammered.
	oidcRetryAfter = 10 * time.Second
	// jwksMinRefresh: an unknown kid refreshes the key set at most this
	// often.
	jwksMinRefresh = 10 * time.Second
	idTokenLeeway  = 30 * time.Second
	minRSABits     = 2048
)

var (
	errOIDCDiscovery = errors.New("loginui: oidc discovery failed")
	errOIDCKeys      = errors.New("loginui: oidc key set unavailable")
	errIDToken       = errors.New("loginui: id token invalid")
	errProviderHTTP  = errors.New("loginui: provider call failed")
)

// oidcDiscovery is the part of the discovery document we use.
type oidcDiscovery struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
}

// oidcClient discovers an issuer lazily and caches its metadata and keys.
// Nothing is fetched before the first login, so a provider that is down
// never delays the portal's start; failures are retried after
// oidcRetryAfter.
type oidcClient struct {
	issuer   string
	clientID string
	http     *http.Client
	now      func() time.Time

	mu        sync.Mutex
	disc      *oidcDiscovery
	discAt    time.Time
	discErrAt time.Time
	keys      map[string]any // kid -> *rsa.PublicKey | *ecdsa.PublicKey
	keysAt    time.Time
}

func newOIDCClient(issuer, clientID string, c *http.Client, now func() time.Time) *oidcClient {
	return &oidcClient{issuer: issuer, clientID: clientID, http: c, now: now}
}

// getJSON GETs u (with an optional bearer token) and decodes at most limit
// bytes of a 200 answer into v. Errors never carry the body or the token.
func getJSON(ctx context.Context, c *http.Client, u, bearer string, limit int64, v any) error {
	ctx, cancel := context.WithTimeout(ctx, oauthHTTPTimout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return errProviderHTTP
	}
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := c.Do(req)
	if err != nil {
		return errProviderHTTP
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
		return fmt.Errorf("%w: status %d", errProviderHTTP, res.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil || int64(len(b)) > limit {
		return errProviderHTTP
	}
	if json.Unmarshal(b, v) != nil {
		return errProviderHTTP
	}
	return nil
}

// sameSchemeOrHTTPS: discovered endpoints must be https, or http only
// when the issuer itself is http (loopback development issuers).
func (c *oidcClient) endpointOK(s string) bool {
	if !validEndpoint(s) {
		return false
	}
	u, _ := url.Parse(s)
	return u.Scheme == "https" || strings.HasPrefix(c.issuer, "http://")
}

// discover returns the issuer's metadata, fetching it when not cached.
func (c *oidcClient) discover(ctx context.Context) (*oidcDiscovery, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.disc != nil && now.Sub(c.discAt) < discoveryTTL {
		return c.disc, nil
	}
	if !c.discErrAt.IsZero() && now.Sub(c.discErrAt) < oidcRetryAfter && now.After(c.discErrAt.Add(-time.Second)) {
		if c.disc != nil {
			return c.disc, nil
		}
		return nil, errOIDCDiscovery
	}
	var d oidcDiscovery
	err := getJSON(ctx, c.http, strings.TrimSuffix(c.issuer, "/")+"/.well-known/openid-configuration", "", maxDiscoveryBytes, &d)
	if err == nil && (d.Issuer != c.issuer || !c.endpointOK(d.AuthorizationEndpoint) || !c.endpointOK(d.TokenEndpoint) || !c.endpointOK(d.JWKSURI) ||
		(d.UserinfoEndpoint != "" && !c.endpointOK(d.UserinfoEndpoint))) {
		err = errOIDCDiscovery
	}
	if err != nil {
		c.discErrAt = now
		if c.disc != nil {
			// Keep serving the last good document while the issuer is down.
			return c.disc, nil
		}
		return nil, errOIDCDiscovery
	}
	c.disc, c.discAt, c.discErrAt = &d, now, time.Time{}
	return c.disc, nil
}

// jwk is one key of a JWKS document.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS keeps the usable signing keys: RSA of at least 2048 bits and
// EC P-256. Others are skipped.
func parseJWKS(b []byte) (map[string]any, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Keys) > maxJWKSKeys {
		return nil, errOIDCKeys
	}
	out := map[string]any{}
	dec := base64.RawURLEncoding
	for _, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch {
		case k.Kty == "RSA" && (k.Alg == "" || k.Alg == "RS256"):
			nb, err1 := dec.DecodeString(k.N)
			eb, err2 := dec.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(eb) == 0 || len(eb) > 4 {
				continue
			}
			n := new(big.Int).SetBytes(nb)
			e := int(new(big.Int).SetBytes(eb).Int64())
			if n.BitLen() < minRSABits || e < 3 || e%2 == 0 {
				continue
			}
			out[k.Kid] = &rsa.PublicKey{N: n, E: e}
		case k.Kty == "EC" && k.Crv == "P-256" && (k.Alg == "" || k.Alg == "ES256"):
			xb, err1 := dec.DecodeString(k.X)
			yb, err2 := dec.DecodeString(k.Y)
			if err1 != nil || err2 != nil || len(xb) != 32 || len(yb) != 32 {
				continue
			}
			// Uncompressed point encoding; NewPublicKey checks it is on
			// the curve.
			pt := append(append([]byte{4}, xb...), yb...)
			pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
			if err != nil {
				continue
			}
			out[k.Kid] = pk
		}
	}
	return out, nil
}

// key returns the verification key for kid, refreshing the key set when
// kid is unknown (key rotation), at most once per jwksMinRefresh.
func (c *oidcClient) key(ctx context.Context, kid string) (any, error) {
	d, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.lookup(kid); k != nil {
		return k, nil
	}
	now := c.now()
	if c.keys != nil && now.Sub(c.keysAt) < jwksMinRefresh && now.After(c.keysAt.Add(-time.Second)) {
		return nil, errOIDCKeys
	}
	ctx, cancel := context.WithTimeout(ctx, oauthHTTPTimout)
	defer cancel()
	var raw json.RawMessage
	c.keysAt = now
	if err := getJSON(ctx, c.http, d.JWKSURI, "", maxJWKSBytes, &raw); err != nil {
		return nil, errOIDCKeys
	}
	keys, err := parseJWKS(raw)
	if err != nil {
		return nil, errOIDCKeys
	}
	c.keys = keys
	if k := c.lookup(kid); k != nil {
		return k, nil
	}
	return nil, errOIDCKeys
}

// lookup finds kid; a token without kid matches only a key set of one.
// The caller holds mu.
func (c *oidcClient) lookup(kid string) any {
	if kid == "" {
		if len(c.keys) == 1 {
			for _, k := range c.keys {
				return k
			}
		}
		return nil
	}
	return c.keys[kid]
}

// idTokenClaims are the claims we read from an ID token.
type idTokenClaims struct {
	jwt.RegisteredClaims
	Nonce         string `json:"nonce"`
	AZP           string `json:"azp"`
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"`
	Name          string `json:"name"`
}

// verifyIDToken checks an ID token: RS256 or ES256 signature by a key of
// the issuer's JWKS, iss equal to the issuer, aud containing our client id
// (and azp equal to it when there are several audiences), exp, iat and
// nonce.
func (c *oidcClient) verifyIDToken(ctx context.Context, raw, nonce string) (*idTokenClaims, error) {
	if raw == "" || len(raw) > maxIDTokenBytes {
		return nil, errIDToken
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256", "ES256"}),
		jwt.WithIssuer(c.issuer),
		jwt.WithAudience(c.clientID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(idTokenLeeway),
		jwt.WithTimeFunc(c.now),
	)
	var cl idTokenClaims
	_, err := parser.ParseWithClaims(raw, &cl, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if _, present := t.Header["kid"]; present && kid == "" {
			return nil, errIDToken
		}
		return c.key(ctx, kid)
	})
	if err != nil {
		return nil, errIDToken
	}
	if cl.IssuedAt == nil || cl.Subject == "" || len(cl.Subject) > 255 {
		return nil, errIDToken
	}
	if len(cl.Audience) > 1 && cl.AZP != c.clientID {
		return nil, errIDToken
	}
	if nonce == "" || !constEq(cl.Nonce, nonce) {
		return nil, errIDToken
	}
	return &cl, nil
}

// emailVerifiedClaim reads email_verified, which some providers send as a
// string.
func emailVerifiedClaim(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}
