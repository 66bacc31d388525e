package verifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/verifier"
)

// TestExternalJWTKeyRemovedRefusesCachedToken: a token served from the
// verified-token cache is refused once its key leaves the issuer's set,
// and verified afresh (so refused) when its kid names other key material.
func TestExternalJWTKeyRemovedRefusesCachedToken(t *testing.T) {
	x := newExtEnv(t, nil)
	tok := x.tokA()
	wantAllow(t, x.get("/x", tok))
	wantAllow(t, x.get("/x", tok)) // cached

	// The same keys again: a new set, the token verified afresh, allowed.
	if err := x.srcA.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantAllow(t, x.get("/x", tok))

	// kid a1 now names another key: the cached token no longer verifies.
	x.srvA.set(func(s *jwksServer) {
		s.keys = []map[string]any{publicJWK("a1", &rsaA2.PublicKey), publicJWK("a-ec", &ecA.PublicKey)}
	})
	if err := x.srcA.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantDeny(t, x.get("/x", tok), 401, "AUTHENTICATION_FAILED")

	// Removed outright: refused as an unknown kid.
	tok2 := mint(t, jwt.SigningMethodES256, ecA, "a-ec", x.claims(extIssA))
	wantAllow(t, x.get("/x", tok2))
	x.srvA.set(func(s *jwksServer) { s.keys = []map[string]any{publicJWK("a1", &rsaA2.PublicKey)} })
	if err := x.srcA.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantDeny(t, x.get("/x", tok2), 503, "TOKEN_PROCESSING_FAILED")
}

// A cached token expires with its exp (and the leeway), not with the
// cache entry.
func TestExternalJWTCachedTokenExpires(t *testing.T) {
	x := newExtEnv(t, func(_, _ *config.ExternalIssuer, o *verifier.Options) { o.TokenCacheTTL = time.Hour })
	tok := x.tokA("exp", x.clk.Now().Add(time.Minute).Unix())
	wantAllow(t, x.get("/x", tok))
	x.clk.Advance(80 * time.Second) // past exp, within the 30 s leeway
	wantAllow(t, x.get("/x", tok))
	x.clk.Advance(15 * time.Second)
	wantDeny(t, x.get("/x", tok), 401, "AUTHENTICATION_FAILED")
}

// TestExternalJWTOutage: the JWKS endpoint goes down; the keys fetched
// before keep working up to their expiry plus stale_for, then every token
// of the issuer, cached or not, is refused with 503.
func TestExternalJWTOutage(t *testing.T) {
	x := newExtEnv(t, nil) // max-age 300 s, stale_for 1 h
	cached := x.tokA("exp", x.clk.Now().Add(2*time.Hour).Unix())
	wantAllow(t, x.get("/x", cached))
	x.srvA.set(func(s *jwksServer) { s.down = true })
	for _, step := range []time.Duration{10 * time.Minute, 30 * time.Minute, 24 * time.Minute} { // to t0+64m
		x.clk.Advance(step)
		if err := x.srcA.Refresh(context.Background()); err == nil {
			t.Fatal("refresh of a down endpoint succeeded")
		}
		if err := x.srcB.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantAllow(t, x.get("/x", x.tokA()))
		wantAllow(t, x.get("/x", cached))
	}
	x.clk.Advance(2 * time.Minute) // t0+66m: past 5 min + 1 h
	wantDeny(t, x.get("/x", x.tokA()), 503, "TOKEN_PROCESSING_FAILED")
	wantDeny(t, x.get("/x", cached), 503, "TOKEN_PROCESSING_FAILED")
	// Issuer B, whose endpoint answers, is not affected.
	wantAllow(t, x.get("/x", mint(t, jwt.SigningMethodRS256, rsaB, "b1", x.claims(extIssB))))
	// Back up: the next refresh restores the issuer.
	x.srvA.set(func(s *jwksServer) { s.down = false })
	if err := x.srcA.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantAllow(t, x.get("/x", x.tokA()))
}

// countingObserver counts store errors by what failed.
type countingObserver struct{ errs map[string]int }

func (o *countingObserver) ObserveDecision(verifier.Decision) {}
func (o *countingObserver) StoreError(what string)            { o.errs[what]++ }

// TestExternalJWTNeverFetchesPerRequest: with the background refresher
// running, many decisions (valid, cached, hostile, unknown kids) cost at
// most the one rate-limited refresh an unknown kid asks for.
func TestExternalJWTNeverFetchesPerRequest(t *testing.T) {
	obs := &countingObserver{errs: map[string]int{}}
	x := newExtEnv(t, func(_, _ *config.ExternalIssuer, o *verifier.Options) { o.Metrics = obs })
	x.srcA.Start()
	before := x.srvA.hits.Load()
	fetchesBefore := x.srcA.Stats().Fetches
	tokens := []string{x.tokA(), x.tokA("sub", "other"), mint(t, jwt.SigningMethodES256, ecA, "a-ec", x.claims(extIssA))}
	for i := 0; i < 300; i++ {
		wantAllow(t, x.get("/x", tokens[i%len(tokens)]))
		wantAllow(t, x.get("/x", x.tokA("jti", string(rune('a'+i%26))))) // fresh tokens: misses
		wantDeny(t, x.get("/x", x.tokA("aud", "nope")), 401, "AUTHENTICATION_FAILED")
		wantDeny(t, x.get("/x", mint(t, jwt.SigningMethodRS256, rsaA, "unknown", x.claims(extIssA))), 503, "TOKEN_PROCESSING_FAILED")
	}
	x.srcA.Close() // waits for a refresh in flight
	if st := x.srcA.Stats(); st.Fetches-fetchesBefore > 1 || st.UnknownKIDRefreshes > 1 {
		t.Fatalf("%d fetches, %d unknown-kid refreshes over 1200 decisions", st.Fetches-fetchesBefore, st.UnknownKIDRefreshes)
	}
	if n := x.srvA.hits.Load() - before; n > 1 {
		t.Fatalf("%d JWKS requests over 1200 decisions", n)
	}
	if obs.errs["external_jwks"] != 300 {
		t.Fatalf("store errors %v, want 300 external_jwks", obs.errs)
	}
}
