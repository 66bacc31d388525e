package admin

import (
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// A SIGHUP reload swaps the keyrings on the signal goroutine while admin
// requests read them: under -race this fails if the swap is a plain
// field write.
func TestKeyringSwapDoesNotRaceWithRequests(t *testing.T) {
	ring, err := signing.NewKeyring("k1", map[string]string{"k1": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="})
	if err != nil {
		t.Fatal(err)
	}
	o := &Ops{Keyrings: map[string]*signing.Keyring{keystore.RingTOTPSecrets: ring}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 1000; i++ {
			o.SetKeyrings(map[string]*signing.Keyring{keystore.RingTOTPSecrets: ring})
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 1000; i++ {
			if o.ring(keystore.RingTOTPSecrets) == nil {
				t.Error("keyring lost during a swap")
				return
			}
		}
	}()
	wg.Wait()
	if o.ring(keystore.RingOAuthTokens) != nil {
		t.Fatal("an unconfigured ring was found")
	}
}
