package apikeys

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/signing"
)

// TestParseKeyLifetimeRefusesOutOfRangeAndMalformed: expires_in is whole
// seconds or a duration text between one minute and ten years; anything
// else is refused before a key is minted.
func TestParseKeyLifetimeRefusesOutOfRangeAndMalformed(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want time.Duration
		ok   bool
	}{
		{``, 0, true},
		{`null`, 0, true},
		{`3600`, time.Hour, true},
		{`"720h"`, 720 * time.Hour, true},
		{`"90d"`, 90 * 24 * time.Hour, true},
		{`"3650d"`, maxAPIKeyLifetime, true},
		{`59`, 0, false},
		{`"59s"`, 0, false},
		{`"3651d"`, 0, false},
		{`"+5d"`, 0, false},
		{`"-1h"`, 0, false},
		{`1.5`, 0, false},
		{`"1e3h"`, 0, false},
		{`true`, 0, false},
		{`"` + strings.Repeat("9", 40) + `d"`, 0, false},
	} {
		got, err := parseKeyLifetime(json.RawMessage(tc.raw))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseKeyLifetime(%s) = %v, %v; want %v, ok=%v", tc.raw, got, err, tc.want, tc.ok)
		}
	}
}

// TestNewRefusesUnusableKeyConfig: a configuration that could mint keys
// the verifier would not accept fails at start.
func TestNewRefusesUnusableKeyConfig(t *testing.T) {
	kh, err := signing.NewAPIKeyHasher(signing.NewSecret([]byte(strings.Repeat("k", 40))))
	if err != nil {
		t.Fatal(err)
	}
	store, err := bolt.Open(filepath.Join(t.TempDir(), "k.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ok := Options{Enabled: true, Hasher: kh, AllowedScopes: []string{"read", "read", "admin"}}
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		nost bool
	}{
		{name: "no store", nost: true},
		{name: "no hasher", mod: func(o *Options) { o.Hasher = nil }},
		{name: "signing without keyring", mod: func(o *Options) { o.SigningEnabled = true }},
		{name: "bad prefix", mod: func(o *Options) { o.Prefix = "a_b" }},
		{name: "bad env", mod: func(o *Options) { o.Env = "pr od" }},
		{name: "bad scope", mod: func(o *Options) { o.AllowedScopes = []string{"no spaces"} }},
	} {
		o := ok
		if tc.mod != nil {
			tc.mod(&o)
		}
		st := store
		var f *Feature
		var err error
		if tc.nost {
			f, err = New(o, nil)
		} else {
			f, err = New(o, st)
		}
		if !errors.Is(err, ErrConfig) || f != nil {
			t.Errorf("%s: New = %v, %v; want ErrConfig", tc.name, f, err)
		}
	}
	f, err := New(ok, store)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.o.AllowedScopes, ","); got != "admin,read" || f.Prefix() != "ak" || f.o.MaxPerUser != 20 {
		t.Fatalf("defaults and scopes: %q %q %d", got, f.Prefix(), f.o.MaxPerUser)
	}
	off, err := New(Options{}, nil)
	if err != nil || off.Enabled() || off.Prefix() != "ak" {
		t.Fatalf("disabled: %v %v %q", err, off.Enabled(), off.Prefix())
	}
	if err := off.ReloadSigningKeyring(nil); err == nil {
		t.Fatal("a nil keyring was accepted")
	}
}
