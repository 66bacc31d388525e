//go:build !race

package jwks_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/jwks"
)

// Key is on the verifier's hot path: a hit and every refusal allocate
// nothing.
func TestKeyAllocatesNothing(t *testing.T) {
	k := tk(t)
	ep := newEndpoint(t, setOf(rsaJWK("a", "", &k.rsa.PublicKey), ecJWK("b", &k.p256.PublicKey)))
	s := newSource(t, ep.URL, newClock(), nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kid, alg string
		want     error
	}{
		{"a", "RS256", nil},
		{"b", "ES256", nil},
		{"b", "RS256", jwks.ErrAlgMismatch},
		{"", "ES256", jwks.ErrKIDRequired},
		{"zz", "ES256", jwks.ErrUnknownKID},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(1000, func() {
			if _, err := s.Key(c.kid, c.alg); err != c.want {
				t.Fatalf("%s/%s: %v", c.kid, c.alg, err)
			}
		}); n != 0 {
			t.Errorf("%s/%s: %v allocations", c.kid, c.alg, n)
		}
	}
}
