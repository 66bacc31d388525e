package verifier_test

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/verifier"
)

// The identity header names are canonicalised once in New; the answer
// must carry them exactly as fasthttp's own Set would have written them,
// once each, also when one RequestCtx serves several decisions.
func TestConfiguredHeaderNamesAreSentCanonicalOnce(t *testing.T) {
	e := newEnv(t, func(o *verifier.Options) {
		o.Headers = verifier.HeaderNames{User: "x-auth-user", Groups: "X-AUTH-GROUPS", AuthMethod: "x-Auth-method"}
	})
	var ctx fasthttp.RequestCtx
	ctx.Init(bearer(fwd("traefik", "GET", "https://app.example.test/api/items"), e.jwt(aliceID)),
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	for round := range 2 {
		e.v.Handler(&ctx)
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("round %d: status %d", round, ctx.Response.StatusCode())
		}
		got := map[string][]string{}
		for k, v := range ctx.Response.Header.All() {
			got[string(k)] = append(got[string(k)], string(v))
		}
		want := map[string]string{
			"X-Auth-User": aliceEmail, "X-Auth-Groups": "admin,read", "X-Auth-Method": "jwt",
			"Remote-User-Id": aliceID, "Remote-Api-Key-Id": "",
		}
		for k, v := range want {
			if vs := got[k]; len(vs) != 1 || vs[0] != v {
				t.Errorf("round %d: %s = %q, want exactly [%q] (all: %v)", round, k, vs, v, got)
			}
		}
	}
}
