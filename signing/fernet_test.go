package signing_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// fernetVector is one entry of the Fernet spec's test files.
type fernetVector struct {
	Desc   string `json:"desc"`
	Token  string `json:"token"`
	Now    string `json:"now"`
	IV     []int  `json:"iv"`
	Src    string `json:"src"`
	Secret string `json:"secret"`
	TTLSec int    `json:"ttl_sec"`
}

func fernetLoad(t *testing.T, name string) []fernetVector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fernet", name))
	if err != nil {
		t.Fatal(err)
	}
	var vs []fernetVector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(vs) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return vs
}

func fernetNow(t *testing.T, s string) time.Time {
	t.Helper()
	now, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return now
}

func fernetKey(t testing.TB, s string) signing.FernetKey {
	t.Helper()
	k, err := signing.ParseFernetKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fernetNewKey(t testing.TB) signing.FernetKey {
	t.Helper()
	s, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	return fernetKey(t, s)
}

func TestFernetGenerateVectors(t *testing.T) {
	for i, v := range fernetLoad(t, "generate.json") {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			iv := make([]byte, len(v.IV))
			for j, b := range v.IV {
				iv[j] = byte(b)
			}
			got, err := signing.FernetEncrypt(fernetKey(t, v.Secret), []byte(v.Src), fernetNow(t, v.Now), iv)
			if err != nil {
				t.Fatal(err)
			}
			if got != v.Token {
				t.Fatalf("token = %s\nwant    %s", got, v.Token)
			}
		})
	}
}

func TestFernetVerifyVectors(t *testing.T) {
	for i, v := range fernetLoad(t, "verify.json") {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := signing.FernetDecrypt(fernetKey(t, v.Secret), v.Token, time.Duration(v.TTLSec)*time.Second, fernetNow(t, v.Now))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != v.Src {
				t.Fatalf("plaintext = %q; want %q", got, v.Src)
			}
		})
	}
}

func TestFernetInvalidVectorsAllFail(t *testing.T) {
	vs := fernetLoad(t, "invalid.json")
	if len(vs) < 8 {
		t.Fatalf("only %d invalid vectors", len(vs))
	}
	// Each known case must fail for its own reason, not by accident.
	reasons := map[string]error{
		"incorrect mac":  signing.ErrFernetInvalid,
		"too short":      signing.ErrFernetMalformed,
		"invalid base64": signing.ErrFernetMalformed,
		"payload size not multiple of block size": signing.ErrFernetMalformed,
		"payload padding error":                   signing.ErrFernetInvalid,
		"far-future TS (unacceptable clock skew)": signing.ErrFernetFuture,
		"expired TTL":                         signing.ErrFernetExpired,
		"incorrect IV (causes padding error)": signing.ErrFernetInvalid,
	}
	for _, v := range vs {
		t.Run(v.Desc, func(t *testing.T) {
			got, err := signing.FernetDecrypt(fernetKey(t, v.Secret), v.Token, time.Duration(v.TTLSec)*time.Second, fernetNow(t, v.Now))
			if err == nil {
				t.Fatalf("accepted, plaintext %q", got)
			}
			if want, known := reasons[v.Desc]; known && !errors.Is(err, want) {
				t.Fatalf("err = %v; want %v", err, want)
			}
			if got != nil {
				t.Fatal("returned plaintext with an error")
			}
			if strings.Contains(err.Error(), v.Token) || strings.Contains(err.Error(), v.Token[:20]) {
				t.Fatal("error echoes the token")
			}
		})
	}
}

func TestFernetRoundTrip(t *testing.T) {
	k := fernetNewKey(t)
	now := time.Now()
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 1000, 65536} {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		tok, err := signing.FernetEncrypt(k, pt, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "gAAAAA") || len(tok)%4 != 0 {
			t.Fatalf("n=%d: unexpected token shape %.12s...", n, tok)
		}
		got, err := signing.FernetDecrypt(k, tok, time.Minute, now)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("n=%d: decrypt = %v", n, err)
		}
	}
	a, _ := signing.FernetEncrypt(k, []byte("same"), now, nil)
	b, _ := signing.FernetEncrypt(k, []byte("same"), now, nil)
	if a == b {
		t.Fatal("random IVs produced identical tokens")
	}
}

func TestFernetTimestampChecks(t *testing.T) {
	k := fernetNewKey(t)
	stamp := time.Unix(1_700_000_000, 0)
	tok, err := signing.FernetEncrypt(k, []byte("x"), stamp, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ttl  time.Duration
		now  time.Time
		want error
	}{
		{"fresh", time.Minute, stamp, nil},
		{"at ttl", time.Minute, stamp.Add(time.Minute), nil},
		{"just past ttl", time.Minute, stamp.Add(time.Minute + time.Second), signing.ErrFernetExpired},
		{"long past ttl", time.Minute, stamp.Add(24 * time.Hour), signing.ErrFernetExpired},
		{"future within skew", time.Minute, stamp.Add(-60 * time.Second), nil},
		{"future beyond skew", time.Minute, stamp.Add(-61 * time.Second), signing.ErrFernetFuture},
		{"no ttl ignores age", 0, stamp.Add(10 * 365 * 24 * time.Hour), nil},
		{"no ttl ignores future", 0, stamp.Add(-10 * 365 * 24 * time.Hour), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := signing.FernetDecrypt(k, tok, c.ttl, c.now)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("err = %v; want %v", err, c.want)
			}
			if err == nil && string(got) != "x" {
				t.Fatalf("plaintext %q", got)
			}
		})
	}
}

func TestFernetWrongKeyFailsAuthentication(t *testing.T) {
	k1, k2 := fernetNewKey(t), fernetNewKey(t)
	tok, err := signing.FernetEncrypt(k1, []byte("secret material"), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signing.FernetDecrypt(k2, tok, 0, time.Time{}); !errors.Is(err, signing.ErrFernetInvalid) {
		t.Fatalf("err = %v; want ErrFernetInvalid", err)
	}
}

// Every single-byte change of the decoded token must be refused.
func TestFernetRejectsEveryBitFlip(t *testing.T) {
	k := fernetNewKey(t)
	tok, err := signing.FernetEncrypt(k, []byte("attack at dawn, bring snacks"), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.URLEncoding.DecodeString(tok)
	for i := range raw {
		for _, mask := range []byte{0x01, 0x80} {
			mod := bytes.Clone(raw)
			mod[i] ^= mask
			if _, err := signing.FernetDecrypt(k, base64.URLEncoding.EncodeToString(mod), 0, time.Time{}); err == nil {
				t.Fatalf("byte %d ^ %#x accepted", i, mask)
			}
		}
	}
	// Truncation and extension too.
	for _, mod := range [][]byte{raw[:len(raw)-1], raw[:len(raw)-16], append(bytes.Clone(raw), make([]byte, 16)...)} {
		if _, err := signing.FernetDecrypt(k, base64.URLEncoding.EncodeToString(mod), 0, time.Time{}); err == nil {
			t.Fatalf("length %d accepted", len(mod))
		}
	}
}

func TestFernetRejectsMalformedTokens(t *testing.T) {
	k := fernetNewKey(t)
	tok, err := signing.FernetEncrypt(k, []byte("hello"), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.URLEncoding.DecodeString(tok)
	v81 := bytes.Clone(raw)
	v81[0] = 0x81
	cases := map[string]string{
		"empty":              "",
		"unpadded":           strings.TrimRight(tok, "="),
		"std alphabet plus":  tok[:10] + "+" + tok[11:],
		"std alphabet slash": tok[:10] + "/" + tok[11:],
		"newline inside":     tok[:20] + "\n" + tok[20:],
		"crlf inside":        tok[:20] + "\r\n" + tok[20:],
		"space":              " " + tok,
		"trailing garbage":   tok + "AAAA",
		"double padding":     tok + "====",
		"version 0x81":       base64.URLEncoding.EncodeToString(v81),
		"header only":        base64.URLEncoding.EncodeToString(raw[:25]),
		"no ciphertext":      base64.URLEncoding.EncodeToString(append(bytes.Clone(raw[:25]), raw[len(raw)-32:]...)),
		"huge":               strings.Repeat("A", signing.FernetMaxTokenLen+4),
		"non-ascii":          tok[:10] + "é" + tok[12:],
		"nul":                tok[:10] + "\x00" + tok[11:],
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := signing.FernetDecrypt(k, in, 0, time.Time{})
			if err == nil || got != nil {
				t.Fatalf("accepted: %q", got)
			}
			if !errors.Is(err, signing.ErrFernetMalformed) && !errors.Is(err, signing.ErrFernetInvalid) {
				t.Fatalf("err = %v; want malformed or invalid", err)
			}
			if len(in) >= 8 && strings.Contains(err.Error(), in[:8]) {
				t.Fatal("error echoes the token")
			}
		})
	}
}

func TestParseFernetKey(t *testing.T) {
	good, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(good) != 44 {
		t.Fatalf("generated key length %d", len(good))
	}
	if _, err := signing.ParseFernetKey(good); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.URLEncoding.DecodeString(good)
	bad := map[string]string{
		"empty":         "",
		"short":         base64.URLEncoding.EncodeToString(raw[:31]),
		"long":          base64.URLEncoding.EncodeToString(append(bytes.Clone(raw), 0)),
		"unpadded":      strings.TrimRight(good, "="),
		"std alphabet":  "+/+/" + good[4:],
		"newline":       good[:43] + "\n",
		"space":         " " + good[1:],
		"bad tail bits": good[:42] + "_=",
		"text":          "this-is-not-a-fernet-key-at-all-SECRETMARK=",
	}
	for name, s := range bad {
		t.Run(name, func(t *testing.T) {
			k, err := signing.ParseFernetKey(s)
			if !errors.Is(err, signing.ErrFernetKey) || !k.IsZero() {
				t.Fatalf("err = %v, zero=%v; want ErrFernetKey", err, k.IsZero())
			}
			if s != "" && strings.Contains(err.Error(), s) || strings.Contains(err.Error(), "SECRETMARK") {
				t.Fatal("error echoes the key")
			}
		})
	}
}

func TestFernetZeroKeyAndBadArgumentsFail(t *testing.T) {
	var zero signing.FernetKey
	if _, err := signing.FernetEncrypt(zero, []byte("x"), time.Now(), nil); !errors.Is(err, signing.ErrFernetKey) {
		t.Fatalf("encrypt with zero key: %v", err)
	}
	if _, err := signing.FernetDecrypt(zero, "gAAAAA", 0, time.Now()); !errors.Is(err, signing.ErrFernetKey) {
		t.Fatalf("decrypt with zero key: %v", err)
	}
	k := fernetNewKey(t)
	for _, iv := range [][]byte{{}, make([]byte, 15), make([]byte, 17)} {
		if _, err := signing.FernetEncrypt(k, []byte("x"), time.Now(), iv); !errors.Is(err, signing.ErrFernetIV) {
			t.Fatalf("iv len %d: %v", len(iv), err)
		}
	}
	if _, err := signing.FernetEncrypt(k, []byte("x"), time.Unix(-1, 0), nil); !errors.Is(err, signing.ErrFernetTime) {
		t.Fatalf("pre-1970: %v", err)
	}
	if _, err := signing.FernetEncrypt(k, make([]byte, signing.FernetMaxTokenLen), time.Now(), nil); !errors.Is(err, signing.ErrFernetTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
}

func TestFernetKeyNeverPrints(t *testing.T) {
	const text = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	k := fernetKey(t, text)
	raw, _ := base64.URLEncoding.DecodeString(text)
	holder := struct{ K signing.FernetKey }{k}
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{k, holder, &holder} {
			out := fmt.Sprintf(verb, v)
			if !strings.Contains(out, "[REDACTED]") || strings.Contains(out, text[:8]) ||
				strings.Contains(out, fmt.Sprintf("%x", raw[:4])) || strings.Contains(out, fmt.Sprint(raw[0])+" "+fmt.Sprint(raw[1])) {
				t.Fatalf("%s printed %q", verb, out)
			}
		}
	}
	j, err := json.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	if string(j) != `{"K":"[REDACTED]"}` {
		t.Fatalf("json = %s", j)
	}
}
