package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/signing"
)

const (
	lsa1Scheme = signing.LSA1Scheme
	// secretTTL is how long a decrypted signing secret stays cached.
	secretTTL = 30 * time.Second
)

// dummySigningKey stands in for the secret of an unknown key, so the
// canonical request is still MACed (same work, never matches a real
// signature by more than chance).
var dummySigningKey = signing.NewLSA1Key([]byte("gatehouse-unknown-key-dummy-secret-0000000"))

// localMarkers is a nonce store in this process (keystore/memory): map work
// only, so it is called without a per-call timeout (a context with a timer
// per signed request cost more than the map), and with the key built in
// scratch space.
type localMarkers interface {
	SetIfAbsentBytes(key []byte, ttl time.Duration) (bool, error)
}

// signedScratch is per-request space for signed-request checks.
type signedScratch struct {
	canon    []byte
	nonce    []byte
	nonceKey []byte // "lsa1:" key id ":" nonce
	bodyHex  [64]byte
	declared []byte
	h        *fasthttp.RequestHeader
	// headerFn is the method value ss.header, made once per scratch (a
	// method value built per request is an allocation).
	headerFn func(name []byte) [][]byte
}

// header returns every value of a lower-case header name from the auth
// request (the proxies copy the original request's headers onto it).
func (ss *signedScratch) header(name []byte) [][]byte {
	return ss.h.PeekAll(string(name))
}

// checkSigned verifies an LSA1-HMAC-SHA256 request (docs/design.md "Signed requests"): the
// Authorization header, the key (it must hold an encrypted signing
// secret), the signature over the canon of the original request, the key's
// state, the date skew, the nonce (set-if-absent, only after the
// signature verified), the body digest, and an active owner.
func (v *Verifier) checkSigned(ctx *fasthttp.RequestCtx, s *scratch, d Dialect, auth []byte, now int64) Reason {
	ss := &s.sig
	h := &ctx.Request.Header
	if v.keysStore == nil || v.keyring.Load() == nil || v.nonces == nil {
		return ReasonAPIKeySignatureInvalid
	}
	a, err := signing.ParseLSA1Authorization(auth)
	if err != nil {
		return ReasonAPIKeySignatureInvalid
	}

	// Body digest: the real body where the proxy forwards it, else the
	// signed declaration (or the empty-body hash).
	decl, present, ok := optHeader(h, "X-Auth-Content-Sha256")
	if !ok {
		return ReasonRequestBodyInvalid
	}
	ss.declared = append(ss.declared[:0], decl...)
	if present && !isLowerHex64(ss.declared) {
		return ReasonRequestBodyInvalid
	}
	var bodyHex []byte
	if v.forwardsBody[d] {
		if h.ContentLength() > v.signedBodyMax {
			return ReasonRequestBodyInvalid
		}
		body := ctx.Request.Body()
		if len(body) > v.signedBodyMax {
			return ReasonRequestBodyInvalid
		}
		if len(body) == 0 {
			bodyHex = append(ss.bodyHex[:0], signing.LSA1EmptyBodySHA256...)
		} else {
			sum := sha256.Sum256(body)
			hex.Encode(ss.bodyHex[:], sum[:])
			bodyHex = ss.bodyHex[:]
		}
		if present && string(ss.declared) != string(bodyHex) {
			return ReasonRequestBodyInvalid
		}
		if len(body) > 0 && !a.Signs("x-auth-content-sha256") {
			return ReasonAPIKeySignatureInvalid
		}
	} else if present {
		if !a.Signs("x-auth-content-sha256") {
			return ReasonAPIKeySignatureInvalid
		}
		bodyHex = ss.declared
	} else {
		bodyHex = append(ss.bodyHex[:0], signing.LSA1EmptyBodySHA256...)
	}

	k, r := v.lookupAPIKey(a.KeyID, now)
	if r != ReasonNone {
		return r
	}
	secret := dummySigningKey
	known := k.found && k.signingSecret != ""
	if known {
		sec, r := v.signingSecret(k, now)
		if r != ReasonNone {
			return r
		}
		if sec == nil {
			known = false
		} else {
			secret = sec
		}
	}

	ss.h = h
	if ss.headerFn == nil {
		ss.headerFn = ss.header
	}
	ss.canon, err = signing.LSA1Canonical(ss.canon[:0], signing.LSA1Input{
		Method:        s.orig.method,
		RawPath:       s.orig.path,
		RawQuery:      s.orig.query,
		Host:          s.orig.hostRaw,
		SignedHeaders: a.SignedHeaders,
		Header:        ss.headerFn,
		BodySHA256Hex: bodyHex,
	})
	ss.h = nil
	if err != nil {
		if err == signing.ErrLSA1BodyDigest {
			return ReasonRequestBodyInvalid
		}
		return ReasonAPIKeySignatureInvalid
	}
	if !secret.Verify(ss.canon, a.Signature) || !known {
		return ReasonAPIKeySignatureInvalid
	}
	if r := v.keyState(k, now); r != ReasonNone {
		return r
	}

	date, ok := oneHeader(h, "X-Auth-Date")
	if !ok {
		return ReasonAPIKeySignatureInvalid
	}
	t, err := signing.ParseLSA1Date(date)
	if err != nil {
		return ReasonAPIKeySignatureInvalid
	}
	// Sub saturates; t.UnixNano would wrap for dates past 2262 and could
	// land on "now".
	if skew := int64(time.Unix(0, now).Sub(t)); skew > v.maxSkew || skew < -v.maxSkew {
		return ReasonAPIKeySignatureTimestampSkew
	}
	nonce, ok := oneHeader(h, "X-Auth-Nonce")
	if !ok {
		return ReasonAPIKeySignatureInvalid
	}
	ss.nonce = signing.AppendLSA1HeaderValue(ss.nonce[:0], nonce)
	if !signing.ValidLSA1Nonce(ss.nonce) {
		return ReasonAPIKeySignatureInvalid
	}
	fresh, err := v.markNonce(ss, k.keyID)
	if err != nil {
		v.storeFailed("nonces", err)
		return ReasonTokenProcessingFailed
	}
	if !fresh {
		return ReasonAPIKeySignatureNonceReplay
	}
	s.id.contentSHA = append(s.id.contentSHA[:0], bodyHex...)
	return v.finishKey(s, k, KindSigned, now)
}

// markNonce records the nonce in ss.nonce for key keyID, kept 2 × max_skew
// (docs/design.md "Signed requests"), and reports whether it was new.
func (v *Verifier) markNonce(ss *signedScratch, keyID string) (bool, error) {
	ttl := 2 * time.Duration(v.maxSkew)
	ss.nonceKey = append(append(append(append(ss.nonceKey[:0], "lsa1:"...), keyID...), ':'), ss.nonce...)
	if v.localNonces != nil {
		return v.localNonces.SetIfAbsentBytes(ss.nonceKey, ttl)
	}
	ctx, cancel := v.storeCtx()
	defer cancel()
	return v.nonces.SetIfAbsent(ctx, string(ss.nonceKey), ttl)
}

// signingSecret returns the decrypted signing secret of k, keyed for
// verification, cached by key id for secretTTL and re-opened when the
// envelope changes. nil means the envelope cannot be opened with the
// configured keyring (the key cannot sign).
func (v *Verifier) signingSecret(k *keySnap, now int64) (*signing.LSA1Key, Reason) {
	if sec, ok := v.secrets.get([]byte(k.keyID), now); ok && sec.envelope == k.signingSecret {
		return sec.key, ReasonNone
	}
	pt, err := v.keyring.Load().Open(k.signingSecret)
	if err != nil {
		// Never log the envelope or the key id with the failure.
		v.log.Warn().Msg("verifier: an API key signing secret could not be decrypted with the configured keyring")
		return nil, ReasonNone
	}
	key := signing.NewLSA1Key(pt)
	clear(pt)
	v.secrets.put(k.keyID, &secretSnap{envelope: k.signingSecret, key: key}, now)
	return key, ReasonNone
}

func isLowerHex64(b []byte) bool {
	if len(b) != 64 {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
