package signing_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

const akTestKey = "api-key-hash-secret-0123456789abcdef"

func TestGenerateAndParseAPIKey(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		raw, id, sec, err := signing.GenerateAPIKey("ak", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != signing.APIKeyIDLen || len(sec) != signing.APIKeySecretLen || raw != "ak_prod_"+id+"."+sec || seen[id] {
			t.Fatalf("generated %d %d", len(id), len(sec))
		}
		seen[id] = true
		if b, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(b) != 16 {
			t.Fatal("key id is not 16 bytes of base64url")
		}
		if b, err := base64.RawURLEncoding.DecodeString(sec); err != nil || len(b) != 32 {
			t.Fatal("secret is not 32 bytes of base64url")
		}
		p, err := signing.ParseAPIKey([]byte(raw), "ak")
		if err != nil || string(p.Env) != "prod" || string(p.KeyID) != id || string(p.Secret) != sec {
			t.Fatalf("parse: %v", err)
		}
	}
	for _, bad := range [][2]string{{"", "prod"}, {"ak", ""}, {"AK", "prod"}, {"ak", "pr_od"}, {"a-k", "prod"}, {strings.Repeat("a", 17), "prod"}, {"ak", "é"}} {
		if _, _, _, err := signing.GenerateAPIKey(bad[0], bad[1]); !errors.Is(err, signing.ErrAPIKeyLabel) {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, _, _, err := signing.GenerateAPIKey(strings.Repeat("a", 16), strings.Repeat("9", 16)); err != nil {
		t.Errorf("16-character labels refused: %v", err)
	}
}

func TestParseAPIKeyHostile(t *testing.T) {
	id := "AAECAwQFBgcICQoLDA0ODw"                       // 16 bytes
	sec := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" // 32 bytes
	good := "ak_prod_" + id + "." + sec
	if p, err := signing.ParseAPIKey([]byte(good), "ak"); err != nil || string(p.KeyID) != id {
		t.Fatalf("baseline refused: %v", err)
	}
	idWithUnderscore := "_-_-_-_-_-_-_-_-_-_-_w"
	if p, err := signing.ParseAPIKey([]byte("ak_test1_"+idWithUnderscore+"."+sec), "ak"); err != nil || string(p.Env) != "test1" || string(p.KeyID) != idWithUnderscore {
		t.Fatalf("key id with _ and - refused: %v", err)
	}
	cases := map[string]string{
		"empty":                  "",
		"wrong prefix":           "sk_prod_" + id + "." + sec,
		"prefix case":            "AK_prod_" + id + "." + sec,
		"longer prefix":          "akx_prod_" + id + "." + sec,
		"prefix only":            "ak",
		"prefix and underscore":  "ak_",
		"missing env":            "ak__" + id + "." + sec,
		"env upper-case":         "ak_Prod_" + id + "." + sec,
		"env too long":           "ak_" + strings.Repeat("e", 17) + "_" + id + "." + sec,
		"env with dash":          "ak_pr-od_" + id + "." + sec,
		"missing key id":         "ak_prod_." + sec,
		"missing secret":         "ak_prod_" + id + ".",
		"missing dot":            "ak_prod_" + id + sec,
		"no secret part":         "ak_prod_" + id,
		"empty secret":           "ak_prod_" + id + "." + "",
		"extra dot":              "ak_prod_" + id + "." + sec[:20] + "." + sec[21:],
		"two dots":               "ak_prod_" + id + ".." + sec,
		"short key id":           "ak_prod_" + id[:21] + "." + sec,
		"long key id":            "ak_prod_" + id + "A." + sec,
		"short secret":           "ak_prod_" + id + "." + sec[:42],
		"long secret":            "ak_prod_" + id + "." + sec + "A",
		"padding":                "ak_prod_" + id + "." + sec + "=",
		"plus in key id":         "ak_prod_" + "+" + id[1:] + "." + sec,
		"slash in secret":        "ak_prod_" + id + "." + "/" + sec[1:],
		"space in secret":        "ak_prod_" + id + "." + " " + sec[1:],
		"trailing newline":       good + "\n",
		"leading space":          " " + good,
		"trailing space":         good + " ",
		"unicode in secret":      "ak_prod_" + id + "." + "é" + sec[2:],
		"NUL in key id":          "ak_prod_" + "\x00" + id[1:] + "." + sec,
		"non-canonical key id":   "ak_prod_" + id[:21] + "x." + sec,
		"non-canonical secret":   "ak_prod_" + id + "." + sec[:42] + "h",
		"too long":               good + strings.Repeat("A", signing.APIKeyMaxLen),
		"bearer prefix included": "Bearer " + good,
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := signing.ParseAPIKey([]byte(raw), "ak")
			if !errors.Is(err, signing.ErrAPIKeyMalformed) {
				t.Fatalf("err = %v", err)
			}
			if p.Env != nil || p.KeyID != nil || p.Secret != nil {
				t.Fatal("parts returned on error")
			}
			if strings.Contains(err.Error(), sec) || strings.Contains(err.Error(), id) {
				t.Fatal("error echoes key material")
			}
		})
	}
	if _, err := signing.ParseAPIKey([]byte(good), ""); err == nil {
		t.Fatal("empty configured prefix accepted")
	}
}

func TestAPIKeyHasher(t *testing.T) {
	h, err := signing.NewAPIKeyHasher(signing.NewSecret([]byte(akTestKey)))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
	d := h.Digest(secret)
	m := hmac.New(sha256.New, []byte(akTestKey))
	m.Write(secret)
	if !bytes.Equal(d[:], m.Sum(nil)) {
		t.Fatal("Digest is not HMAC-SHA256(key, secret text)")
	}
	if d2 := h.Digest(secret); d2 != d {
		t.Fatal("Digest not deterministic")
	}
	if !h.Match(secret, d[:]) {
		t.Fatal("Match refused")
	}
	other := bytes.Clone(secret)
	other[0] ^= 1
	if h.Match(other, d[:]) || h.Match(secret, d[:31]) || h.Match(secret, nil) || h.Match(secret, append(d[:], 0)) {
		t.Fatal("Match accepted a wrong secret or digest")
	}
	dummy := h.DummyDigest()
	if h.Match(secret, dummy[:]) || h.Match(nil, dummy[:]) || dummy == ([32]byte{}) {
		t.Fatal("dummy digest matched")
	}
	if _, err := signing.NewAPIKeyHasher(signing.NewSecret([]byte("short"))); err == nil {
		t.Fatal("short key accepted")
	}
	h2, _ := signing.NewAPIKeyHasher(signing.NewSecret([]byte(akTestKey + "x")))
	if h2.Match(secret, d[:]) {
		t.Fatal("digest matched under another key")
	}
}

func FuzzParseAPIKey(f *testing.F) {
	raw, _, _, _ := signing.GenerateAPIKey("ak", "prod")
	f.Add([]byte(raw))
	f.Add([]byte("ak_prod_AAECAwQFBgcICQoLDA0ODw.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"))
	f.Add([]byte("ak_prod_.x"))
	f.Add([]byte("ak_" + strings.Repeat("a", 16) + "__-_-_-_-_-_-_-_-_-_-_w.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := signing.ParseAPIKey(b, "ak")
		if err != nil {
			return
		}
		// An accepted key has exactly the documented shape and re-joins to
		// the input.
		if len(p.KeyID) != signing.APIKeyIDLen || len(p.Secret) != signing.APIKeySecretLen ||
			len(p.Env) == 0 || len(p.Env) > 16 {
			t.Fatalf("bad parts %q", b)
		}
		if "ak_"+string(p.Env)+"_"+string(p.KeyID)+"."+string(p.Secret) != string(b) {
			t.Fatalf("parts do not re-join to %q", b)
		}
		if _, err := base64.RawURLEncoding.Strict().DecodeString(string(p.KeyID)); err != nil {
			t.Fatalf("key id not canonical base64url: %q", p.KeyID)
		}
		if _, err := base64.RawURLEncoding.Strict().DecodeString(string(p.Secret)); err != nil {
			t.Fatalf("secret not canonical base64url: %q", p.Secret)
		}
	})
}

// TestGeneratedKeyIDsNeverStartWithDashOrUnderscore: a key id given to
// `gatehouse apikey revoke` must not be read as a flag. Over many ids none
// begins with '-' or '_', every one still parses, and the first character
// still takes each of the 62 letters and digits (no bias collapse).
func TestGeneratedKeyIDsNeverStartWithDashOrUnderscore(t *testing.T) {
	const n = 5000
	first := map[byte]int{}
	for range n {
		raw, id, sec, err := signing.GenerateAPIKey("ak", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if id[0] == '-' || id[0] == '_' {
			t.Fatalf("key id %q begins with %q", id, id[0])
		}
		if len(id) != signing.APIKeyIDLen {
			t.Fatalf("key id length %d", len(id))
		}
		p, err := signing.ParseAPIKey([]byte(raw), "ak")
		if err != nil || string(p.KeyID) != id || string(p.Secret) != sec {
			t.Fatalf("generated key does not parse: %v", err)
		}
		first[id[0]]++
	}
	if len(first) != 62 {
		t.Fatalf("first characters: %d distinct, want all 62 of A-Z a-z 0-9", len(first))
	}
}
