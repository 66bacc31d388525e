package signing_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// RFC 6238 Appendix B: 8-digit codes for the three reference seeds.
func TestTOTPRFC6238Vectors(t *testing.T) {
	seeds := map[signing.TOTPAlgorithm][]byte{
		signing.TOTPSHA1:   []byte("12345678901234567890"),
		signing.TOTPSHA256: []byte("12345678901234567890123456789012"),
		signing.TOTPSHA512: []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	cases := []struct {
		unix int64
		alg  signing.TOTPAlgorithm
		want string
	}{
		{59, signing.TOTPSHA1, "94287082"},
		{59, signing.TOTPSHA256, "46119246"},
		{59, signing.TOTPSHA512, "90693936"},
		{1111111109, signing.TOTPSHA1, "07081804"},
		{1111111109, signing.TOTPSHA256, "68084774"},
		{1111111109, signing.TOTPSHA512, "25091201"},
		{1111111111, signing.TOTPSHA1, "14050471"},
		{1111111111, signing.TOTPSHA256, "67062674"},
		{1111111111, signing.TOTPSHA512, "99943326"},
		{1234567890, signing.TOTPSHA1, "89005924"},
		{1234567890, signing.TOTPSHA256, "91819424"},
		{1234567890, signing.TOTPSHA512, "93441116"},
		{2000000000, signing.TOTPSHA1, "69279037"},
		{2000000000, signing.TOTPSHA256, "90698825"},
		{2000000000, signing.TOTPSHA512, "38618901"},
		{20000000000, signing.TOTPSHA1, "65353130"},
		{20000000000, signing.TOTPSHA256, "77737706"},
		{20000000000, signing.TOTPSHA512, "47863826"},
	}
	for _, c := range cases {
		t.Run(c.alg.String()+"/"+c.want, func(t *testing.T) {
			got := signing.HOTP(c.alg, seeds[c.alg], signing.TOTPCounter(time.Unix(c.unix, 0)), 8)
			if got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
			// The 6-digit code is the last six digits and validates.
			six := c.want[2:]
			ctr, ok := signing.ValidateTOTP(c.alg, seeds[c.alg], six, time.Unix(c.unix, 0))
			if !ok || ctr != signing.TOTPCounter(time.Unix(c.unix, 0)) {
				t.Fatalf("6-digit code %s: ok=%v counter=%d", six, ok, ctr)
			}
		})
	}
}

func TestValidateTOTPWindowAndHostileCodes(t *testing.T) {
	sec := []byte("12345678901234567890123456789012")
	now := time.Unix(1700000015, 0)
	c := signing.TOTPCounter(now)
	code := func(ctr uint64) string { return signing.HOTP(signing.TOTPSHA256, sec, ctr, 6) }
	cases := []struct {
		name    string
		code    string
		ok      bool
		counter uint64
	}{
		{"current", code(c), true, c},
		{"previous step", code(c - 1), true, c - 1},
		{"next step", code(c + 1), true, c + 1},
		{"two steps back", code(c - 2), false, 0},
		{"two steps ahead", code(c + 2), false, 0},
		{"empty", "", false, 0},
		{"five digits", code(c)[:5], false, 0},
		{"seven digits", code(c) + "0", false, 0},
		{"letters", "12a456", false, 0},
		{"spaces", " " + code(c)[1:], false, 0},
		{"unicode digits", "１２３４５６", false, 0},
		{"sign", "+12345", false, 0},
		{"nul", "\x00\x00\x00\x00\x00\x00", false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctr, ok := signing.ValidateTOTP(signing.TOTPSHA256, sec, tc.code, now)
			if ok != tc.ok || (ok && ctr != tc.counter) {
				t.Fatalf("ok=%v counter=%d, want %v %d", ok, ctr, tc.ok, tc.counter)
			}
		})
	}
	// The wrong algorithm does not validate (overwhelmingly likely).
	if _, ok := signing.ValidateTOTP(signing.TOTPSHA1, sec, code(c), now); ok {
		t.Fatal("SHA-256 code accepted under SHA-1")
	}
	// An empty secret never validates.
	if _, ok := signing.ValidateTOTP(signing.TOTPSHA256, nil, signing.HOTP(signing.TOTPSHA256, nil, c, 6), now); ok {
		t.Fatal("empty secret accepted")
	}
	// At the epoch the previous step does not wrap around.
	if _, ok := signing.ValidateTOTP(signing.TOTPSHA256, sec, signing.HOTP(signing.TOTPSHA256, sec, ^uint64(0), 6), time.Unix(0, 0)); ok {
		t.Fatal("counter wrapped at the epoch")
	}
}

func TestTOTPSecretEncoding(t *testing.T) {
	sec, err := signing.NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(sec)*8 < 160 {
		t.Fatalf("secret has %d bits", len(sec)*8)
	}
	enc := signing.EncodeTOTPSecret(sec)
	if strings.Contains(enc, "=") || strings.ToUpper(enc) != enc {
		t.Fatalf("encoding %q has padding or lower case", enc)
	}
	for _, in := range []string{enc, strings.ToLower(enc), enc[:8] + " " + enc[8:]} {
		got, err := signing.DecodeTOTPSecret(in)
		if err != nil || string(got) != string(sec) {
			t.Fatalf("decode %q: %v", in, err)
		}
	}
	for _, bad := range []string{"", "AAAA", "!!!!!!!!", strings.Repeat("A", 300), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1"} {
		if _, err := signing.DecodeTOTPSecret(bad); err == nil {
			t.Fatalf("decoded %q", bad)
		}
	}
	other, _ := signing.NewTOTPSecret()
	if string(other) == string(sec) {
		t.Fatal("two secrets are equal")
	}
}

func TestTOTPURI(t *testing.T) {
	sec := []byte("12345678901234567890")
	got := signing.TOTPURI("Gate House", "a&b@example.test", signing.TOTPSHA256, sec)
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Gate House:a&b@example.test" ||
		q.Get("secret") != signing.EncodeTOTPSecret(sec) || q.Get("issuer") != "Gate House" ||
		q.Get("algorithm") != "SHA256" || q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Fatalf("uri %s", got)
	}
	if !strings.HasPrefix(got, "otpauth://totp/Gate%20House:") {
		t.Fatalf("label not escaped: %s", got)
	}
}

func TestParseTOTPAlgorithm(t *testing.T) {
	cases := map[string]signing.TOTPAlgorithm{"": signing.TOTPSHA256, "sha256": signing.TOTPSHA256, "SHA1": signing.TOTPSHA1, "SHA512": signing.TOTPSHA512}
	for in, want := range cases {
		if got, err := signing.ParseTOTPAlgorithm(in); err != nil || got != want {
			t.Fatalf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"MD5", "SHA-256", "sha384", " SHA1"} {
		if _, err := signing.ParseTOTPAlgorithm(bad); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
}

func FuzzValidateTOTP(f *testing.F) {
	sec := []byte("12345678901234567890")
	f.Add("123456", int64(59))
	f.Add("", int64(0))
	f.Add("９９９９９９", int64(-5))
	f.Fuzz(func(t *testing.T, code string, at int64) {
		now := time.Unix(at, 0)
		ctr, ok := signing.ValidateTOTP(signing.TOTPSHA1, sec, code, now)
		if !ok {
			return
		}
		if len(code) != 6 || signing.HOTP(signing.TOTPSHA1, sec, ctr, 6) != code {
			t.Fatalf("accepted %q at counter %d", code, ctr)
		}
		c := signing.TOTPCounter(now)
		if ctr+1 < c || ctr > c+1 {
			t.Fatalf("counter %d outside window of %d", ctr, c)
		}
	})
}
