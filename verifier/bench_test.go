package verifier_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/verifier"
)

// alwaysFresh is a nonce store that never reports a replay, so one signed
// request can be decided repeatedly; it measures the verifier's own cost
// of a signed decision (the real nonce store adds one set-if-absent).
type alwaysFresh struct{}

func (alwaysFresh) SetIfAbsent(context.Context, string, time.Duration) (bool, error) {
	return true, nil
}

func benchHandler(b *testing.B, e *env, req *fasthttp.Request) {
	var ctx fasthttp.RequestCtx
	ctx.Init(req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	e.v.Handler(&ctx)
	if ctx.Response.StatusCode() != 200 {
		b.Fatalf("warm-up status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.v.Handler(&ctx)
	}
	b.StopTimer()
	if ctx.Response.StatusCode() != 200 {
		b.Fatalf("status %d", ctx.Response.StatusCode())
	}
}

// BenchmarkEmptyHandler is the floor: a fasthttp handler that answers 200
// through the same RequestCtx plumbing.
func BenchmarkEmptyHandler(b *testing.B) {
	var ctx fasthttp.RequestCtx
	req := fwd("nginx", "GET", "https://app.example.test/api/items")
	ctx.Init(req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	h := func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(200) }
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h(&ctx)
	}
}

func BenchmarkCredential(b *testing.B) {
	e := newEnv(b, func(o *verifier.Options) { o.Nonces = alwaysFresh{} })
	raw, _, _ := e.apiKey(aliceID, []string{"read"}, nil)
	keyID, secret := e.signingKey(aliceID, []string{"read"})
	cookie := e.session(aliceID, nil)
	const u = "https://app.example.test/api/items?page=2"
	kinds := []struct {
		name string
		req  func() *fasthttp.Request
	}{
		{"cookie", func() *fasthttp.Request {
			return withCookie(fwd("nginx", "GET", "https://app.example.test/dash?page=2"), cookie)
		}},
		{"jwt-hs256", func() *fasthttp.Request { return bearer(fwd("nginx", "GET", u), e.jwt(aliceID)) }},
		{"jwt-eddsa", func() *fasthttp.Request {
			return bearer(fwd("nginx", "GET", u), e.jwtWith(e.ed, aliceID, 15*time.Minute))
		}},
		{"api-key", func() *fasthttp.Request { return bearer(fwd("nginx", "GET", u), raw) }},
		{"signed", func() *fasthttp.Request {
			return e.signed(&testing.T{}, keyID, secret, signReq{dialect: "nginx", method: "GET", url: u})
		}},
		{"anonymous-bypass", func() *fasthttp.Request {
			return fwd("nginx", "GET", "https://app.example.test/public/x")
		}},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) { benchHandler(b, e, k.req()) })
	}
}

func BenchmarkDialect(b *testing.B) {
	e := newEnv(b, nil)
	tok := e.jwt(aliceID)
	for _, d := range dialects {
		b.Run(d, func(b *testing.B) {
			benchHandler(b, e, bearer(fwd(d, "GET", "https://app.example.test/api/items?page=2"), tok))
		})
	}
}

// BenchmarkTokenCache compares a JWT decision served from the
// verified-token cache (hit) with the same decision verified afresh (miss:
// the cache off, so every request checks the signature and parses).
func BenchmarkTokenCache(b *testing.B) {
	for _, alg := range cacheAlgs {
		for _, mode := range []struct {
			name    string
			entries int
		}{{"hit", 1024}, {"miss", 0}} {
			b.Run(alg+"/"+mode.name, func(b *testing.B) {
				ce := newCacheEnv(b, func(o *verifier.Options) { o.TokenCacheEntries = mode.entries })
				tok := ce.token(alg, aliceID, "", "", 15*time.Minute)
				benchHandler(b, ce.env, bearer(fwd("nginx", "GET", "https://app.example.test/api/items?page=2"), tok))
			})
		}
	}
}

// BenchmarkExternalJWT: decisions on external issuers' RS256 and ES256
// tokens served from the verified-token cache (hit) and verified afresh
// with golang-jwt on every request (miss: the cache off), next to an own
// HS256 token.
func BenchmarkExternalJWT(b *testing.B) {
	for _, mode := range []struct {
		name    string
		entries int
	}{{"hit", 1024}, {"miss", 0}} {
		x := newExtEnv(b, func(_, _ *config.ExternalIssuer, o *verifier.Options) { o.TokenCacheEntries = mode.entries })
		toks := map[string]string{
			"rs256":     x.tokA("scope", "read write", "groups", []string{"ops"}),
			"es256":     mint(b, jwt.SigningMethodES256, ecA, "a-ec", x.claims(extIssA, "scope", "read write", "groups", []string{"ops"})),
			"own-hs256": x.jwt(aliceID),
		}
		for _, alg := range []string{"rs256", "es256", "own-hs256"} {
			b.Run(alg+"/"+mode.name, func(b *testing.B) {
				benchHandler(b, x.env, bearer(fwd("nginx", "GET", "https://app.example.test/m2m-read/x"), toks[alg]))
			})
		}
	}
}
