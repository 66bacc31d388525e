package oauth

import (
	"testing"
	"time"
)

func fuzzFlowPortal() *Feature {
	oa := &Feature{c: Config{Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}}
	oa.flowKey = make([]byte, 32)
	for i := range oa.flowKey {
		oa.flowKey[i] = byte(i)
	}
	return oa
}

// FuzzOpenFlowCookie: the flow cookie comes from the browser; whatever it
// holds, openFlow must not panic and must refuse anything it did not seal.
func FuzzOpenFlowCookie(f *testing.F) {
	oa := fuzzFlowPortal()
	sealed := oauthFlow{State: "s", Verifier: "v", Nonce: "n", Provider: "idp", Kind: flowLogin, Expires: 1_800_000_100}
	good, err := oa.sealFlow(&sealed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add("AAAA")
	f.Add(good[:len(good)-2])
	f.Fuzz(func(t *testing.T, v string) {
		fl, err := oa.openFlow(v)
		// Worker processes seal their own copy (another GCM nonce), so
		// compare the content: only a value sealed under the key opens.
		if err == nil && *fl != sealed {
			t.Fatalf("accepted a cookie that was not sealed here: %+v", fl)
		}
	})
}

// FuzzParseJWKS: a provider's key set is untrusted input.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"b","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseJWKS(b)
		if err == nil && len(keys) > maxJWKSKeys {
			t.Fatal("too many keys")
		}
	})
}

func TestOpenFlowRefusesExpiredAndOtherKeys(t *testing.T) {
	oa := fuzzFlowPortal()
	now := oa.c.Now()
	for _, tc := range []struct {
		name string
		f    oauthFlow
		key  byte
		ok   bool
	}{
		{"valid", oauthFlow{State: "s", Verifier: "v", Nonce: "n", Expires: now.Add(time.Minute).Unix()}, 0, true},
		{"expired", oauthFlow{State: "s", Verifier: "v", Nonce: "n", Expires: now.Unix()}, 0, false},
		{"other key", oauthFlow{State: "s", Verifier: "v", Nonce: "n", Expires: now.Add(time.Minute).Unix()}, 1, false},
		{"no state", oauthFlow{Verifier: "v", Nonce: "n", Expires: now.Add(time.Minute).Unix()}, 0, false},
		{"no verifier", oauthFlow{State: "s", Nonce: "n", Expires: now.Add(time.Minute).Unix()}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sealer := fuzzFlowPortal()
			sealer.flowKey[0] ^= tc.key
			v, err := sealer.sealFlow(&tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := oa.openFlow(v); (err == nil) != tc.ok {
				t.Fatalf("openFlow err=%v, want ok=%v", err, tc.ok)
			}
		})
	}
}
