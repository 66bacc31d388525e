package verifier

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AssertionOptions turn on the Gatehouse-Assertion header: a short-lived
// EdDSA JWT of the identity, which upstreams verify against the JWKS
// (publish the public half of Key under KeyID there, e.g. with
// signing.JWKS).
type AssertionOptions struct {
	Key      ed25519.PrivateKey
	KeyID    string        // "kid" header; printable ASCII without quotes
	Issuer   string        // "iss"; default Options.PublicURL without trailing slash
	Audience string        // "aud"; default "gatehouse:assertion"
	Lifetime time.Duration // default 60 s
}

// assertioner signs identity assertions.
type assertioner struct {
	key      ed25519.PrivateKey
	header   string // encoded header segment with the trailing '.'
	issuer   string
	audience string
	lifetime int64 // seconds
}

func newAssertioner(o *AssertionOptions, publicURL string) (*assertioner, error) {
	if len(o.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("verifier: assertion key must be an Ed25519 private key")
	}
	if o.KeyID == "" || !headerSafe(o.KeyID) || strings.ContainsAny(o.KeyID, "\"\\") || !utf8.ValidString(o.KeyID) {
		return nil, errors.New("verifier: assertion key id must be printable without quotes or backslashes")
	}
	a := &assertioner{
		key:      o.Key,
		issuer:   o.Issuer,
		audience: o.Audience,
		lifetime: int64(o.Lifetime / time.Second),
	}
	if a.issuer == "" {
		a.issuer = strings.TrimRight(publicURL, "/")
	}
	if a.audience == "" {
		a.audience = "gatehouse:assertion"
	}
	if a.lifetime <= 0 {
		a.lifetime = 60
	}
	hdr := `{"alg":"EdDSA","typ":"JWT","kid":"` + o.KeyID + `"}`
	a.header = base64.RawURLEncoding.EncodeToString([]byte(hdr)) + "."
	return a, nil
}

// appendToken appends a signed assertion of s.id to dst. Claims: iss, aud,
// sub (user id), email, name, roles, amr (credential kind), api_key_id and
// scopes when an API key was used, iat, nbf, exp.
func (a *assertioner) appendToken(dst []byte, s *scratch, now int64) []byte {
	id := &s.id
	u := id.user
	sec := now / int64(time.Second)
	c := s.claimsJSON[:0]
	c = append(c, `{"iss":`...)
	c = appendJSONString(c, a.issuer)
	c = append(c, `,"aud":`...)
	c = appendJSONString(c, a.audience)
	c = append(c, `,"sub":`...)
	c = appendJSONString(c, u.id)
	c = append(c, `,"email":`...)
	c = appendJSONString(c, u.email)
	c = append(c, `,"name":`...)
	c = appendJSONString(c, u.name)
	c = append(c, `,"roles":[`...)
	for i, r := range u.roles {
		if i > 0 {
			c = append(c, ',')
		}
		c = appendJSONString(c, r)
	}
	c = append(c, `],"amr":`...)
	c = appendJSONString(c, id.kind.String())
	if k := id.key; k != nil {
		c = append(c, `,"api_key_id":`...)
		c = appendJSONString(c, k.keyID)
		c = append(c, `,"scopes":`...)
		c = appendJSONString(c, string(s.scopes))
	}
	c = append(c, `,"iat":`...)
	c = strconv.AppendInt(c, sec, 10)
	c = append(c, `,"nbf":`...)
	c = strconv.AppendInt(c, sec, 10)
	c = append(c, `,"exp":`...)
	c = strconv.AppendInt(c, sec+a.lifetime, 10)
	c = append(c, '}')
	s.claimsJSON = c

	start := len(dst)
	dst = append(dst, a.header...)
	dst = base64.RawURLEncoding.AppendEncode(dst, c)
	sig := ed25519.Sign(a.key, dst[start:])
	dst = append(dst, '.')
	dst = base64.RawURLEncoding.AppendEncode(dst, sig)
	return dst
}

// appendJSONString appends s as a JSON string, escaping quotes,
// backslashes, control bytes and invalid UTF-8 (as U+FFFD).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
