package signing

// Internal package so FuzzParsePHC can drive the parser directly: fuzzing
// through Verify would run argon2 with whatever memory the fuzzer asks for.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Small parameters keep the tests fast; TestHasherDefaultParams covers the
// real ones.
var pwTestParams = PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func pwNewHasher(t testing.TB, p PasswordParams) *Hasher {
	t.Helper()
	h, err := NewHasher(p)
	if err != nil {
		t.Fatalf("NewHasher(%+v): %v", p, err)
	}
	return h
}

func TestHasherRoundTrip(t *testing.T) {
	h := pwNewHasher(t, pwTestParams)
	for _, pw := range []string{"correct horse battery staple", "ünïcödé pässwörd ✓", strings.Repeat("x", 128), ""} {
		enc, err := h.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
			t.Fatalf("unexpected encoding prefix: %s", enc)
		}
		if strings.Contains(enc, pw) && pw != "" {
			t.Fatal("hash contains the password")
		}
		ok, rehash, err := h.Verify(enc, pw)
		if err != nil || !ok || rehash {
			t.Fatalf("Verify(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
		}
	}
}

func TestHasherHashesAreSalted(t *testing.T) {
	h := pwNewHasher(t, pwTestParams)
	a, _ := h.Hash("same password here")
	b, _ := h.Hash("same password here")
	if a == b {
		t.Fatal("two hashes of one password are identical")
	}
}

func TestHasherWrongPassword(t *testing.T) {
	h := pwNewHasher(t, pwTestParams)
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"correct horse battery stapl", "Correct horse battery staple", "", "correct horse battery staple "} {
		ok, rehash, err := h.Verify(enc, pw)
		if err != nil || ok || rehash {
			t.Fatalf("Verify(wrong %q) = %v, %v, %v; want false, false, nil", pw, ok, rehash, err)
		}
	}
}

func TestHasherOldParamsNeedRehash(t *testing.T) {
	old := pwNewHasher(t, pwTestParams)
	enc, err := old.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]PasswordParams{
		"memory":  {Memory: 2048, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		"time":    {Memory: 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		"threads": {Memory: 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		"salt":    {Memory: 1024, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32},
		"keylen":  {Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64},
	} {
		t.Run(name, func(t *testing.T) {
			cur := pwNewHasher(t, p)
			ok, rehash, err := cur.Verify(enc, "correct horse battery staple")
			if err != nil || !ok || !rehash {
				t.Fatalf("Verify(old hash, right pw) = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
			// A failed login never asks for a rewrite.
			ok, rehash, err = cur.Verify(enc, "wrong password entirely")
			if err != nil || ok || rehash {
				t.Fatalf("Verify(old hash, wrong pw) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

// Hashes made by other implementations (argon2-cffi 21.1 and pyca/bcrypt
// 3.2), so stored data from elsewhere verifies.
func TestHasherVerifiesForeignHashes(t *testing.T) {
	const pw = "correct horse battery staple"
	h := pwNewHasher(t, pwTestParams)
	cases := []struct {
		name, enc  string
		wantRehash bool
	}{
		{"argon2-cffi", "$argon2id$v=19$m=1024,t=1,p=2$CCDbMCOqP53+4T6HtE1Z6A$vWlB3bDPRqKYn8/u+zDlc52FKR1if+0H2kLaV5HXeS0", true},
		{"bcrypt 2b", "$2b$04$Td7P9iyReN9DrXGziTu.4.2/RA4F1Dm.PWhX5zDGc99Bm6xxzA70O", true},
		{"bcrypt 2y", "$2y$04$Td7P9iyReN9DrXGziTu.4.2/RA4F1Dm.PWhX5zDGc99Bm6xxzA70O", true},
		{"bcrypt 2a", "$2a$05$nXq.RPA/Vl5zQZGdjjimz.XVhCCYgwcDUGfhEaGCe4q4Ln9GSZhay", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(c.enc, pw)
			if err != nil || !ok || rehash != c.wantRehash {
				t.Fatalf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, c.wantRehash)
			}
			ok, rehash, err = h.Verify(c.enc, pw+"!")
			if err != nil || ok || rehash {
				t.Fatalf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestHasherBcryptImportUpgrades(t *testing.T) {
	h := pwNewHasher(t, pwTestParams)
	const pw = "imported password 123"
	raw, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		enc := prefix + string(raw[4:])
		ok, rehash, err := h.Verify(enc, pw)
		if err != nil || !ok || !rehash {
			t.Fatalf("%s: Verify = %v, %v, %v; want true, true, nil", prefix, ok, rehash, err)
		}
		ok, rehash, err = h.Verify(enc, "imported password 124")
		if err != nil || ok || rehash {
			t.Fatalf("%s: Verify(wrong) = %v, %v, %v; want false, false, nil", prefix, ok, rehash, err)
		}
	}
}

// bcrypt reads only 72 bytes; a longer password must not match on its
// prefix.
func TestHasherBcryptRefusesTruncatedMatch(t *testing.T) {
	h := pwNewHasher(t, pwTestParams)
	prefix := strings.Repeat("a", 72)
	raw, err := bcrypt.GenerateFromPassword([]byte(prefix), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	ok, rehash, err := h.Verify(string(raw), prefix+"anything")
	if err != nil || ok || rehash {
		t.Fatalf("Verify(72-byte prefix match) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
}

func TestHasherRejectsMalformedHashesWithoutEcho(t *testing.T) {
	h := pwNewHasher(t, pwTestParams)
	good, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", "argon2id", "v=19", "m=..", salt, key
	salt, key := parts[4], parts[5]
	argon := func(mid string) string { return "$argon2id$v=19$" + mid + "$" + salt + "$" + key }
	bc := "$2b$04$Td7P9iyReN9DrXGziTu.4.2/RA4F1Dm.PWhX5zDGc99Bm6xxzA70O"
	cases := map[string]string{
		"empty":                "",
		"plain text":           "hunter2-SECRET-MARKER",
		"argon2i":              strings.Replace(good, "$argon2id$", "$argon2i$", 1),
		"argon2d":              strings.Replace(good, "$argon2id$", "$argon2d$", 1),
		"version 16":           strings.Replace(good, "v=19", "v=16", 1),
		"no version":           "$argon2id$m=1024,t=1,p=1$" + salt + "$" + key,
		"memory zero":          argon("m=0,t=1,p=1"),
		"memory below lanes":   argon("m=15,t=1,p=2"),
		"memory absurd":        argon("m=4194305,t=1,p=1"),
		"memory overflow":      argon("m=99999999999999999999,t=1,p=1"),
		"time zero":            argon("m=1024,t=0,p=1"),
		"time absurd":          argon("m=1024,t=65,p=1"),
		"threads zero":         argon("m=1024,t=1,p=0"),
		"threads 256":          argon("m=4096,t=1,p=256"),
		"leading zero":         argon("m=01024,t=1,p=1"),
		"plus sign":            argon("m=+1024,t=1,p=1"),
		"negative":             argon("m=-1024,t=1,p=1"),
		"params reordered":     argon("t=1,m=1024,p=1"),
		"extra param":          argon("m=1024,t=1,p=1,data=abc"),
		"space in params":      argon("m=1024, t=1,p=1"),
		"missing key":          "$argon2id$v=19$m=1024,t=1,p=1$" + salt,
		"empty key":            "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$",
		"extra field":          good + "$AAAA",
		"padded salt":          "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "==$" + key,
		"newline in key":       "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$" + key[:10] + "\n" + key[10:],
		"url alphabet":         "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$" + strings.NewReplacer("+", "-", "/", "_").Replace(key) + "-_",
		"short salt":           "$argon2id$v=19$m=1024,t=1,p=1$AAAAAA$" + key,
		"short key":            "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$AAAAAAAAAA",
		"huge":                 good + strings.Repeat("A", 600),
		"bcrypt cost 31":       "$2b$31$" + bc[7:],
		"bcrypt cost 17":       "$2b$17$" + bc[7:],
		"bcrypt cost 03":       "$2b$03$" + bc[7:],
		"bcrypt short":         bc[:59],
		"bcrypt long":          bc + "A",
		"bcrypt bad alphabet":  bc[:58] + "+A",
		"bcrypt 2x":            "$2x$" + bc[4:],
		"bcrypt 2":             "$2$04$" + bc[7:],
		"bcrypt no cost delim": "$2b$04" + bc[7:] + "A",
		"scrypt":               "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
		"pbkdf2":               "pbkdf2_sha256$260000$salt$hash",
		"nul":                  "\x00$argon2id$",
	}
	for name, enc := range cases {
		t.Run(name, func(t *testing.T) {
			ok, rehash, err := h.Verify(enc, "correct horse battery staple")
			if err == nil || ok || rehash {
				t.Fatalf("Verify = %v, %v, %v; want false, false, error", ok, rehash, err)
			}
			if !errors.Is(err, ErrPasswordHash) {
				t.Fatalf("error %v does not wrap ErrPasswordHash", err)
			}
			if enc != "" && strings.Contains(err.Error(), enc) {
				t.Fatal("error echoes the stored hash")
			}
			if strings.Contains(err.Error(), "SECRET-MARKER") || strings.Contains(err.Error(), "correct horse") {
				t.Fatal("error echoes input")
			}
		})
	}
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	base := pwTestParams
	mod := func(f func(p *PasswordParams)) PasswordParams { p := base; f(&p); return p }
	cases := map[string]PasswordParams{
		"zero":          {},
		"memory low":    mod(func(p *PasswordParams) { p.Memory = 512 }),
		"memory huge":   mod(func(p *PasswordParams) { p.Memory = PasswordMaxMemoryKiB + 1 }),
		"time zero":     mod(func(p *PasswordParams) { p.Time = 0 }),
		"time huge":     mod(func(p *PasswordParams) { p.Time = PasswordMaxTime + 1 }),
		"threads zero":  mod(func(p *PasswordParams) { p.Threads = 0 }),
		"salt short":    mod(func(p *PasswordParams) { p.SaltLen = 4 }),
		"salt long":     mod(func(p *PasswordParams) { p.SaltLen = 65 }),
		"key short":     mod(func(p *PasswordParams) { p.KeyLen = 8 }),
		"key long":      mod(func(p *PasswordParams) { p.KeyLen = 65 }),
		"memory<8*lane": mod(func(p *PasswordParams) { p.Memory = 1024; p.Threads = 255 }),
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := NewHasher(p); !errors.Is(err, ErrPasswordParams) {
				t.Fatalf("NewHasher(%+v) err = %v; want ErrPasswordParams", p, err)
			}
		})
	}
	if _, err := NewHasher(mod(func(p *PasswordParams) { p.Memory = 2048; p.Threads = 255 })); err != nil {
		t.Fatalf("NewHasher(m=2048,p=255): %v", err)
	}
}

func TestHasherDefaultParams(t *testing.T) {
	if testing.Short() {
		t.Skip("default parameters use 64 MiB per hash")
	}
	h := pwNewHasher(t, DefaultPasswordParams)
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(enc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" || parts[3] != "m=65536,t=3,p=4" ||
		len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("unexpected default encoding shape: %q", enc)
	}
	ok, rehash, err := h.Verify(enc, "correct horse battery staple")
	if err != nil || !ok || rehash {
		t.Fatalf("Verify = %v, %v, %v", ok, rehash, err)
	}
	h.VerifyDummy("someone else")
}

// TestVerifyDummyTakesComparableTime guards the unknown-user timing
// equalisation: the dummy must cost about as much as a real verify.
func TestVerifyDummyTakesComparableTime(t *testing.T) {
	p := PasswordParams{Memory: 16 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	h := pwNewHasher(t, p)
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	// Minimum of several runs: the machine may be busy with other tests,
	// and noise only ever adds time.
	minOf := func(f func()) time.Duration {
		best := time.Duration(1<<63 - 1)
		for i := 0; i < 9; i++ {
			start := time.Now()
			f()
			if d := time.Since(start); d < best {
				best = d
			}
		}
		return best
	}
	real := minOf(func() { _, _, _ = h.Verify(enc, "wrong password guess") })
	dummy := minOf(func() { h.VerifyDummy("wrong password guess") })
	ratio := float64(dummy) / float64(real)
	if ratio < 0.25 || ratio > 4 {
		t.Fatalf("VerifyDummy took %v, real verify %v (ratio %.2f); want comparable", dummy, real, ratio)
	}
	// And it really spends argon2 work, not a no-op.
	floor := minOf(func() { _, _, _ = h.Verify("$unknown$", "x") })
	if dummy < 10*floor {
		t.Fatalf("VerifyDummy took %v, barely more than a format rejection (%v)", dummy, floor)
	}
}

func TestCheckPasswordLength(t *testing.T) {
	cases := []struct {
		name     string
		pw       string
		min, max int
		want     error
	}{
		{"ok ascii", "abcdefghijkl", 12, 128, nil},
		{"short ascii", "abcdefghijk", 12, 128, ErrPasswordTooShort},
		{"empty", "", 12, 128, ErrPasswordTooShort},
		{"runes not bytes", strings.Repeat("é", 12), 12, 128, nil},
		{"emoji short", strings.Repeat("🔑", 11), 12, 128, ErrPasswordTooShort},
		{"emoji max", strings.Repeat("🔑", 128), 12, 128, nil},
		{"max exactly", strings.Repeat("a", 128), 12, 128, nil},
		{"max plus one", strings.Repeat("a", 129), 12, 128, ErrPasswordTooLong},
		{"multibyte over max", strings.Repeat("é", 129), 12, 128, ErrPasswordTooLong},
		{"huge", strings.Repeat("a", 1<<20), 12, 128, ErrPasswordTooLong},
		{"invalid utf8", "abcdefghijkl\xff", 12, 128, ErrPasswordEncoding},
		{"bad min", "abcdefghijkl", 0, 128, ErrPasswordPolicyArg},
		{"max below min", "abcdefghijkl", 12, 11, ErrPasswordPolicyArg},
		{"defaults", strings.Repeat("p", DefaultPasswordMinLen), DefaultPasswordMinLen, DefaultPasswordMaxLen, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckPasswordLength(c.pw, c.min, c.max)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("CheckPasswordLength = %v; want %v", err, c.want)
			}
		})
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=1024,t=1,p=2$CCDbMCOqP53+4T6HtE1Z6A$vWlB3bDPRqKYn8/u+zDlc52FKR1if+0H2kLaV5HXeS0")
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=4194304,t=64,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=01,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=1024,t=1,p=1$AAAA\nAAAA$AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		ph, err := pwParsePHC(s)
		if err != nil {
			if !errors.Is(err, ErrPasswordHash) {
				t.Fatalf("unexpected error type %v", err)
			}
			// Short inputs may occur in the fixed message by chance.
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatal("error echoes input")
			}
			return
		}
		if pwCheckParams(ph.params, false) != nil {
			t.Fatalf("accepted out-of-bounds params %+v", ph.params)
		}
		if uint32(len(ph.salt)) != ph.params.SaltLen || uint32(len(ph.key)) != ph.params.KeyLen {
			t.Fatal("lengths disagree with params")
		}
		// The parser accepts only the canonical form it writes.
		if got := pwFormatPHC(ph.params, ph.salt, ph.key); got != s {
			t.Fatalf("non-canonical input accepted:\n in  %q\n out %q", s, got)
		}
	})
}

// BenchmarkHasherVerify measures one login's hashing work at the default
// parameters (run with a small -benchtime: each op is tens of milliseconds).
func BenchmarkHasherVerify(b *testing.B) {
	h := pwNewHasher(b, DefaultPasswordParams)
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, _ := h.Verify(enc, "correct horse battery staple"); !ok {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkHasherVerifyDummy(b *testing.B) {
	h := pwNewHasher(b, DefaultPasswordParams)
	b.ReportAllocs()
	for b.Loop() {
		h.VerifyDummy("correct horse battery staple")
	}
}

func TestAutoMaxConcurrentHashesBoundsMemory(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		memKiB  uint32
		threads uint8
		want    int
	}{
		{64 * 1024, 4, max(1, min(procs/4, 8))},
		{64 * 1024, 1, min(procs, 8)},
		{256 * 1024, 1, min(procs, 2)},
		{1024 * 1024, 1, 1}, // one hash exceeds the budget: still one at a time
		{PasswordMaxMemoryKiB, 4, 1},
		{1024, 1, min(procs, 512)},
		{1024, 255, 1},
	} {
		if got := AutoMaxConcurrentHashes(tc.memKiB, tc.threads); got != tc.want {
			t.Errorf("AutoMaxConcurrentHashes(%d KiB, %d lanes) = %d, want %d", tc.memKiB, tc.threads, got, tc.want)
		}
	}
	h, err := NewHasher(pwTestParams, WithMaxConcurrentHashes(0))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.MaxConcurrent(), AutoMaxConcurrentHashes(pwTestParams.Memory, pwTestParams.Threads); got != want {
		t.Fatalf("MaxConcurrent() = %d, want the automatic %d", got, want)
	}
}

// TestHashFloodWaitsThenFailsBusy holds every slot and checks that each
// entry point (hash, verify of argon2id and bcrypt, the dummy, recovery
// codes) waits the bounded time, fails with ErrHashBusy without
// reporting a mismatch, and works again once a slot is free.
func TestHashFloodWaitsThenFailsBusy(t *testing.T) {
	const wait = 50 * time.Millisecond
	h, err := NewHasher(pwTestParams, WithMaxConcurrentHashes(2), WithHashWait(wait))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	key := NewSecret([]byte(strings.Repeat("k", 32)))
	codes, _ := NewRecoveryCodes()
	stored, err := HashRecoveryCodes(h, key, codes)
	if err != nil {
		t.Fatal(err)
	}
	entries := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"Hash", func(context.Context) error { _, err := h.Hash("x"); return err }},
		{"HashContext", func(ctx context.Context) error { _, err := h.HashContext(ctx, "x"); return err }},
		{"Verify argon2id", func(context.Context) error { _, _, err := h.Verify(enc, "wrong"); return err }},
		{"VerifyContext bcrypt", func(ctx context.Context) error { _, _, err := h.VerifyContext(ctx, string(bc), "wrong"); return err }},
		{"VerifyDummy", func(context.Context) error { return h.VerifyDummy("x") }},
		{"VerifyDummyContext", func(ctx context.Context) error { return h.VerifyDummyContext(ctx, "x") }},
		{"MatchRecoveryCode known", func(context.Context) error {
			_, _, ok, err := MatchRecoveryCode(h, key, stored, codes[0])
			if ok == (err != nil) {
				return fmt.Errorf("ok=%v with err=%v", ok, err)
			}
			return err
		}},
		{"MatchRecoveryCode unknown", func(context.Context) error {
			_, _, _, err := MatchRecoveryCode(h, key, stored, strings.Repeat("0", RecoveryCodeLen))
			return err
		}},
		{"HashRecoveryCodes", func(context.Context) error { _, err := HashRecoveryCodes(h, key, codes[:1]); return err }},
	}
	if err := h.sem.Acquire(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.name+" busy", func(t *testing.T) {
			start := time.Now()
			err := e.run(context.Background())
			if !errors.Is(err, ErrHashBusy) {
				t.Fatalf("err = %v, want ErrHashBusy", err)
			}
			if d := time.Since(start); d < wait || d > wait+2*time.Second {
				t.Fatalf("gave up after %v, want about %v", d, wait)
			}
		})
	}
	t.Run("cancelled context gives up early", func(t *testing.T) {
		h2, _ := NewHasher(pwTestParams, WithMaxConcurrentHashes(1), WithHashWait(time.Minute))
		_ = h2.sem.Acquire(context.Background(), 1)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := h2.HashContext(ctx, "x"); !errors.Is(err, ErrHashBusy) {
			t.Fatalf("err = %v, want ErrHashBusy", err)
		}
	})
	h.sem.Release(2)
	for _, e := range entries {
		if err := e.run(context.Background()); err != nil {
			t.Fatalf("%s with free slots: %v", e.name, err)
		}
	}
}

// TestCostlyStoredHashTakesMoreSlots: a stored hash with four times the
// Hasher's memory cost needs four slots (clamped to all of them), so it
// cannot run beside other hashes and overshoot the bound.
func TestCostlyStoredHashTakesMoreSlots(t *testing.T) {
	h, err := NewHasher(pwTestParams, WithMaxConcurrentHashes(3), WithHashWait(30*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	big := pwNewHasher(t, PasswordParams{Memory: 4 * pwTestParams.Memory, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	enc, err := big.Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.sem.Acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Verify(enc, "pw"); !errors.Is(err, ErrHashBusy) {
		t.Fatalf("costly verify beside a running hash: err = %v, want ErrHashBusy", err)
	}
	if _, err := h.Hash("pw"); err != nil {
		t.Fatalf("a normal hash still fits: %v", err)
	}
	h.sem.Release(1)
	if ok, _, err := h.Verify(enc, "pw"); !ok || err != nil {
		t.Fatalf("costly verify alone = %v, %v", ok, err)
	}
}

// TestDummyHashCostsAFullVerify guards the unknown-user timing
// equalisation now that NewHasher no longer runs argon2 for the dummy: the
// dummy must be a well-formed hash under exactly the Hasher's parameters
// (so VerifyDummy spends a whole argon2 run, never a format rejection),
// fresh per Hasher, and matched by no password.
func TestDummyHashCostsAFullVerify(t *testing.T) {
	p := PasswordParams{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	a, err := NewHasher(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewHasher(p)
	if err != nil {
		t.Fatal(err)
	}
	ph, err := pwParsePHC(a.dummy)
	if err != nil {
		t.Fatalf("dummy %q does not parse: %v", a.dummy, err)
	}
	if ph.params != p || len(ph.salt) != int(p.SaltLen) || len(ph.key) != int(p.KeyLen) {
		t.Fatalf("dummy params %+v (salt %d, tag %d), want %+v", ph.params, len(ph.salt), len(ph.key), p)
	}
	if a.dummy == b.dummy {
		t.Fatal("two Hashers share one dummy hash")
	}
	for _, pw := range []string{"", "password", "someone else"} {
		if ok, _, err := a.Verify(a.dummy, pw); ok || err != nil {
			t.Fatalf("Verify(dummy, %q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}

// TestHashMemoryGoesBackToTheOSWhenHashingStops guards idle memory: with
// WithMemoryReturn, the end of the last running computation schedules one
// release after the quiet period, none happens while a computation still
// holds a slot, and a burst of computations gives one release, not one each.
func TestHashMemoryGoesBackToTheOSWhenHashingStops(t *testing.T) {
	p := PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	h, err := NewHasher(p, WithMaxConcurrentHashes(4), WithMemoryReturn(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	freed := make(chan struct{}, 16)
	h.freeOS = func() { freed <- struct{}{} }
	wait := func(want bool) {
		t.Helper()
		select {
		case <-freed:
			if !want {
				t.Fatal("memory released while a computation was running")
			}
		case <-time.After(500 * time.Millisecond):
			if want {
				t.Fatal("no memory release after hashing stopped")
			}
		}
	}

	// A burst: one release.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = h.Hash("pw") }()
	}
	wg.Wait()
	wait(true)
	wait(false)

	// A computation still running (a held slot): no release until it ends.
	release, err := h.Reserve(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Hash("pw"); err != nil {
		t.Fatal(err)
	}
	wait(false)
	release()
	wait(true)

	// Without the option nothing is scheduled.
	plain, err := NewHasher(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Hash("pw"); err != nil || plain.pending.Load() {
		t.Fatalf("Hasher without WithMemoryReturn scheduled a release (err %v)", err)
	}
}
