package signing_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

func keyringGen(t testing.TB, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		k, err := signing.GenerateFernetKey()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = k
	}
	return out
}

func keyringNew(t testing.TB, active string, keys map[string]string) *signing.Keyring {
	t.Helper()
	r, err := signing.NewKeyring(active, keys)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return r
}

func TestKeyringSealOpen(t *testing.T) {
	ks := keyringGen(t, 1)
	r := keyringNew(t, "k1", map[string]string{"k1": ks[0]})
	for _, pt := range [][]byte{{}, []byte("totp-secret-JBSWY3DPEHPK3PXP"), bytes.Repeat([]byte{0xff}, 4096)} {
		env, err := r.Seal(pt)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(env, "fernet:v1:k1:gAAAAA") {
			t.Fatalf("envelope shape: %.24s...", env)
		}
		if len(pt) > 4 && strings.Contains(env, string(pt)) {
			t.Fatal("envelope contains the plaintext")
		}
		got, err := r.Open(env)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %v", err)
		}
		id, err := r.KeyIDOf(env)
		if err != nil || id != "k1" {
			t.Fatalf("KeyIDOf = %q, %v", id, err)
		}
	}
}

// Rotation: a value sealed under k1 still opens once k2 is active, Reseal
// moves it to k2, and after k1 is removed only the resealed value opens.
func TestKeyringRotation(t *testing.T) {
	ks := keyringGen(t, 2)
	old := keyringNew(t, "k1", map[string]string{"k1": ks[0]})
	env1, err := old.Seal([]byte("provider refresh token"))
	if err != nil {
		t.Fatal(err)
	}

	rotated := keyringNew(t, "k2", map[string]string{"k1": ks[0], "k2": ks[1]})
	if got, err := rotated.Open(env1); err != nil || string(got) != "provider refresh token" {
		t.Fatalf("Open(k1 envelope) after rotation = %q, %v", got, err)
	}
	if id, _ := rotated.KeyIDOf(env1); id != "k1" {
		t.Fatalf("KeyIDOf = %q; want k1", id)
	}
	if ids := rotated.KeyIDs(); !slices.Equal(ids, []string{"k1", "k2"}) {
		t.Fatalf("KeyIDs = %v", ids)
	}
	if rotated.ActiveKeyID() != "k2" || !rotated.Has("k1") || rotated.Has("k3") {
		t.Fatal("ActiveKeyID/Has disagree with config")
	}

	env2, changed, err := rotated.Reseal(env1)
	if err != nil || !changed {
		t.Fatalf("Reseal = changed %v, %v; want true, nil", changed, err)
	}
	if id, _ := rotated.KeyIDOf(env2); id != "k2" {
		t.Fatalf("resealed under %q; want k2", id)
	}
	if got, err := rotated.Open(env2); err != nil || string(got) != "provider refresh token" {
		t.Fatalf("Open(resealed) = %q, %v", got, err)
	}
	env3, changed, err := rotated.Reseal(env2)
	if err != nil || changed || env3 != env2 {
		t.Fatalf("Reseal(already active) = changed %v, same %v, %v", changed, env3 == env2, err)
	}

	onlyNew := keyringNew(t, "k2", map[string]string{"k2": ks[1]})
	if _, err := onlyNew.Open(env1); !errors.Is(err, signing.ErrUnknownKeyID) {
		t.Fatalf("Open(k1 envelope) without k1 = %v; want ErrUnknownKeyID", err)
	}
	if _, _, err := onlyNew.Reseal(env1); !errors.Is(err, signing.ErrUnknownKeyID) {
		t.Fatalf("Reseal without k1 = %v; want ErrUnknownKeyID", err)
	}
	if got, err := onlyNew.Open(env2); err != nil || string(got) != "provider refresh token" {
		t.Fatalf("Open(resealed) without k1 = %q, %v", got, err)
	}
	// KeyIDOf still names removed ids, so `keys status` can count them.
	if id, err := onlyNew.KeyIDOf(env1); err != nil || id != "k1" {
		t.Fatalf("KeyIDOf(removed id) = %q, %v", id, err)
	}
}

// The same id bound to a different key must not open old envelopes.
func TestKeyringSameIDDifferentKeyFails(t *testing.T) {
	ks := keyringGen(t, 2)
	a := keyringNew(t, "k1", map[string]string{"k1": ks[0]})
	b := keyringNew(t, "k1", map[string]string{"k1": ks[1]})
	env, _ := a.Seal([]byte("x"))
	if _, err := b.Open(env); !errors.Is(err, signing.ErrEnvelopeInvalid) {
		t.Fatalf("err = %v; want ErrEnvelopeInvalid", err)
	}
	if _, _, err := b.Reseal(env); !errors.Is(err, signing.ErrEnvelopeInvalid) {
		t.Fatalf("Reseal err = %v; want ErrEnvelopeInvalid", err)
	}
}

// Moving a token under another key id (both configured) must fail: the id
// picks the key, and the MAC binds the token to that key.
func TestKeyringRelabelledEnvelopeFails(t *testing.T) {
	ks := keyringGen(t, 2)
	r := keyringNew(t, "k1", map[string]string{"k1": ks[0], "k2": ks[1]})
	env, _ := r.Seal([]byte("x"))
	relabelled := strings.Replace(env, ":k1:", ":k2:", 1)
	if _, err := r.Open(relabelled); !errors.Is(err, signing.ErrEnvelopeInvalid) {
		t.Fatalf("err = %v; want ErrEnvelopeInvalid", err)
	}
}

func TestKeyringRejectsHostileEnvelopesWithoutEcho(t *testing.T) {
	ks := keyringGen(t, 1)
	r := keyringNew(t, "k1", map[string]string{"k1": ks[0]})
	env, err := r.Seal([]byte("sealed value"))
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(env, "fernet:v1:k1:")
	flipped := []byte(tok)
	if flipped[30] == 'A' {
		flipped[30] = 'B'
	} else {
		flipped[30] = 'A'
	}
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", signing.ErrMalformedEnvelope},
		{"plain text", "JBSWY3DPEHPK3PXP-SECRETMARKER", signing.ErrMalformedEnvelope},
		{"bare token", tok, signing.ErrMalformedEnvelope},
		{"wrong scheme", "aesgcm:v1:k1:" + tok, signing.ErrMalformedEnvelope},
		{"wrong version", "fernet:v2:k1:" + tok, signing.ErrMalformedEnvelope},
		{"upper case scheme", "FERNET:v1:k1:" + tok, signing.ErrMalformedEnvelope},
		{"leading space", " " + env, signing.ErrMalformedEnvelope},
		{"trailing newline", env + "\n", signing.ErrMalformedEnvelope},
		{"newline in token", env[:30] + "\n" + env[30:], signing.ErrMalformedEnvelope},
		{"no key id", "fernet:v1::" + tok, signing.ErrMalformedEnvelope},
		{"no token", "fernet:v1:k1:", signing.ErrMalformedEnvelope},
		{"no separator", "fernet:v1:k1", signing.ErrMalformedEnvelope},
		{"extra field", "fernet:v1:k1:" + tok + ":x", signing.ErrMalformedEnvelope},
		{"key id bad chars", "fernet:v1:k.1:" + tok, signing.ErrMalformedEnvelope},
		{"key id too long", "fernet:v1:" + strings.Repeat("k", 65) + ":" + tok, signing.ErrMalformedEnvelope},
		{"token bad chars", "fernet:v1:k1:" + tok[:10] + "+/" + tok[12:], signing.ErrMalformedEnvelope},
		{"token unpadded", "fernet:v1:k1:" + strings.TrimRight(tok, "="), signing.ErrMalformedEnvelope},
		{"token truncated", "fernet:v1:k1:" + tok[:len(tok)-8], signing.ErrMalformedEnvelope},
		{"huge", "fernet:v1:k1:" + strings.Repeat("A", signing.KeyringMaxEnvelopeLen), signing.ErrMalformedEnvelope},
		{"unknown key id", "fernet:v1:k9:" + tok, signing.ErrUnknownKeyID},
		{"tampered token", "fernet:v1:k1:" + string(flipped), signing.ErrEnvelopeInvalid},
		{"token from another key", "fernet:v1:k1:" + strings.TrimPrefix(keyringSealWithFreshKey(t), "fernet:v1:k1:"), signing.ErrEnvelopeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := r.Open(c.in)
			if !errors.Is(err, c.want) || got != nil {
				t.Fatalf("Open err = %v, plaintext %v; want %v", err, got != nil, c.want)
			}
			keyringAssertNoEcho(t, err, c.in)
			if _, _, err := r.Reseal(c.in); !errors.Is(err, c.want) {
				t.Fatalf("Reseal err = %v; want %v", err, c.want)
			} else {
				keyringAssertNoEcho(t, err, c.in)
			}
		})
	}
}

func keyringSealWithFreshKey(t *testing.T) string {
	other := keyringNew(t, "k1", map[string]string{"k1": keyringGen(t, 1)[0]})
	env, err := other.Seal([]byte("sealed value"))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func keyringAssertNoEcho(t *testing.T, err error, in string) {
	t.Helper()
	msg := err.Error()
	if strings.Contains(msg, "SECRETMARKER") {
		t.Fatalf("error echoes the input: %s", msg)
	}
	if _, tok, ok := strings.Cut(strings.TrimPrefix(in, "fernet:v1:"), ":"); ok && len(tok) >= 8 && strings.Contains(msg, tok[:8]) {
		t.Fatalf("error echoes the token: %s", msg)
	}
	if len(in) >= 8 && strings.Contains(msg, in) {
		t.Fatalf("error echoes the envelope: %s", msg)
	}
}

func TestNewKeyringValidation(t *testing.T) {
	ks := keyringGen(t, 2)
	const marker = "SECRETMARKER.SECRETMARKER.SECRETMARKER.SECR"
	cases := []struct {
		name     string
		active   string
		keys     map[string]string
		mentions []string
	}{
		{"no keys", "k1", nil, []string{"no keys", "not among"}},
		{"active missing", "k3", map[string]string{"k1": ks[0], "k2": ks[1]}, []string{`"k3"`}},
		{"active empty", "", map[string]string{"k1": ks[0]}, []string{"active key id is empty"}},
		{"active bad chars", "k 1", map[string]string{"k1": ks[0]}, []string{"active key id"}},
		{"bad key", "k1", map[string]string{"k1": ks[0], "k2": marker}, []string{`"k2"`}},
		{"key with newline", "k1", map[string]string{"k1": ks[0] + "\n"}, []string{`"k1"`}},
		{"key id bad chars", "k1", map[string]string{"k1": ks[0], "bad/id": ks[1]}, []string{"a key id"}},
		{"key id too long", "k1", map[string]string{"k1": ks[0], strings.Repeat("x", 65): ks[1]}, []string{"a key id"}},
		{"key id is a key", "k1", map[string]string{"k1": ks[0], marker: ks[1]}, []string{"a key id"}},
		{"several problems", "nope", map[string]string{"k1": "short", "k2": "also short"}, []string{`"k1"`, `"k2"`, `"nope"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := signing.NewKeyring(c.active, c.keys)
			if err == nil || r != nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, signing.ErrKeyringConfig) {
				t.Fatalf("err = %v; want ErrKeyringConfig", err)
			}
			msg := err.Error()
			for _, m := range c.mentions {
				if !strings.Contains(msg, m) {
					t.Errorf("error %q does not mention %s", msg, m)
				}
			}
			for _, k := range append(ks, marker, "SECRETMARKER", "short") {
				if strings.Contains(msg, k) {
					t.Fatalf("error leaks key material: %q", msg)
				}
			}
		})
	}
	// Ids at the edges of the allowed set.
	if _, err := signing.NewKeyring("A-z_9", map[string]string{"A-z_9": ks[0], strings.Repeat("x", 64): ks[1]}); err != nil {
		t.Fatalf("valid ids refused: %v", err)
	}
}

func TestKeyringKeyIDsIsACopy(t *testing.T) {
	ks := keyringGen(t, 2)
	r := keyringNew(t, "b", map[string]string{"b": ks[0], "a": ks[1]})
	ids := r.KeyIDs()
	if !slices.Equal(ids, []string{"a", "b"}) {
		t.Fatalf("KeyIDs = %v", ids)
	}
	ids[0] = "zzz"
	if r.KeyIDs()[0] != "a" {
		t.Fatal("KeyIDs exposes internal state")
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	ks := keyringGen(t, 2)
	r := keyringNew(t, "k2", map[string]string{"k1": ks[0], "k2": ks[1]})
	old := keyringNew(t, "k1", map[string]string{"k1": ks[0]})
	env1, _ := old.Seal([]byte("v"))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				env, err := r.Seal([]byte("v"))
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := r.Open(env); err != nil || string(got) != "v" {
					t.Error("open failed")
					return
				}
				if _, _, err := r.Reseal(env1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Sealed envelopes carry their creation time but Open applies no TTL:
// secrets at rest do not expire.
func TestKeyringOpenIgnoresAge(t *testing.T) {
	raw := keyringGen(t, 1)[0]
	k, _ := signing.ParseFernetKey(raw)
	tok, err := signing.FernetEncrypt(k, []byte("old"), time.Unix(1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := keyringNew(t, "k1", map[string]string{"k1": raw})
	if got, err := r.Open("fernet:v1:k1:" + tok); err != nil || string(got) != "old" {
		t.Fatalf("Open(old) = %q, %v", got, err)
	}
}

func FuzzKeyringOpen(f *testing.F) {
	keys := map[string]string{
		"k1": "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",
		"k2": "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=",
	}
	r, err := signing.NewKeyring("k1", keys)
	if err != nil {
		f.Fatal(err)
	}
	env, _ := r.Seal([]byte("seed plaintext"))
	f.Add(env)
	f.Add("fernet:v1:k1:gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==")
	f.Add("fernet:v1:k2:gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==")
	f.Add("fernet:v1:k3:AAAA")
	f.Add("fernet:v1::")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		pt, err := r.Open(in)
		if err != nil {
			if pt != nil {
				t.Fatal("plaintext returned with an error")
			}
			if !errors.Is(err, signing.ErrMalformedEnvelope) && !errors.Is(err, signing.ErrUnknownKeyID) && !errors.Is(err, signing.ErrEnvelopeInvalid) {
				t.Fatalf("unexpected error %v", err)
			}
			if len(in) >= 16 && strings.Contains(err.Error(), in) {
				t.Fatal("error echoes the envelope")
			}
			return
		}
		// Anything that opens names a configured key and reseals to the
		// same plaintext under the active key.
		id, err := r.KeyIDOf(in)
		if err != nil || !r.Has(id) {
			t.Fatalf("opened an envelope with key id %q, %v", id, err)
		}
		out, _, err := r.Reseal(in)
		if err != nil {
			t.Fatalf("Reseal of an openable envelope: %v", err)
		}
		again, err := r.Open(out)
		if err != nil || !bytes.Equal(again, pt) {
			t.Fatal("resealed envelope does not round-trip")
		}
	})
}

func BenchmarkKeyringSeal(b *testing.B) {
	r := keyringNew(b, "k1", map[string]string{"k1": keyringGen(b, 1)[0]})
	pt := []byte("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Seal(pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyringOpen(b *testing.B) {
	r := keyringNew(b, "k1", map[string]string{"k1": keyringGen(b, 1)[0]})
	env, err := r.Seal([]byte("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Open(env); err != nil {
			b.Fatal(err)
		}
	}
}
