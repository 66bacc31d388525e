package verifier

import (
	"fmt"
	"hash/maphash"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

func TestTokenCacheBoundHoldsForEverySize(t *testing.T) {
	for _, max := range []int{1, 7, 32, 33, 100, 1000} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			c := newTokenCache[int](1e12, max)
			for i := 0; i < 5*max+50; i++ {
				c.put([]byte(fmt.Sprintf("token-%d", i)), i, nil, nil, 1<<62, 1)
				if n := c.len(); n > max {
					t.Fatalf("%d entries after %d puts, bound %d", n, i+1, max)
				}
			}
			// The newest entry is always kept.
			var v int
			last := 5*max + 49
			if !c.get([]byte(fmt.Sprintf("token-%d", last)), 2, &v) || v != last {
				t.Fatalf("newest entry missing (got %d)", v)
			}
		})
	}
}

func TestTokenCacheEvictionPrefersExpiredEntries(t *testing.T) {
	c := newTokenCache[int](1e12, 1) // one shard, one slot
	c.put([]byte("old"), 1, nil, nil, 10, 1)
	c.put([]byte("new"), 2, nil, nil, 1<<62, 20)
	var v int
	if c.get([]byte("old"), 20, &v) || !c.get([]byte("new"), 20, &v) || v != 2 {
		t.Fatal("a full shard did not replace its expired entry")
	}
}

func TestTokenCacheRevokeDropsOnlyNamedTokens(t *testing.T) {
	c := newTokenCache[string](1e12, 64)
	put := func(tok, jti, sid string) { c.put([]byte(tok), tok, []byte(jti), []byte(sid), 1<<62, 1) }
	put("a1", "jti-a1", "chain-a")
	put("a2", "jti-a2", "chain-a")
	put("b1", "jti-b1", "chain-b")
	put("c1", "jti-c1", "")
	c.revoke(keystore.ChainDenyPrefix + "chain-a")
	c.revoke("jti-c1")
	c.revoke("chain-b")         // a jti that no token has: the chain stays
	c.revoke("rt:some-refresh") // not a token of this cache
	var v string
	for tok, want := range map[string]bool{"a1": false, "a2": false, "b1": true, "c1": false} {
		if got := c.get([]byte(tok), 2, &v); got != want {
			t.Errorf("%s cached = %v, want %v", tok, got, want)
		}
	}
	if c.len() != 1 {
		t.Fatalf("len %d after revocations, want 1", c.len())
	}
}

func TestTokenCacheCollisionNeverAnswersForAnotherToken(t *testing.T) {
	c := newTokenCache[string](1e12, 64)
	c.hash = func(maphash.Seed, []byte) uint64 { return 7 }
	c.put([]byte("token-one"), "one", nil, nil, 1<<62, 1)
	var v string
	for _, other := range []string{"token-two", "token-on", "token-one!", ""} {
		if c.get([]byte(other), 2, &v) {
			t.Fatalf("%q answered with the entry of token-one (%q)", other, v)
		}
	}
	c.put([]byte("token-two"), "two", nil, nil, 1<<62, 1)
	if c.get([]byte("token-one"), 2, &v) || !c.get([]byte("token-two"), 2, &v) || v != "two" {
		t.Fatal("a colliding put did not replace the entry")
	}
}

func TestTokenCacheOffWhenDisabled(t *testing.T) {
	c := newTokenCache[int](1e12, 0)
	if c != nil {
		t.Fatal("max_entries 0 built a cache")
	}
	c.put([]byte("t"), 1, nil, nil, 1<<62, 1)
	var v int
	if c.get([]byte("t"), 2, &v) || c.len() != 0 {
		t.Fatal("a disabled cache answered")
	}
	c.revoke("x")
	c.clear()
}

// BenchmarkTokenCacheHitVsHS256Verify is the measurement behind caching
// HS256 tokens too (doc.go): a hit (hash, lookup, full compare, time
// window) against HMAC verification and parse of the same token.
func BenchmarkTokenCacheHitVsHS256Verify(b *testing.B) {
	key := signing.JWTKey{Alg: signing.AlgHS256, HMAC: signing.NewSecret([]byte("access-token-secret-0123456789abcdef-xyz"))}
	jv, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{Issuer: "https://auth.example.test", Audience: "gatehouse:access", Keys: []signing.JWTKey{key}})
	if err != nil {
		b.Fatal(err)
	}
	iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: "https://auth.example.test", Audience: "gatehouse:access", Key: key})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	tok, err := iss.Issue(signing.IssueClaims{Subject: "a11ce000000000000000000000000001", SFP: "c2ZwLXNmcC1zZnAtc2ZwLXNmcC1zZnAtc2ZwLXNmcC0", SID: "0123456789abcdef0123456789abcdef", Lifetime: 15 * time.Minute}, now)
	if err != nil {
		b.Fatal(err)
	}
	raw := []byte(tok)
	var s signing.JWTScratch
	var c signing.AccessClaims
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if jv.Verify(raw, now, &s, &c) != nil {
				b.Fatal("verify")
			}
		}
	})
	b.Run("hit", func(b *testing.B) {
		tc := newTokenCache[signing.AccessClaims](int64(time.Minute), 1024)
		if jv.Verify(raw, now, &s, &c) != nil {
			b.Fatal("verify")
		}
		tc.put(raw, cloneClaims(&c), c.JTI, c.SID, c.ExpiresAt*1e9, now.UnixNano())
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if !tc.get(raw, now.UnixNano(), &c) || jv.CheckTimes(&c, now) != nil {
				b.Fatal("miss")
			}
		}
	})
}

// TestTokenCacheConcurrentUse runs lookups, inserts, revocations and
// clears at once (for -race) and checks a hit never returns another
// token's value.
func TestTokenCacheConcurrentUse(t *testing.T) {
	c := newTokenCache[string](1e12, 40)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var v string
			for i := 0; i < 2000; i++ {
				tok := fmt.Sprintf("tok-%d", (i*7+g)%97)
				if c.get([]byte(tok), 2, &v) && v != tok {
					t.Errorf("%s answered with %s", tok, v)
					return
				}
				c.put([]byte(tok), tok, []byte("jti-"+tok), []byte(fmt.Sprint("sid-", i%5)), 1<<62, 1)
				switch i % 100 {
				case 17:
					c.revoke(keystore.ChainDenyPrefix + "sid-3")
				case 53:
					c.revoke("jti-" + tok)
				case 99:
					c.clear()
				}
			}
		}(g)
	}
	wg.Wait()
	if n := c.len(); n > 40 {
		t.Fatalf("%d entries, bound 40", n)
	}
}
