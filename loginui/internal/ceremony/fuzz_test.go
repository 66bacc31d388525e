package ceremony

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/webauthntest"
)

// FuzzFinishAssertion: an assertion answer is client input; whatever it
// holds, verification must not panic and must not accept what the
// authenticator did not sign for this ceremony.
func FuzzFinishAssertion(f *testing.F) {
	fx := newFixture(f)
	a := webauthntest.New()
	fx.register(f, a, fx.user)
	opts, _, err := fx.rp.BeginLogin("c")
	if err != nil {
		f.Fatal(err)
	}
	good, err := a.Get(opts, webauthntest.Options{Origin: origin})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		// A fresh ceremony each time: its challenge differs from the one
		// good was signed for, so nothing may verify.
		_, st, err := fx.rp.BeginLogin("c")
		if err != nil {
			t.Fatal(err)
		}
		if res, err := fx.rp.FinishAssertion(context.Background(), KindLogin, "", "c", st, answer); err == nil {
			t.Fatalf("accepted an answer to another challenge: %+v", res)
		}
	})
}

// FuzzFinishRegistration: likewise for attestation answers.
func FuzzFinishRegistration(f *testing.F) {
	fx := newFixture(f)
	opts, _, err := fx.rp.BeginRegistration(context.Background(), fx.user, "s")
	if err != nil {
		f.Fatal(err)
	}
	good, _, err := webauthntest.New().Create(opts, webauthntest.Options{Origin: origin})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		_, st, err := fx.rp.BeginRegistration(context.Background(), fx.user, "s")
		if err != nil {
			t.Fatal(err)
		}
		if p, err := fx.rp.FinishRegistration(context.Background(), fx.user, "s", st, answer, "x"); err == nil {
			t.Fatalf("registered from an answer to another challenge: %+v", p)
		}
	})
}
