package loginui

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// JWT audiences (docs/design.md "Access JWT").
const (
	audAccess = "gatehouse:access"
	audVerify = "gatehouse:verify"
	audReset  = "gatehouse:reset-password"
)

// errToken is returned for every token that does not verify; callers map
// it to their route's code and never show the cause.
var errToken = errors.New("loginui: token invalid")

// tokenClaims is the part of a verified JWT the portal uses (copied out
// of the verifier's scratch).
type tokenClaims struct {
	Subject   string
	JTI       string
	SFP       string
	SID       string
	ExpiresAt time.Time
	// FirstFactor is the ff claim of a TOTP pending token: the AuthMethod
	// of the login's first step ("password", "oauth:<provider>"); empty
	// for every other token.
	FirstFactor string
}

// claimFirstFactor names, in a TOTP pending token, the login method of the
// first step, so the second step records what the session was really
// opened with.
const claimFirstFactor = "ff"

// jwtCodec issues and verifies the JWTs of one audience.
type jwtCodec struct {
	iss *signing.JWTIssuer
	ver *signing.JWTVerifier
	// firstFactor: tokens carry the ff claim (TOTP pending tokens).
	firstFactor bool
}

// newJWTCodec signs with the key of keys that activeKID names (see
// signing.ActiveJWTKey; "" for a single HS256 secret without kid) and
// verifies with all of them.
func newJWTCodec(issuer, audience string, keys []signing.JWTKey, activeKID string) (*jwtCodec, error) {
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
	return &jwtCodec{iss: iss, ver: ver}, nil
}

func (c *jwtCodec) issue(sub, jti, sfp, sid string, lifetime time.Duration, now time.Time) (string, error) {
	return c.iss.Issue(signing.IssueClaims{Subject: sub, JTI: jti, SFP: sfp, SID: sid, Lifetime: lifetime}, now)
}

// issueFirstFactor issues a token that also carries the first login factor
// (codecs built with firstFactor only).
func (c *jwtCodec) issueFirstFactor(sub, jti, sfp, firstFactor string, lifetime time.Duration, now time.Time) (string, error) {
	if !c.firstFactor || firstFactor == "" {
		return "", errToken
	}
	return c.iss.Issue(signing.IssueClaims{Subject: sub, JTI: jti, SFP: sfp, Lifetime: lifetime,
		Extra: map[string]any{claimFirstFactor: firstFactor}}, now)
}

// verify checks signature, typ, alg, iss, aud and times (with leeway).
func (c *jwtCodec) verify(tok string, now time.Time) (tokenClaims, error) {
	if len(tok) == 0 || len(tok) > signing.MaxTokenLen {
		return tokenClaims{}, errToken
	}
	var scratch signing.JWTScratch
	var cl signing.AccessClaims
	if err := c.ver.Verify([]byte(tok), now, &scratch, &cl); err != nil {
		return tokenClaims{}, errToken
	}
	out := tokenClaims{
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
			return tokenClaims{}, errToken
		}
		out.FirstFactor = *ff.FF
	}
	return out, nil
}

// accessFingerprint is the sfp of a user's access JWTs: it changes with the
// email or the password hash, which kills every earlier token.
func (p *Portal) accessFingerprint(u *keystore.User) string {
	return signing.SessionFingerprint(p.o.Secrets.Fingerprint, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash)
}

// tokenDigest is the stored form of an opaque token.
func (p *Portal) tokenDigest(tok string) []byte {
	d := signing.TokenDigest(p.o.Secrets.TokenHash, []byte(tok))
	return d[:]
}
