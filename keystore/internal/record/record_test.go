package record

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

var (
	at   = time.Date(2030, 1, 2, 3, 4, 5, 600_000_007, time.UTC)
	long = strings.Repeat("Ä", 100) // 200 bytes: a two-byte length prefix

	longHex = strings.Repeat("c384", 100) // long in the golden bytes
)

// samples are the records behind the golden bytes, keyed like golden.
// Every field is set in "full" (times before 1970 and at the zero time's
// second included), none in "zero".
func samples() map[string]any {
	full := &keystore.User{ID: "0123456789abcdef0123456789abcdef", Email: "A@x.test", DisplayName: long,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", Roles: []string{"admin", "", "ops"},
		Superuser: true, Active: true, Verified: true, EmailVerifiedAt: time.Date(2200, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		TOTPEnabled: true, TOTPSecret: "env1:secret", TOTPPending: "env1:pending\x00", CreatedAt: at, UpdatedAt: time.Unix(-5, 1).UTC()}
	legacy := *full
	legacy.EmailVerifiedAt = time.Time{}
	return map[string]any{
		"user/full":   full,
		"user/zero":   &keystore.User{},
		"user/legacy": &legacy,
		"session/full": &keystore.Session{Digest: []byte{0, 1, 2, 0xff}, UserID: "u1", Kind: "refresh", AuthMethod: "oauth:gh+totp", ChainID: "c1",
			CreatedAt: at, ExpiresAt: at.Add(time.Hour), LastSeenAt: time.Unix(-62135596800, 1).UTC(), UserAgent: long, StepUpUntil: at.Add(time.Minute)},
		"session/zero": &keystore.Session{},
		"apikey/full": &keystore.APIKey{KeyID: "kid_AbC-09", UserID: "u1", Name: "ci", Env: "live", Digest: []byte{9, 8, 7}, Scopes: []string{"read", "write"},
			SigningRequired: true, SigningSecret: "env1:sig", CreatedAt: at, ExpiresAt: at.AddDate(1, 0, 0), RevokedAt: at.Add(2 * time.Second), LastUsedAt: at.Add(time.Second)},
		"apikey/zero": &keystore.APIKey{},
		"oauth/full":  &keystore.OAuthLink{Provider: "gh", Subject: "s\x00x", UserID: "u1", Email: "e@x.test", AccessToken: "env1:a", RefreshToken: "env1:r", CreatedAt: at},
		"oauth/zero":  &keystore.OAuthLink{},
		"passkey/full": &keystore.Passkey{CredentialID: []byte{0, 0xfe, 3}, UserID: "u1", UserHandle: []byte("u1"), PublicKey: []byte{0xa5, 1, 2},
			AttestationType: "none", AAGUID: bytesOf(0xad, 16), SignCount: 1<<32 - 1, Transports: []string{"usb", "internal"},
			BackupEligible: true, BackupState: true, UserVerified: true, Name: long, CreatedAt: at, LastUsedAt: at.Add(time.Second)},
		"passkey/zero": &keystore.Passkey{},
	}
}

// golden holds the bytes the back-ends' own encoders (keystore/bolt and
// keystore/redis codec.go before this package) wrote for samples; the
// legacy user is what builds before EmailVerifiedAt wrote. They are
// stored data: a test failing here means records on disk or in Redis
// would no longer read back. Never regenerate them; add a format byte.
var golden = []struct {
	name, bolt, redis string
}{
	{"user/full",
		"02203031323334353637383961626364656630313233343536373839616263646566084140782e74657374c801" + longHex + "2c246172676f6e32696424763d3139246d3d36353533362c743d332c703d3424633246736441246147467a6141030561646d696e00036f7073010101010b656e76313a7365637265740d656e76313a70656e64696e670001cad4ea8d0e878c8d9e0201090101feb1faa736ff93ebdc03",
		"56203031323334353637383961626364656630313233343536373839616263646566084140782e74657374c801" + longHex + "2c246172676f6e32696424763d3139246d3d36353533362c743d332c703d3424633246736441246147467a6141030561646d696e00036f7073010101010b656e76313a7365637265740d656e76313a70656e64696e670001cad4ea8d0e878c8d9e0201090101feb1faa736ff93ebdc03"},
	{"user/zero",
		"020000000000000000000000000000",
		"560000000000000000000000000000"},
	{"user/legacy",
		"01203031323334353637383961626364656630313233343536373839616263646566084140782e74657374c801" + longHex + "2c246172676f6e32696424763d3139246d3d36353533362c743d332c703d3424633246736441246147467a6141030561646d696e00036f7073010101010b656e76313a7365637265740d656e76313a70656e64696e670001cad4ea8d0e878c8d9e02010901",
		"55203031323334353637383961626364656630313233343536373839616263646566084140782e74657374c801" + longHex + "2c246172676f6e32696424763d3139246d3d36353533362c743d332c703d3424633246736441246147467a6141030561646d696e00036f7073010101010b656e76313a7365637265740d656e76313a70656e64696e670001cad4ea8d0e878c8d9e02010901"},
	{"session/full",
		"0104000102ff02753107726566726573680d6f617574683a67682b746f747002633101cad4ea8d0e878c8d9e0201ea8ceb8d0e878c8d9e0201ffdb8ff9ce0301c801" + longHex + "01c2d5ea8d0e878c8d9e02",
		"5304000102ff02753107726566726573680d6f617574683a67682b746f747002633101cad4ea8d0e878c8d9e0201ea8ceb8d0e878c8d9e0201ffdb8ff9ce0301c801" + longHex + "01c2d5ea8d0e878c8d9e02"},
	{"session/zero",
		"0100000000000000000000",
		"5300000000000000000000"},
	{"apikey/full",
		"010a6b69645f4162432d3039027531026369046c697665030908070204726561640577726974650108656e76313a73696701cad4ea8d0e878c8d9e0201caa2f4ab0e878c8d9e0201ced4ea8d0e878c8d9e0201ccd4ea8d0e878c8d9e02",
		"4b0a6b69645f4162432d3039027531026369046c697665030908070204726561640577726974650108656e76313a73696701cad4ea8d0e878c8d9e0201caa2f4ab0e878c8d9e0201ced4ea8d0e878c8d9e0201ccd4ea8d0e878c8d9e02"},
	{"apikey/zero",
		"01000000000000000000000000",
		"4b000000000000000000000000"},
	{"oauth/full",
		"0102676803730078027531086540782e7465737406656e76313a6106656e76313a7201cad4ea8d0e878c8d9e02",
		"4f02676803730078027531086540782e7465737406656e76313a6106656e76313a7201cad4ea8d0e878c8d9e02"},
	{"oauth/zero",
		"0100000000000000",
		"4f00000000000000"},
	{"passkey/full",
		"010300fe0302753102753103a50102046e6f6e6510adadadadadadadadadadadadadadadadffffffff0f020375736208696e7465726e616c010101c801" + longHex + "01cad4ea8d0e878c8d9e0201ccd4ea8d0e878c8d9e02",
		"500300fe0302753102753103a50102046e6f6e6510adadadadadadadadadadadadadadadadffffffff0f020375736208696e7465726e616c010101c801" + longHex + "01cad4ea8d0e878c8d9e0201ccd4ea8d0e878c8d9e02"},
	{"passkey/zero",
		"010000000000000000000000000000",
		"500000000000000000000000000000"},
}

// kinds runs the record kinds' codecs behind one signature.
var kinds = map[string]struct {
	encode  func(Formats, any) []byte
	decode  func(Formats, string) (any, error)
	formats func(Formats) []byte
}{
	"user": {
		func(f Formats, v any) []byte { return f.EncodeUser(v.(*keystore.User)) },
		func(f Formats, s string) (any, error) { return f.DecodeUser(s) },
		func(f Formats) []byte { return []byte{f.User, f.UserLegacy} },
	},
	"session": {
		func(f Formats, v any) []byte { return f.EncodeSession(v.(*keystore.Session)) },
		func(f Formats, s string) (any, error) { return f.DecodeSession(s) },
		func(f Formats) []byte { return []byte{f.Session} },
	},
	"apikey": {
		func(f Formats, v any) []byte { return f.EncodeAPIKey(v.(*keystore.APIKey)) },
		func(f Formats, s string) (any, error) { return f.DecodeAPIKey(s) },
		func(f Formats) []byte { return []byte{f.APIKey} },
	},
	"oauth": {
		func(f Formats, v any) []byte { return f.EncodeOAuthLink(v.(*keystore.OAuthLink)) },
		func(f Formats, s string) (any, error) { return f.DecodeOAuthLink(s) },
		func(f Formats) []byte { return []byte{f.OAuthLink} },
	},
	"passkey": {
		func(f Formats, v any) []byte { return f.EncodePasskey(v.(*keystore.Passkey)) },
		func(f Formats, s string) (any, error) { return f.DecodePasskey(s) },
		func(f Formats) []byte { return []byte{f.Passkey} },
	},
}

var backEnds = []struct {
	name string
	f    Formats
	hex  func(name, bolt, redis string) string
}{
	{"bolt", Bolt, func(_, b, _ string) string { return b }},
	{"redis", Redis, func(_, _, r string) string { return r }},
}

func kindOf(name string) string { return name[:strings.IndexByte(name, '/')] }

func mustHex(t testing.TB, h string) string {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// inZone returns a copy of the record v with every time moved to another
// location: the encoding keeps the instant only.
func inZone(v any) any {
	zone := time.FixedZone("X", -7*3600)
	rv := reflect.ValueOf(v).Elem()
	cp := reflect.New(rv.Type())
	cp.Elem().Set(rv)
	for i := 0; i < rv.NumField(); i++ {
		if t, ok := rv.Field(i).Interface().(time.Time); ok && !t.IsZero() {
			cp.Elem().Field(i).Set(reflect.ValueOf(t.In(zone)))
		}
	}
	return cp.Interface()
}

// TestEncodingKeepsStoredBytes: both back-ends' encoders write exactly
// the bytes their earlier builds wrote, whatever the times' location.
func TestEncodingKeepsStoredBytes(t *testing.T) {
	recs := samples()
	for _, be := range backEnds {
		for _, g := range golden {
			if g.name == "user/legacy" {
				continue // never written
			}
			t.Run(be.name+"/"+g.name, func(t *testing.T) {
				k := kinds[kindOf(g.name)]
				want := be.hex(g.name, g.bolt, g.redis)
				if got := hex.EncodeToString(k.encode(be.f, recs[g.name])); got != want {
					t.Errorf("encoding changed:\n got %s\nwant %s", got, want)
				}
				if got := hex.EncodeToString(k.encode(be.f, inZone(recs[g.name]))); got != want {
					t.Errorf("encoding depends on the times' location:\n got %s\nwant %s", got, want)
				}
			})
		}
	}
}

// TestStoredBytesDecode: every stored layout of both back-ends, the
// legacy user included, decodes to the record that wrote it, times in UTC.
func TestStoredBytesDecode(t *testing.T) {
	recs := samples()
	for _, be := range backEnds {
		for _, g := range golden {
			t.Run(be.name+"/"+g.name, func(t *testing.T) {
				got, err := kinds[kindOf(g.name)].decode(be.f, mustHex(t, be.hex(g.name, g.bolt, g.redis)))
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if !reflect.DeepEqual(got, recs[g.name]) {
					t.Errorf("decoded\n %+v\nwant\n %+v", got, recs[g.name])
				}
			})
		}
	}
}

// TestDecodersRefuseDamagedRecords: a truncated record, trailing bytes,
// a format byte the back-end does not use for the kind, a record of
// another kind and malformed fields are all ErrCorrupt, never a record.
func TestDecodersRefuseDamagedRecords(t *testing.T) {
	for _, be := range backEnds {
		for _, g := range golden {
			t.Run(be.name+"/"+g.name, func(t *testing.T) {
				v := mustHex(t, be.hex(g.name, g.bolt, g.redis))
				k := kinds[kindOf(g.name)]
				bad := map[string]string{
					"trailing byte":   v + "\x00",
					"format 0":        "\x00" + v[1:],
					"unknown format":  "c" + v[1:],
					"zero Formats":    "\x00" + v[1:],
					"huge length":     v[:1] + "\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
					"bad bool or tag": v[:1] + "\x00\x02\x02\x02",
				}
				for i := 0; i < len(v); i++ {
					bad["cut at "+time.Duration(i).String()] = v[:i]
				}
				for what, b := range bad {
					f := be.f
					if what == "zero Formats" {
						f = Formats{}
					}
					if got, err := k.decode(f, b); !errors.Is(err, ErrCorrupt) {
						t.Errorf("%s: %+v, %v; want ErrCorrupt", what, got, err)
					}
				}
				// A record is not another kind unless the back-end uses
				// the same format byte for both (bbolt's buckets do).
				for name, other := range kinds {
					if name == kindOf(g.name) || strings.IndexByte(string(other.formats(be.f)), v[0]) >= 0 {
						continue
					}
					if got, err := other.decode(be.f, v); !errors.Is(err, ErrCorrupt) {
						t.Errorf("decoded as %s: %+v, %v", name, got, err)
					}
				}
			})
		}
	}
}

func TestDecodersRefuseMalformedFields(t *testing.T) {
	for _, be := range backEnds {
		f := be.f
		u, s := string(f.User), string(f.Session)
		zeroUser := string(f.EncodeUser(&keystore.User{}))
		// A session whose CreatedAt has 10^9 nanoseconds.
		nsec := []byte{f.Session, 0, 0, 0, 0, 0, 1}
		nsec = binary.AppendVarint(nsec, 1)
		nsec = binary.AppendUvarint(nsec, 1e9)
		nsec = append(nsec, 0, 0, 0, 0)
		cases := map[string]struct {
			v      string
			decode func(string) error
		}{
			"huge role count":     {u + "\x02u1\x00\x00\x00\xff\xff\xff\xff\x0f", decodeErr(f.DecodeUser)},
			"length past end":     {u + "\x7fu1", decodeErr(f.DecodeUser)},
			"overlong varint":     {u + strings.Repeat("\xff", 10) + "\x01", decodeErr(f.DecodeUser)},
			"varint overflow":     {u + strings.Repeat("\xff", 9) + "\x02", decodeErr(f.DecodeUser)},
			"bad bool":            {string(f.EncodeUser(&keystore.User{ID: "u"}))[:7] + "\x02", decodeErr(f.DecodeUser)},
			"bad time tag":        {zeroUser[:12] + "\x02" + zeroUser[13:], decodeErr(f.DecodeUser)},
			"nanoseconds 1e9":     {string(nsec), decodeErr(f.DecodeSession)},
			"digest past end":     {s + "\x05ab", decodeErr(f.DecodeSession)},
			"scope count > 0":     {string(f.APIKey) + "\x00\x00\x00\x00\x00\x03\x00", decodeErr(f.DecodeAPIKey)},
			"oauth cut in a time": {string(f.OAuthLink) + "\x00\x00\x00\x00\x00\x00\x01\x80", decodeErr(f.DecodeOAuthLink)},
		}
		for name, c := range cases {
			if err := c.decode(c.v); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s/%s: err = %v, want ErrCorrupt", be.name, name, err)
			}
		}
		// A count is checked against what is left before it sizes anything.
		huge := cases["huge role count"].v
		if n := testing.AllocsPerRun(10, func() { _, _ = f.DecodeUser(huge) }); n > 2 {
			t.Errorf("%s: a huge count cost %v allocations", be.name, n)
		}
	}
}

func decodeErr[T any](decode func(string) (T, error)) func(string) error {
	return func(v string) error { _, err := decode(v); return err }
}

// TestErrCorruptCarriesNoData: the error of a failed decode is the bare
// sentinel, whatever the input held.
func TestErrCorruptCarriesNoData(t *testing.T) {
	secret := "hunter2-secret@example.test"
	_, err := Redis.DecodeUser(string(Redis.User) + "\x40" + secret)
	if err != ErrCorrupt || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v, want the bare ErrCorrupt", err)
	}
}

// TestUvarintMatchesBinary: the string decoder accepts and rejects
// exactly what encoding/binary does.
func TestUvarintMatchesBinary(t *testing.T) {
	inputs := [][]byte{{}, {0x80}, {0xff, 0xff}, bytesOf(0x80, 11), append(bytesOf(0xff, 9), 0x01), append(bytesOf(0xff, 9), 0x02), append(bytesOf(0x80, 9), 0x00)}
	for _, x := range []uint64{0, 1, 127, 128, 300, 1<<32 + 5, 1<<63 - 1, 1<<64 - 1} {
		inputs = append(inputs, binary.AppendUvarint(nil, x))
	}
	for _, in := range inputs {
		want, n := binary.Uvarint(in)
		r := NewReader(string(in))
		got := r.uvarint()
		if ok := r.err == nil; ok != (n > 0) || got != want || (ok && len(r.s) != len(in)-n) {
			t.Errorf("uvarint(%x) = %d, ok %v; binary.Uvarint = %d, %d", in, got, ok, want, n)
		}
	}
	for _, x := range []int64{0, -1, 1, -62135596800, 1 << 40, -(1 << 62), 1<<63 - 1, -1 << 63} {
		w := NewWriter(0, 0)
		w.Time(time.Unix(x, 0))
		r := NewReader(string(w.Encoded()[1:]))
		if got := r.Time(); got.Unix() != x || r.Done() != nil {
			t.Errorf("time(%d) = %d, %v", x, got.Unix(), r.Done())
		}
	}
}

func bytesOf(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }

// FuzzDecode feeds arbitrary stored values to every decoder of both
// back-ends: none may panic, and whatever decodes must re-encode to bytes
// that decode to the same record and re-encode identically (inputs with
// over-long varints need not come back byte for byte).
func FuzzDecode(f *testing.F) {
	for _, g := range golden {
		f.Add(mustHex(f, g.bolt))
		f.Add(mustHex(f, g.redis))
	}
	f.Add("")
	f.Add("U")
	f.Add("\x01")
	f.Fuzz(func(t *testing.T, v string) {
		for _, be := range backEnds {
			for name, k := range kinds {
				rec, err := k.decode(be.f, v)
				if err != nil {
					if !errors.Is(err, ErrCorrupt) {
						t.Fatalf("%s %s: err = %v, want ErrCorrupt", be.name, name, err)
					}
					continue
				}
				once := k.encode(be.f, rec)
				rec2, err := k.decode(be.f, string(once))
				if err != nil {
					t.Fatalf("%s %s: re-encoded record does not decode: %v", be.name, name, err)
				}
				if !reflect.DeepEqual(rec, rec2) {
					t.Fatalf("%s %s: round trip changed the record", be.name, name)
				}
				if string(k.encode(be.f, rec2)) != string(once) {
					t.Fatalf("%s %s: encoding is not stable", be.name, name)
				}
			}
		}
	})
}
