package signing_test

import (
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

// TestLSA1KeyAgreesWithLSA1Verify: the pooled key accepts exactly the
// signatures LSA1Verify accepts, also when used concurrently, and keeps its
// own copy of the secret.
func TestLSA1KeyAgreesWithLSA1Verify(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	canon := []byte("GET\n/api/items\na=1&b=2\nhost:app.example.test\nhost\n" + signing.LSA1EmptyBodySHA256)
	good := signing.LSA1Signature(secret, canon)
	bad := good
	bad[31] ^= 1
	other := signing.LSA1Signature([]byte("another-secret-another-secret-xx"), canon)
	k := signing.NewLSA1Key(secret)
	secret[0] ^= 0xff // the key must not see the caller's later writes
	defer func() { secret[0] ^= 0xff }()
	cases := []struct {
		name  string
		canon []byte
		sig   [32]byte
		want  bool
	}{
		{"valid", canon, good, true},
		{"flipped bit", canon, bad, false},
		{"other secret", canon, other, false},
		{"other canon", append([]byte("POST"), canon[3:]...), good, false},
		{"empty canon", nil, good, false},
	}
	for _, c := range cases {
		if got := k.Verify(c.canon, c.sig); got != c.want {
			t.Errorf("%s: Verify = %v, want %v", c.name, got, c.want)
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if !k.Verify(canon, good) || k.Verify(canon, bad) {
					t.Error("concurrent Verify disagreed")
					return
				}
			}
		}()
	}
	wg.Wait()
}
