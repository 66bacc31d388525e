package signing_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

var recoveryFast = signing.PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestNewRecoveryCodesShape(t *testing.T) {
	codes, err := signing.NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("%d codes", len(codes))
	}
	re := regexp.MustCompile(`^[0-9a-f]{28}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !re.MatchString(c) || seen[c] {
			t.Fatalf("bad or repeated code %q", c)
		}
		seen[c] = true
	}
}

func TestNormalizeRecoveryCode(t *testing.T) {
	const c = "0123456789abcdef0123456789ab"
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{c, c, true},
		{strings.ToUpper(c), c, true},
		{"0123-4567 89ab-cdef-0123-4567-89ab", c, true},
		{c[:27], "", false},
		{c + "0", "", false},
		{c[:27] + "g", "", false},
		{"", "", false},
		{c[:27] + "\x00", "", false},
		{strings.Repeat("-", 200), "", false},
		{c[:27] + "é", "", false},
	}
	for _, tc := range cases {
		got, ok := signing.NormalizeRecoveryCode(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Fatalf("%q: got %q %v", tc.in, got, ok)
		}
	}
}

func TestMatchRecoveryCode(t *testing.T) {
	h, err := signing.NewHasher(recoveryFast)
	if err != nil {
		t.Fatal(err)
	}
	key := signing.NewSecret([]byte(strings.Repeat("k", 32)))
	codes, _ := signing.NewRecoveryCodes()
	stored, err := signing.HashRecoveryCodes(h, key, codes)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range stored {
		if strings.Contains(s.Hash, codes[i]) || strings.Contains(s.Lookup, codes[i]) || !strings.HasPrefix(s.Hash, "$argon2id$") {
			t.Fatalf("stored entry %d reveals the code or is not argon2id", i)
		}
	}
	for i, c := range codes {
		idx, lk, ok, err := signing.MatchRecoveryCode(h, key, stored, strings.ToUpper(c))
		if !ok || idx != i || lk != stored[i].Lookup || err != nil {
			t.Fatalf("code %d: idx=%d ok=%v err=%v", i, idx, ok, err)
		}
	}
	other, _ := signing.NewRecoveryCodes()
	otherKey := signing.NewSecret([]byte(strings.Repeat("o", 32)))
	tampered := append([]signing.RecoveryCodeHash(nil), stored...)
	tampered[0].Hash = "$argon2id$garbage"
	cases := []struct {
		name   string
		key    signing.Secret
		stored []signing.RecoveryCodeHash
		code   string
	}{
		{"unknown code", key, stored, other[0]},
		{"malformed", key, stored, "not a code"},
		{"empty", key, stored, ""},
		{"other lookup key", otherKey, stored, codes[1]},
		{"no codes", key, nil, codes[0]},
		{"unusable hash", key, tampered, codes[0]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if idx, _, ok, err := signing.MatchRecoveryCode(h, tc.key, tc.stored, tc.code); ok || idx != -1 || err != nil {
				t.Fatalf("matched at %d (err %v)", idx, err)
			}
		})
	}
	if _, err := signing.HashRecoveryCodes(h, key, []string{"short"}); err == nil {
		t.Fatal("hashed a malformed code")
	}
}

func FuzzNormalizeRecoveryCode(f *testing.F) {
	f.Add("0123456789abcdef0123456789ab")
	f.Add("0123-4567")
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := signing.NormalizeRecoveryCode(s)
		if !ok {
			return
		}
		if len(n) != 28 || strings.Trim(n, "0123456789abcdef") != "" {
			t.Fatalf("%q normalised to %q", s, n)
		}
	})
}
