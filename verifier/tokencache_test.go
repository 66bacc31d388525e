package verifier_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/coherence"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// cacheEnv is an env whose verifier accepts HS256, EdDSA and ES256 access
// tokens, with a token cache whose TTL outlives the tokens it is given.
type cacheEnv struct {
	*env
	issuers map[string]*signing.JWTIssuer // by algorithm
}

var cacheAlgs = []string{signing.AlgHS256, signing.AlgEdDSA, signing.AlgES256}

func newCacheEnv(t testing.TB, mut func(*verifier.Options)) *cacheEnv {
	t.Helper()
	hsJWT := signing.JWTKey{Alg: signing.AlgHS256, HMAC: hsKey}
	edKey, _, err := signing.GenerateEd25519Key("ed-cache")
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	esKey := signing.JWTKey{KID: "es-cache", Alg: signing.AlgES256, ECDSAPrivate: ecPriv, ECDSAPublic: &ecPriv.PublicKey}
	keys := []signing.JWTKey{hsJWT, edKey, esKey}
	jv, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{Issuer: issuer, Audience: accessAud, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	ce := &cacheEnv{issuers: map[string]*signing.JWTIssuer{}}
	for _, k := range keys {
		iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: issuer, Audience: accessAud, Key: k})
		if err != nil {
			t.Fatal(err)
		}
		ce.issuers[k.Alg] = iss
	}
	ce.env = newEnv(t, func(o *verifier.Options) {
		o.JWT = jv
		o.TokenCacheEntries = 1024
		o.TokenCacheTTL = time.Hour
		if mut != nil {
			mut(o)
		}
	})
	return ce
}

// token issues an access token of alg for a user as stored now, with the
// given jti (empty: random) and refresh chain (empty: none).
func (ce *cacheEnv) token(alg, userID, jti, sid string, life time.Duration) string {
	ce.t.Helper()
	u := ce.user(userID)
	sfp := signing.SessionFingerprint(fpKey, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash)
	tok, err := ce.issuers[alg].Issue(signing.IssueClaims{Subject: userID, JTI: jti, SID: sid, SFP: sfp, Lifetime: life}, ce.clk.Now())
	if err != nil {
		ce.t.Fatal(err)
	}
	return tok
}

func (ce *cacheEnv) ask(tok string) answer {
	return ce.do(bearer(fwd("nginx", "GET", "https://app.example.test/api/items"), tok))
}

// cached asks once with tok, which must be allowed and then cached.
func (ce *cacheEnv) cached(t *testing.T, tok string) {
	t.Helper()
	wantAllow(t, ce.ask(tok))
	if !ce.v.TokenCached(tok) {
		t.Fatal("an allowed token is not in the token cache")
	}
}

// stillCached fails unless tok is cached: a deny that follows must then
// have come from the hit path, not from a fresh verification.
func (ce *cacheEnv) stillCached(t *testing.T, tok string) {
	t.Helper()
	if !ce.v.TokenCached(tok) {
		t.Fatal("token left the cache; the test would not exercise a hit")
	}
}

const (
	cacheJTI = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
	cacheSID = "5151515151515151515151515151515a"
)

// deniedWhileCached caches a token of every algorithm (with jti and sid
// when given), applies change, and checks that the very next request with
// the token, still cached, is refused; a token of the same user without
// that jti or chain is then allowed or refused as otherAllowed says.
func deniedWhileCached(t *testing.T, jti, sid string, otherAllowed bool, change func(t *testing.T, ce *cacheEnv)) {
	t.Helper()
	for _, alg := range cacheAlgs {
		t.Run(alg, func(t *testing.T) {
			ce := newCacheEnv(t, nil)
			tok := ce.token(alg, aliceID, jti, sid, 15*time.Minute)
			other := ce.token(alg, aliceID, "", "", 15*time.Minute)
			ce.cached(t, tok)
			ce.cached(t, other)
			change(t, ce)
			ce.stillCached(t, tok)
			wantDeny(t, ce.ask(tok), 401, "AUTHENTICATION_FAILED")
			if a := ce.ask(other); (a.status == 200) != otherAllowed {
				t.Fatalf("the user's other token: status %d, want allowed=%v", a.status, otherAllowed)
			}
		})
	}
}

// denyUnheard denies id in the store without telling the verifier (as a
// replica whose revocation message was lost would) and lets the 1 s
// denylist answer expire; the token cache TTL (1 h) does not.
func denyUnheard(id string) func(*testing.T, *cacheEnv) {
	return func(t *testing.T, ce *cacheEnv) {
		if err := ce.st.Deny(t.Context(), id, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		ce.clk.Advance(1100 * time.Millisecond)
	}
}

func TestTokenCacheRevokedJTIDeniedWhileCached(t *testing.T) {
	deniedWhileCached(t, cacheJTI, "", true, denyUnheard(cacheJTI))
}

func TestTokenCacheRevokedRefreshChainDeniedWhileCached(t *testing.T) {
	deniedWhileCached(t, "", cacheSID, true, denyUnheard(keystore.ChainDenyPrefix+cacheSID))
}

func TestTokenCacheChangedPasswordDeniedWhileCached(t *testing.T) {
	deniedWhileCached(t, "", "", false, func(t *testing.T, ce *cacheEnv) {
		ce.user(aliceID).PasswordHash = "$argon2id$changed"
		ce.v.InvalidateUser(aliceID) // as coherence.Store.UpdateUser does
	})
}

func TestTokenCacheDeactivatedUserDeniedWhileCached(t *testing.T) {
	deniedWhileCached(t, "", "", false, func(t *testing.T, ce *cacheEnv) {
		ce.user(aliceID).Active = false
		ce.v.InvalidateUser(aliceID)
	})
}

// TestTokenCacheNotBeforeInFutureDeniedOnHit: the clock steps back beyond
// the leeway, so nbf (= iat = issue time) is in the future again, and the
// cached token is refused as a fresh verification would refuse it.
func TestTokenCacheNotBeforeInFutureDeniedOnHit(t *testing.T) {
	deniedWhileCached(t, "", "", false, func(t *testing.T, ce *cacheEnv) {
		ce.clk.Advance(-31 * time.Second)
	})
}

func TestTokenCacheEntryPastExpDenied(t *testing.T) {
	for _, alg := range cacheAlgs {
		t.Run(alg, func(t *testing.T) {
			// The cache TTL (1 h) outlives the token (10 s): the entry
			// ends at exp, and the request past exp + leeway (30 s) is
			// refused.
			ce := newCacheEnv(t, nil)
			tok := ce.token(alg, aliceID, "", "", 10*time.Second)
			ce.cached(t, tok)
			ce.clk.Advance(10 * time.Second)
			if ce.v.TokenCached(tok) {
				t.Fatal("cache entry outlives the token's exp")
			}
			wantAllow(t, ce.ask(tok)) // inside the leeway, verified afresh
			ce.clk.Advance(31 * time.Second)
			wantDeny(t, ce.ask(tok), 401, "AUTHENTICATION_FAILED")
		})
		t.Run(alg+"/entry kept past exp", func(t *testing.T) {
			// Should an entry outlive exp anyway, the hit applies the
			// time window itself.
			ce := newCacheEnv(t, nil)
			tok := ce.token(alg, aliceID, "", "", 10*time.Second)
			if err := ce.v.CacheTokenUntil(tok, ce.clk.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			ce.clk.Advance(41 * time.Second)
			ce.stillCached(t, tok)
			wantDeny(t, ce.ask(tok), 401, "AUTHENTICATION_FAILED")
		})
	}
}

// TestTokenCacheHashCollisionNeverAcceptsAnotherToken forces every token
// onto one cache key: a lookup then always finds another token's entry,
// and only the full token comparison keeps it from answering.
func TestTokenCacheHashCollisionNeverAcceptsAnotherToken(t *testing.T) {
	for _, alg := range cacheAlgs {
		t.Run(alg, func(t *testing.T) {
			ce := newCacheEnv(t, nil)
			ce.v.CollideTokenHashes()
			alice := ce.token(alg, aliceID, "", "", 15*time.Minute)
			ce.cached(t, alice)
			// A forged signature, and a payload swapped in from another
			// token: both land on alice's entry.
			bob := ce.token(alg, bobID, "", "", 15*time.Minute)
			forged := alice[:len(alice)-2] + flip(alice[len(alice)-2:])
			spliced := alice[:dot(alice, 1)] + bob[dot(bob, 1):dot(bob, 2)] + alice[dot(alice, 2):]
			for name, tok := range map[string]string{"forged signature": forged, "spliced payload": spliced} {
				if a := ce.ask(tok); a.status == 200 {
					t.Fatalf("%s accepted on a colliding cache entry (as %s)", name, a.header.Get("Remote-User-Id"))
				}
			}
			// Another valid token on the same key is itself, not alice.
			if got := wantAllow(t, ce.ask(bob)).Get("Remote-User-Id"); got != bobID {
				t.Fatalf("bob's token answered as %q", got)
			}
			if got := wantAllow(t, ce.ask(alice)).Get("Remote-User-Id"); got != aliceID {
				t.Fatalf("alice's token answered as %q", got)
			}
		})
	}
}

// flip changes the last character of a base64url segment to another valid
// one.
func flip(s string) string {
	b := []byte(s)
	if b[len(b)-1] == 'A' {
		b[len(b)-1] = 'Q'
	} else {
		b[len(b)-1] = 'A'
	}
	return string(b)
}

// dot returns the index of the n-th '.' of a compact token.
func dot(tok string, n int) int {
	for i := range tok {
		if tok[i] == '.' {
			if n--; n == 0 {
				return i
			}
		}
	}
	panic("token without enough dots")
}

func TestTokenCacheEvictionKeepsSizeBound(t *testing.T) {
	const bound = 64
	ce := newCacheEnv(t, func(o *verifier.Options) { o.TokenCacheEntries = bound })
	for i := 0; i < 4*bound; i++ {
		tok := ce.token(signing.AlgEdDSA, aliceID, "", "", 15*time.Minute)
		wantAllow(t, ce.ask(tok))
		if n := ce.v.TokenCacheLen(); n > bound {
			t.Fatalf("after %d tokens the cache holds %d entries, bound %d", i+1, n, bound)
		}
	}
	if n := ce.v.TokenCacheLen(); n < bound/2 {
		t.Fatalf("cache holds %d entries after %d distinct tokens; eviction drops too much", n, 4*bound)
	}
}

func TestTokenCacheKeyringReloadClears(t *testing.T) {
	ce := newCacheEnv(t, nil)
	tok := ce.token(signing.AlgEdDSA, aliceID, "", "", 15*time.Minute)
	ce.cached(t, tok)
	if err := ce.v.ReloadKeyring(ce.keyring); err != nil {
		t.Fatal(err)
	}
	if ce.v.TokenCached(tok) || ce.v.TokenCacheLen() != 0 {
		t.Fatal("a keyring reload kept verified tokens")
	}
}

func TestTokenCacheInvalidateAllClears(t *testing.T) {
	ce := newCacheEnv(t, nil)
	tok := ce.token(signing.AlgEdDSA, aliceID, "", "", 15*time.Minute)
	ce.cached(t, tok)
	ce.v.InvalidateAll() // a (re)subscription to the revocation channel
	if ce.v.TokenCacheLen() != 0 {
		t.Fatal("InvalidateAll kept verified tokens")
	}
}

// TestTokenCacheRevocationFromAnotherReplicaDropsEntry: two replicas share
// the stores; replica A's portal revokes through coherence (which drops
// A's entries), replica B hears it as the revocation watch delivers it
// (InvalidateTokenID). Both drop the token at once and deny the next
// request, without waiting for any cache to expire.
func TestTokenCacheRevocationFromAnotherReplicaDropsEntry(t *testing.T) {
	for _, c := range []struct{ name, jti, sid, deny string }{
		{"jti", cacheJTI, "", cacheJTI},
		{"refresh chain", "", cacheSID, keystore.ChainDenyPrefix + cacheSID},
	} {
		for _, alg := range cacheAlgs {
			t.Run(fmt.Sprintf("%s/%s", c.name, alg), func(t *testing.T) {
				ce := newCacheEnv(t, nil)
				replicaA := ce.v
				replicaB, err := verifier.New(ce.opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(replicaB.Close)
				tok := ce.token(alg, aliceID, c.jti, c.sid, 15*time.Minute)
				keep := ce.token(alg, aliceID, "", "", 15*time.Minute)
				for _, r := range []*verifier.Verifier{replicaA, replicaB} {
					ce.v = r
					ce.cached(t, tok)
					ce.cached(t, keep)
				}

				portalA := coherence.Denylist{Denylist: ce.st, Drop: replicaA}
				if err := portalA.Deny(t.Context(), c.deny, t0.Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
				watchB := replicaB.InvalidateTokenID // revocations.go: RevocationWatch.Revoked
				watchB(c.deny)

				for name, r := range map[string]*verifier.Verifier{"A": replicaA, "B": replicaB} {
					ce.v = r
					if r.TokenCached(tok) {
						t.Fatalf("replica %s keeps a revoked token cached", name)
					}
					if !r.TokenCached(keep) {
						t.Fatalf("replica %s dropped an unrelated token", name)
					}
					wantDeny(t, ce.ask(tok), 401, "AUTHENTICATION_FAILED")
					if r.TokenCached(tok) {
						t.Fatalf("replica %s cached a revoked token again", name)
					}
					wantAllow(t, ce.ask(keep))
				}
			})
		}
	}
}
