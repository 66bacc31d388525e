package totp

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/signing"
)

func testRing(t *testing.T, id string) *signing.Keyring {
	t.Helper()
	k, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := signing.NewKeyring(id, map[string]string{id: k})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestOpenTOTPRefusesForeignAndMalformedRecords: a record sealed under
// another keyring, of another version, with unknown fields or a bad
// algorithm is unusable, and a feature without a keyring opens nothing.
func TestOpenTOTPRefusesForeignAndMalformedRecords(t *testing.T) {
	f, err := New(Config{Options: Options{Enabled: true, Keyring: testRing(t, "a")}, Pending: nopTokens{}, Enroll: nopTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := signing.NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	good, err := f.sealTOTP(&totpRecord{V: 1, Alg: "SHA256", Secret: signing.EncodeTOTPSecret(sec)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, got, err := f.openTOTP(good); err != nil || string(got) != string(sec) {
		t.Fatalf("own record: %v", err)
	}
	seal := func(b string) string {
		s, err := f.ring.Load().Seal([]byte(b))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	other, err := New(Config{Options: Options{Keyring: testRing(t, "b")}, Pending: nopTokens{}, Enroll: nopTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.sealTOTP(&totpRecord{V: 1, Alg: "SHA256", Secret: signing.EncodeTOTPSecret(sec)})
	if err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string]string{
		"empty":         "",
		"garbage":       "not-an-envelope",
		"other keyring": foreign,
		"version 2":     seal(`{"v":2,"alg":"SHA256","secret":"` + signing.EncodeTOTPSecret(sec) + `"}`),
		"unknown field": seal(`{"v":1,"alg":"SHA256","secret":"` + signing.EncodeTOTPSecret(sec) + `","x":1}`),
		"no algorithm":  seal(`{"v":1,"secret":"` + signing.EncodeTOTPSecret(sec) + `"}`),
		"bad secret":    seal(`{"v":1,"alg":"SHA256","secret":"!!"}`),
	} {
		if _, _, _, err := f.openTOTP(env); !errors.Is(err, errTOTPRecord) {
			t.Errorf("%s: openTOTP err = %v, want errTOTPRecord", name, err)
		}
	}
	off, err := New(Config{})
	if err != nil || off.Ready() {
		t.Fatalf("no keyring: ready=%v err=%v", off.Ready(), err)
	}
	if _, _, _, err := off.openTOTP(good); !errors.Is(err, errTOTPRecord) {
		t.Fatalf("a feature without keyring opened a record: %v", err)
	}
	if err := off.ReloadKeyring(testRing(t, "c")); err == nil {
		t.Fatal("ReloadKeyring enabled TOTP that was off at start")
	}
	if err := f.ReloadKeyring(nil); err == nil {
		t.Fatal("ReloadKeyring accepted a nil keyring")
	}
	if _, err := New(Config{Options: Options{Keyring: testRing(t, "d"), Algorithm: "MD5"}, Pending: nopTokens{}, Enroll: nopTokens{}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("unknown algorithm: %v", err)
	}
}

// nopTokens stands in for the core's token codecs.
type nopTokens struct{}

func (nopTokens) Issue(string, string, string, string, time.Duration, time.Time) (string, error) {
	return "", errors.New("not issued")
}
func (nopTokens) Verify(string, time.Time) (feature.Claims, error) {
	return feature.Claims{}, errors.New("not verified")
}
