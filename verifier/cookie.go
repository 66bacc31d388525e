package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"

	"github.com/gatehouse/gatehouse/keystore"
)

// macPool hands out HMAC-SHA256 states keyed with one key, so a digest on
// the hot path allocates nothing. The output equals signing.TokenDigest.
type macPool struct{ p sync.Pool }

func newMACPool(key []byte) *macPool {
	k := append([]byte(nil), key...)
	return &macPool{p: sync.Pool{New: func() any { return hmac.New(sha256.New, k) }}}
}

// sum writes HMAC-SHA256(key, msg) into out.
func (m *macPool) sum(msg []byte, out *[32]byte) {
	h := m.p.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	h.Sum(out[:0])
	m.p.Put(h)
}

// checkCookie verifies a session cookie: digest, session record (kind
// "session", not expired), and an active owner.
func (v *Verifier) checkCookie(s *scratch, token []byte, now int64) Reason {
	if len(token) > maxCookieLen || v.sessionsStore == nil || v.tokenMAC == nil {
		return ReasonAuthenticationFailed
	}
	v.tokenMAC.sum(token, &s.digest)
	sess, r := v.lookupSession(s.digest[:], now)
	if r != ReasonNone {
		return r
	}
	if !sess.found || sess.kind != keystore.KindSession || now >= sess.expiresAt {
		return ReasonAuthenticationFailed
	}
	u, r := v.lookupUser([]byte(sess.userID), now)
	if r != ReasonNone {
		return r
	}
	if !u.found || !u.active {
		return ReasonAuthenticationFailed
	}
	s.id.kind = KindCookie
	s.id.user = u
	s.id.stepUpUntil = sess.stepUpUntil
	s.id.factors = sess.factors
	return ReasonNone
}
