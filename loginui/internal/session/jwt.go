package session

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/signing"
)

// ErrToken is returned for every token that does not verify; callers map
// it to their route's code and never show the cause.
var ErrToken = errors.New("loginui: token invalid")

// claimFirstFactor names, in a TOTP pending token, the login method of the
// first step, so the second step records what the session was really
// opened with.
const claimFirstFactor = "ff"

// JWT issues and verifies the JWTs of one audience (access tokens, and
// the feature tokens: verify, reset, TOTP pending and enrollment). It is a
// feature.Tokens, so the keys never reach a feature.
type JWT struct {
	iss *signing.JWTIssuer
	ver *signing.JWTVerifier
	// firstFactor: tokens carry the ff claim (TOTP pending tokens).
	firstFactor bool
}

var _ feature.Tokens = (*JWT)(nil)

// NewJWT signs with the key of keys that activeKID names (see
// signing.ActiveJWTKey; "" for a single HS256 secret without kid) and
// verifies with all of them. With firstFactor every token carries the
// login's first factor (TOTP pending tokens) and one without it does not
// verify.
func NewJWT(issuer, audience string, keys []signing.JWTKey, activeKID string, firstFactor bool) (*JWT, error) {
	active, err := signing.ActiveJWTKey(keys, activeKID)
	if err != nil {
		return nil, err
	}
	iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: issuer, Audience: audience, Key: active})
	if err != nil {
		return nil, err
	}
	ver, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{Issuer: issuer, Audience: audience, Leeway: 30 * time.Second, Keys: keys})
	if err != nil {
		return nil, err
	}
	return &JWT{iss: iss, ver: ver, firstFactor: firstFactor}, nil
}

// Issue signs a token for sub bound to binding (the sfp claim);
// firstFactor is required by a first-factor codec and refused by any
// other.
func (c *JWT) Issue(sub, jti, binding, firstFactor string, lifetime time.Duration, now time.Time) (string, error) {
	if c.firstFactor {
		return c.issueFirstFactor(sub, jti, binding, firstFactor, lifetime, now)
	}
	if firstFactor != "" {
		return "", ErrToken
	}
	return c.issue(sub, jti, binding, "", lifetime, now)
}

func (c *JWT) issue(sub, jti, sfp, sid string, lifetime time.Duration, now time.Time) (string, error) {
	return c.iss.Issue(signing.IssueClaims{Subject: sub, JTI: jti, SFP: sfp, SID: sid, Lifetime: lifetime}, now)
}

// issueFirstFactor issues a token that also carries the first login factor
// (codecs built with firstFactor only).
func (c *JWT) issueFirstFactor(sub, jti, sfp, firstFactor string, lifetime time.Duration, now time.Time) (string, error) {
	if !c.firstFactor || firstFactor == "" {
		return "", ErrToken
	}
	return c.iss.Issue(signing.IssueClaims{Subject: sub, JTI: jti, SFP: sfp, Lifetime: lifetime,
		Extra: map[string]any{claimFirstFactor: firstFactor}}, now)
}

// Verify checks signature, typ, alg, iss, aud and times (with leeway).
func (c *JWT) Verify(tok string, now time.Time) (feature.Claims, error) {
	if len(tok) == 0 || len(tok) > signing.MaxTokenLen {
		return feature.Claims{}, ErrToken
	}
	var scratch signing.JWTScratch
	var cl signing.AccessClaims
	if err := c.ver.Verify([]byte(tok), now, &scratch, &cl); err != nil {
		return feature.Claims{}, ErrToken
	}
	out := feature.Claims{
		Subject:   string(cl.Sub),
		JTI:       string(cl.JTI),
		SFP:       string(cl.SFP),
		SID:       string(cl.SID),
		ExpiresAt: time.Unix(cl.ExpiresAt, 0),
	}
	if c.firstFactor {
		// The payload is already strict JSON without duplicate names. A
		// missing or non-string ff (a token of an earlier version) is
		// refused: its first factor is unknown.
		var ff struct {
			FF *string `json:"ff"`
		}
		if json.Unmarshal(cl.Payload, &ff) != nil || ff.FF == nil || *ff.FF == "" {
			return feature.Claims{}, ErrToken
		}
		out.FirstFactor = *ff.FF
	}
	return out, nil
}
