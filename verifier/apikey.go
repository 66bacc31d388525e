package verifier

import (
	"bytes"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// touchInterval is how often last_used_at is written per key at most.
const touchInterval = int64(time.Minute)

// isAPIKeyToken reports whether a bearer token has the API-key shape
// "<prefix>_...".
func (v *Verifier) isAPIKeyToken(b []byte) bool {
	return len(b) > len(v.apiKeyPrefixU) && bytes.HasPrefix(b, v.apiKeyPrefixU)
}

// checkAPIKey verifies a bearer API key: shape, record, secret digest
// (constant time, spent even for unknown ids), then revocation, expiry,
// the bearer ban on signing-only keys, and an active owner.
func (v *Verifier) checkAPIKey(s *scratch, raw []byte, now int64) Reason {
	if len(raw) == 0 || len(raw) > maxAPIKeyLen || v.keysStore == nil || v.keyHasher == nil {
		return ReasonAPIKeyInvalid
	}
	parts, err := signing.ParseAPIKey(raw, v.apiKeyPrefix)
	if err != nil {
		_ = v.keyHasher.Digest(raw) // same work as a well-formed key
		return ReasonAPIKeyInvalid
	}
	k, r := v.lookupAPIKey(parts.KeyID, now)
	if r != ReasonNone {
		return r
	}
	if !k.found {
		_ = v.keyHasher.Digest(parts.Secret)
		return ReasonAPIKeyInvalid
	}
	if !v.keyHasher.Match(parts.Secret, k.digest) || string(parts.Env) != k.env {
		return ReasonAPIKeyInvalid
	}
	if r := v.keyState(k, now); r != ReasonNone {
		return r
	}
	if k.signingRequired {
		return ReasonAPIKeyInvalid
	}
	return v.finishKey(s, k, KindAPIKey, now)
}

// keyState checks revocation and expiry.
func (v *Verifier) keyState(k *keySnap, now int64) Reason {
	if k.revokedAt != 0 && now >= k.revokedAt {
		return ReasonAPIKeyRevoked
	}
	if k.expiresAt != 0 && now >= k.expiresAt {
		return ReasonAPIKeyExpired
	}
	return ReasonNone
}

// finishKey loads the owner, records the identity and queues a
// last_used_at write.
func (v *Verifier) finishKey(s *scratch, k *keySnap, kind CredentialKind, now int64) Reason {
	u, r := v.lookupUser([]byte(k.userID), now)
	if r != ReasonNone {
		return r
	}
	if !u.found || !u.active {
		return ReasonAPIKeyInvalid
	}
	s.id.kind = kind
	s.id.user = u
	s.id.key = k
	v.touch(k, now)
	return ReasonNone
}

// touch queues a last_used_at write at most once a minute per key, off the
// hot path. When the queue is full the write is dropped: last_used_at is
// advisory.
func (v *Verifier) touch(k *keySnap, now int64) {
	if v.touchCh == nil {
		return
	}
	last := k.touched.Load()
	if now-last < touchInterval || !k.touched.CompareAndSwap(last, now) {
		return
	}
	select {
	case v.touchCh <- k.keyID:
	default:
	}
}

// touchLoop writes queued last_used_at values until Close.
func (v *Verifier) touchLoop() {
	defer v.wg.Done()
	for {
		select {
		case <-v.done:
			return
		case id := <-v.touchCh:
			ctx, cancel := v.storeCtx()
			err := v.keysStore.TouchAPIKey(ctx, id, v.now())
			cancel()
			if err != nil {
				v.storeFailed("api_keys_touch", err)
			}
		}
	}
}

// effectiveScopeOK reports whether the key grants scope, narrowed by the
// owner's current roles when ScopeSubsetCheck is on (a scope then also
// needs a role of the same name, or a superuser owner).
func (v *Verifier) effectiveScopeOK(k *keySnap, u *userSnap, scope string) bool {
	has := false
	for _, sc := range k.scopes {
		if sc == scope {
			has = true
			break
		}
	}
	if !has {
		return false
	}
	if v.scopeSubset && !u.superuser && !u.hasRole(scope) {
		return false
	}
	return true
}

// keyPredatesVerification reports whether API key k (nil for other
// credentials) was created before its owner's current email was verified.
// The portal revokes such keys when the address is verified; this keeps a
// leftover (a revocation that did not finish) from meeting a
// verified_email rule. Owners verified before the time was recorded have
// verifiedAt 0 and are not affected.
func keyPredatesVerification(k *keySnap, u *userSnap) bool {
	return k != nil && u.verifiedAt != 0 && k.createdAt < u.verifiedAt
}

// appendScopes appends the effective scopes of k, comma-separated.
func (v *Verifier) appendScopes(dst []byte, k *keySnap, u *userSnap) []byte {
	first := true
	for _, sc := range k.scopes {
		if v.scopeSubset && !u.superuser && !u.hasRole(sc) {
			continue
		}
		if containsByte(sc, ' ') {
			continue // Remote-Scopes is comma-separated without spaces
		}
		if !first {
			dst = append(dst, ',')
		}
		dst = append(dst, sc...)
		first = false
	}
	return dst
}
