package signing_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse/gatehouse/signing"
)

// refHOTP is the RFC 4226 implementation gatehouse had before it moved to
// github.com/pquerna/otp, kept here only as the reference of the
// differential test.
func refHOTP(h func() hash.Hash, secret []byte, counter uint64, digits int) string {
	m := hmac.New(h, secret)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := uint64(binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff)
	if digits < 10 {
		mod := uint64(1)
		for i := 0; i < digits; i++ {
			mod *= 10
		}
		code %= mod
	}
	return fmt.Sprintf("%0*d", digits, code)
}

// TestHOTPMatchesTheFormerImplementation: for random secrets, times and
// lengths, the former hand-written HOTP, signing.HOTP and pquerna's
// hotp/totp code generators agree for SHA-1, SHA-256 and SHA-512.
func TestHOTPMatchesTheFormerImplementation(t *testing.T) {
	algs := []struct {
		alg signing.TOTPAlgorithm
		h   func() hash.Hash
		otp otp.Algorithm
	}{
		{signing.TOTPSHA1, sha1.New, otp.AlgorithmSHA1},
		{signing.TOTPSHA256, sha256.New, otp.AlgorithmSHA256},
		{signing.TOTPSHA512, sha512.New, otp.AlgorithmSHA512},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding)
	for _, a := range algs {
		for i := 0; i < 500; i++ {
			sec := make([]byte, 1+rng.IntN(64))
			for j := range sec {
				sec[j] = byte(rng.Uint32())
			}
			at := time.Unix(rng.Int64N(1<<40), 0)
			ctr := signing.TOTPCounter(at)
			digits := 6
			if i%4 == 0 {
				digits = 8
			}
			want := refHOTP(a.h, sec, ctr, digits)
			if got := signing.HOTP(a.alg, sec, ctr, digits); got != want {
				t.Fatalf("%s: signing.HOTP %s, former %s", a.alg, got, want)
			}
			got, err := totp.GenerateCodeCustom(b32.EncodeToString(sec), at, totp.ValidateOpts{Period: signing.TOTPPeriod, Digits: otp.Digits(digits), Algorithm: a.otp})
			if err != nil || got != want {
				t.Fatalf("%s: pquerna totp %s (%v), former %s", a.alg, got, err, want)
			}
			got, err = hotp.GenerateCodeCustom(b32.EncodeToString(sec), ctr, hotp.ValidateOpts{Digits: otp.Digits(digits), Algorithm: a.otp})
			if err != nil || got != want {
				t.Fatalf("%s: pquerna hotp %s (%v), former %s", a.alg, got, err, want)
			}
		}
	}
}

// TestTOTPKeyCarriesTheLabelsAndParameters: the pquerna key has our
// issuer, account, secret, SHA-256, 6 digits and 30 s; an empty label or
// secret is refused.
func TestTOTPKeyCarriesTheLabelsAndParameters(t *testing.T) {
	sec := []byte("12345678901234567890123456789012")
	k, err := signing.NewTOTPKey("Gate House", "tia@example.test", signing.TOTPSHA256, sec)
	if err != nil {
		t.Fatal(err)
	}
	if k.Issuer() != "Gate House" || k.AccountName() != "tia@example.test" || k.Secret() != signing.EncodeTOTPSecret(sec) ||
		k.Algorithm() != otp.AlgorithmSHA256 || k.Digits() != otp.DigitsSix || k.Period() != 30 || k.Type() != "totp" {
		t.Fatalf("key %s", k.URL())
	}
	if k.URL() != signing.TOTPURI("Gate House", "tia@example.test", signing.TOTPSHA256, sec) {
		t.Fatal("TOTPURI differs from the key's URL")
	}
	// A '/', '?', '#' or '%' of an account stays inside its label.
	k, err = signing.NewTOTPKey("Gate/House", "a/b?c#d%e@example.test", signing.TOTPSHA1, sec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.URL(), "otpauth://totp/Gate%2FHouse:a%2Fb%3Fc%23d%25e@example.test?") ||
		k.Issuer() != "Gate/House" || k.AccountName() != "a/b?c#d%e@example.test" || k.Secret() != signing.EncodeTOTPSecret(sec) {
		t.Fatalf("escaped labels: %s (%q %q)", k.URL(), k.Issuer(), k.AccountName())
	}
	for _, c := range []struct{ iss, acct string }{{"", "a@b"}, {"x", ""}} {
		if _, err := signing.NewTOTPKey(c.iss, c.acct, signing.TOTPSHA256, sec); err == nil {
			t.Fatalf("labels %q %q accepted", c.iss, c.acct)
		}
	}
	if _, err := signing.NewTOTPKey("x", "a@b", signing.TOTPSHA256, nil); err == nil {
		t.Fatal("empty secret accepted")
	}
}

// BenchmarkValidateTOTP is one login's code check (three steps through
// pquerna's hotp); it is on the second login step, not the verifier's
// hot path.
func BenchmarkValidateTOTP(b *testing.B) {
	sec := []byte("12345678901234567890123456789012")
	now := time.Unix(1700000015, 0)
	code := signing.HOTP(signing.TOTPSHA256, sec, signing.TOTPCounter(now)+1, 6)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := signing.ValidateTOTP(signing.TOTPSHA256, sec, code, now); !ok {
			b.Fatal("code refused")
		}
	}
}
