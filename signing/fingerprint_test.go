package signing_test

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

// fingerprintReference recomputes the documented construction
// independently of the package.
func fingerprintReference(t *testing.T, key []byte, fields ...string) string {
	k, err := hkdf.Key(sha256.New, key, nil, "gatehouse/v1/session-fingerprint", 32)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, k)
	for _, f := range fields {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		m.Write([]byte(f))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestSessionFingerprint(t *testing.T) {
	raw := []byte("fingerprint-secret-0123456789abcdef")
	key := signing.NewSecret(raw)
	got := signing.SessionFingerprint(key, "u-1", "alice@example.test", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")
	want := fingerprintReference(t, raw, "u-1", "alice@example.test", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")
	if got != want || len(got) != signing.SessionFingerprintLen {
		t.Fatalf("got %s want %s", got, want)
	}
	if a := signing.AppendSessionFingerprint([]byte("x"), key, "u-1", "alice@example.test", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"); string(a) != "x"+want {
		t.Fatalf("Append %s", a)
	}
	base := [3]string{"u-1", "a@x.test", "hash"}
	variants := [][3]string{
		{"u-2", "a@x.test", "hash"},                 // other user
		{"u-1", "b@x.test", "hash"},                 // email changed
		{"u-1", "a@x.test", "hash2"},                // password changed
		{"u-1a", "@x.test", "hash"},                 // boundary moved: framing must tell
		{"u-1", "a@x.testhash", ""},                 // boundary moved
		{"", "u-1a@x.test", "hash"},                 // boundary moved
		{"u-1\x00", "\x00\x00\x00a@x.test", "hash"}, // framing bytes smuggled
	}
	f := signing.NewSessionFingerprinter(key)
	fp := f.Append(nil, base[0], base[1], base[2])
	if !f.Match(fp, base[0], base[1], base[2]) {
		t.Fatal("Match refused its own fingerprint")
	}
	for _, v := range variants {
		if f.Match(fp, v[0], v[1], v[2]) {
			t.Errorf("variant %q matched", v)
		}
	}
	other := signing.NewSessionFingerprinter(signing.NewSecret([]byte("another-secret-0123456789abcdef-xx")))
	if other.Match(fp, base[0], base[1], base[2]) {
		t.Error("fingerprint matched under another key")
	}
	if f.Match(fp[:42], base[0], base[1], base[2]) || f.Match(nil, base[0], base[1], base[2]) {
		t.Error("truncated fingerprint matched")
	}
}
