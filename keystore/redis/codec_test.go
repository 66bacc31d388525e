package redis

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

var when = time.Date(2030, 1, 2, 3, 4, 5, 600_000_007, time.UTC)

func sampleRecords() map[string]string {
	return map[string]string{
		"user": encodeUser(&keystore.User{ID: "u1", Email: "A@x.test", DisplayName: "A", PasswordHash: "$argon2id$...",
			Roles: []string{"a", "", "b"}, Superuser: true, Active: true, Verified: true, TOTPEnabled: true,
			TOTPSecret: "env1", TOTPPending: "env2", CreatedAt: when, UpdatedAt: when.Add(time.Second)}),
		"session": encodeSession(&keystore.Session{Digest: []byte{1, 2, 3}, UserID: "u1", Kind: "refresh",
			AuthMethod: "totp", ChainID: "c", CreatedAt: when, ExpiresAt: when.Add(time.Hour),
			LastSeenAt: time.Unix(-5, 1).UTC(), UserAgent: "ua", StepUpUntil: when}),
		"apikey": encodeAPIKey(&keystore.APIKey{KeyID: "k", UserID: "u1", Name: "n", Env: "live", Digest: []byte{9},
			Scopes: []string{"read"}, SigningRequired: true, SigningSecret: "env", CreatedAt: when, RevokedAt: when}),
		"oauth": encodeOAuthLink(&keystore.OAuthLink{Provider: "gh", Subject: "s\x00x", UserID: "u1", Email: "e",
			AccessToken: "a", RefreshToken: "r", CreatedAt: when}),
	}
}

// decodeAny decodes v with the decoder named kind and re-encodes it.
func decodeAny(kind, v string) (any, string, error) {
	switch kind {
	case "user":
		r, err := decodeUser(v)
		if err != nil {
			return nil, "", err
		}
		return r, encodeUser(r), nil
	case "session":
		r, err := decodeSession(v)
		if err != nil {
			return nil, "", err
		}
		return r, encodeSession(r), nil
	case "apikey":
		r, err := decodeAPIKey(v)
		if err != nil {
			return nil, "", err
		}
		return r, encodeAPIKey(r), nil
	default:
		r, err := decodeOAuthLink(v)
		if err != nil {
			return nil, "", err
		}
		return r, encodeOAuthLink(r), nil
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	for kind, v := range sampleRecords() {
		t.Run(kind, func(t *testing.T) {
			_, again, err := decodeAny(kind, v)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if again != v {
				t.Errorf("re-encoding differs")
			}
		})
	}
	u, err := decodeUser(sampleRecords()["user"])
	if err != nil {
		t.Fatal(err)
	}
	if !u.CreatedAt.Equal(when) || u.CreatedAt.Location() != time.UTC || len(u.Roles) != 3 || u.Roles[1] != "" {
		t.Errorf("decoded user differs: %+v", u)
	}
}

func TestDecodersRefuseDamagedRecords(t *testing.T) {
	recs := sampleRecords()
	for kind, v := range recs {
		t.Run(kind, func(t *testing.T) {
			for i := 0; i < len(v); i++ {
				if _, _, err := decodeAny(kind, v[:i]); err == nil {
					t.Fatalf("decoded a record cut at %d of %d bytes", i, len(v))
				}
			}
			if _, _, err := decodeAny(kind, v+"x"); err == nil {
				t.Error("decoded a record with trailing bytes")
			}
			if _, _, err := decodeAny(kind, "\x01"+v[1:]); err == nil {
				t.Error("decoded an unknown format byte")
			}
		})
	}
	// A record of one kind is not another kind.
	if _, err := decodeUser(recs["session"]); err == nil {
		t.Error("a session decoded as a user")
	}
	cases := map[string]string{
		"huge role count": "U\x02u1\x00\x00\x00\xff\xff\xff\xff\x0f",
		"length past end": "U\x7fu1",
		"overlong varint": "U" + strings.Repeat("\xff", 10) + "\x01",
		"bad bool":        encodeUser(&keystore.User{ID: "u"})[:7] + "\x02",
	}
	for name, v := range cases {
		if _, err := decodeUser(v); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	n := testing.AllocsPerRun(10, func() { _, _ = decodeUser(cases["huge role count"]) })
	if n > 2 {
		t.Errorf("a huge count cost %v allocations", n)
	}
}

func TestUvarintMatchesEncoding(t *testing.T) {
	for _, x := range []uint64{0, 1, 127, 128, 300, 1<<32 + 5, 1<<63 - 1, 1<<64 - 1} {
		r := reader{s: string(binary.AppendUvarint(nil, x))}
		if got := r.uvarint(); got != x || r.done() != nil {
			t.Errorf("uvarint(%d) = %d, %v", x, got, r.done())
		}
	}
	for _, x := range []int64{0, -1, 1, -62135596800, 1 << 40, -(1 << 62)} {
		w := writer{}
		w.time(time.Unix(x, 0))
		r := reader{s: string(w.b)}
		if got := r.time(); got.Unix() != x || r.done() != nil {
			t.Errorf("time(%d) = %d, %v", x, got.Unix(), r.done())
		}
	}
}

// FuzzDecodeRecords feeds arbitrary stored values to every decoder:
// none may panic, and whatever decodes must survive a round trip.
func FuzzDecodeRecords(f *testing.F) {
	for _, v := range sampleRecords() {
		f.Add(v)
	}
	f.Add("")
	f.Add("U")
	f.Fuzz(func(t *testing.T, v string) {
		for _, kind := range []string{"user", "session", "apikey", "oauth"} {
			rec, again, err := decodeAny(kind, v)
			if err != nil {
				continue
			}
			rec2, _, err := decodeAny(kind, again)
			if err != nil {
				t.Fatalf("%s: re-encoded record does not decode: %v", kind, err)
			}
			if !reflect.DeepEqual(rec, rec2) {
				t.Fatalf("%s: round trip changed the record", kind)
			}
		}
	})
}

// TestLegacyUserRecordsStayReadable: a user record written before
// EmailVerifiedAt existed ('U', no trailing time) still decodes, with a
// zero EmailVerifiedAt; the current format keeps the field.
func TestLegacyUserRecordsStayReadable(t *testing.T) {
	u := &keystore.User{ID: "u1", Email: "a@x.test", Active: true, Verified: true, CreatedAt: when}
	rec := encodeUser(u)
	if rec[0] != userFormat2 || rec[len(rec)-1] != 0 {
		t.Fatal("unexpected layout of the current user record")
	}
	legacy := string(userFormat1) + rec[1:len(rec)-1]
	got, err := decodeUser(legacy)
	if err != nil || got.ID != "u1" || !got.Verified || !got.EmailVerifiedAt.IsZero() || !got.CreatedAt.Equal(when) {
		t.Fatalf("legacy record: %+v, %v", got, err)
	}
	u.EmailVerifiedAt = when.Add(time.Second)
	got, err = decodeUser(encodeUser(u))
	if err != nil || !got.EmailVerifiedAt.Equal(u.EmailVerifiedAt) {
		t.Fatalf("current record: %+v, %v", got, err)
	}
}
