package signup

import (
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

func TestTokenFingerprintsBindAddressAndPassword(t *testing.T) {
	f := &Feature{c: Config{
		VerifyFPKey: signing.NewSecret([]byte("0123456789abcdef0123456789abcdef")),
		ResetFPKey:  signing.NewSecret([]byte("fedcba9876543210fedcba9876543210")),
	}}
	base := keystore.User{ID: "u1", Email: "owner@corp.test", PasswordHash: "h1"}
	tests := []struct {
		name                  string
		change                func(u *keystore.User)
		sameVerify, sameReset bool
	}{
		{"unchanged", func(*keystore.User) {}, true, true},
		{"address case folds", func(u *keystore.User) { u.Email = "Owner@Corp.TEST" }, true, true},
		{"another address", func(u *keystore.User) { u.Email = "attacker@corp.test" }, false, false},
		{"another account", func(u *keystore.User) { u.ID = "u2" }, false, false},
		{"password changed", func(u *keystore.User) { u.PasswordHash = "h2" }, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := base
			tc.change(&u)
			if got := f.verifyFingerprint(&u) == f.verifyFingerprint(&base); got != tc.sameVerify {
				t.Errorf("verify fingerprint equal = %v, want %v", got, tc.sameVerify)
			}
			if got := f.resetFingerprint(&u) == f.resetFingerprint(&base); got != tc.sameReset {
				t.Errorf("reset fingerprint equal = %v, want %v", got, tc.sameReset)
			}
		})
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("New(empty) = %v, want ErrConfig", err)
	}
}
