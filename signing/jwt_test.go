package signing_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testIss = "https://auth.example.test"
	testAud = "gatehouse:access"
	testJTI = "0123456789abcdef0123456789abcdef"
)

var testNow = time.Unix(1_800_000_000, 0)

type jwtFixture struct {
	hsSecret []byte
	hs       signing.JWTKey // kid "hs1", the default HS256 key
	ed       signing.JWTKey // kid "ed1"
	ec       signing.JWTKey // kid "ec1"
	otherEd  ed25519.PrivateKey
	otherEC  *ecdsa.PrivateKey
	v        *signing.JWTVerifier
}

func newJWTFixture(t testing.TB) *jwtFixture {
	t.Helper()
	f := &jwtFixture{hsSecret: []byte("hs256-test-secret-0123456789abcdef")}
	f.hs = signing.JWTKey{KID: "hs1", Alg: signing.AlgHS256, HMAC: signing.NewSecret(f.hsSecret)}
	// Deterministic keys: fuzz workers rebuild the fixture and must get the
	// same keys as the process that made the seed corpus.
	edPriv := ed25519.NewKeyFromSeed([]byte("ed25519-test-seed-0123456789abcd"))
	f.ed = signing.JWTKey{KID: "ed1", Alg: signing.AlgEdDSA, Ed25519Private: edPriv}
	ecPriv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), []byte("p256-test-scalar-0123456789abcde"))
	if err != nil {
		t.Fatal(err)
	}
	f.ec = signing.JWTKey{KID: "ec1", Alg: signing.AlgES256, ECDSAPrivate: ecPriv}
	f.otherEd = ed25519.NewKeyFromSeed([]byte("ed25519-other-seed-0123456789abc"))
	if f.otherEC, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), []byte("p256-other-scalar-0123456789abcd")); err != nil {
		t.Fatal(err)
	}
	v, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{
		Issuer: testIss, Audience: testAud,
		// Verifiers hold public keys only.
		Keys: []signing.JWTKey{
			f.hs,
			{KID: "ed1", Alg: signing.AlgEdDSA, Ed25519Public: edPriv.Public().(ed25519.PublicKey)},
			{KID: "ec1", Alg: signing.AlgES256, ECDSAPublic: &ecPriv.PublicKey},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	return f
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func signHS(key []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

func signEd(k ed25519.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte { return ed25519.Sign(k, in) }
}

func signES(k *ecdsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		d := sha256.Sum256(in)
		r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
		if err != nil {
			panic(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
}

func mkToken(header, payload string, sign func([]byte) []byte) string {
	in := b64([]byte(header)) + "." + b64([]byte(payload))
	return in + "." + b64(sign([]byte(in)))
}

// claims returns the JSON of a valid claim set, changed by mod (a nil value
// deletes the claim).
func claims(mod map[string]any) string {
	t := testNow.Unix()
	c := map[string]any{
		"sub": "user-1", "aud": testAud, "iss": testIss,
		"iat": t, "nbf": t, "exp": t + 900, "jti": testJTI,
	}
	for k, v := range mod {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(b)
}

const hsHeader = `{"alg":"HS256","typ":"JWT"}`

func TestJWTVerifyHappyPaths(t *testing.T) {
	f := newJWTFixture(t)
	now := testNow.Unix()
	cases := []struct {
		name    string
		token   string
		alg     string
		kid     string
		sub     string
		sfp     string
		sid     string
		extraOK func(*signing.AccessClaims) bool
	}{
		{name: "HS256 default key without kid", token: mkToken(hsHeader, claims(nil), signHS(f.hsSecret)), alg: "HS256", sub: "user-1"},
		{name: "HS256 with kid", token: mkToken(`{"alg":"HS256","typ":"JWT","kid":"hs1"}`, claims(nil), signHS(f.hsSecret)), alg: "HS256", kid: "hs1", sub: "user-1"},
		{name: "EdDSA", token: mkToken(`{"alg":"EdDSA","typ":"JWT","kid":"ed1"}`, claims(nil), signEd(f.ed.Ed25519Private)), alg: "EdDSA", kid: "ed1", sub: "user-1"},
		{name: "ES256", token: mkToken(`{"kid":"ec1","typ":"JWT","alg":"ES256"}`, claims(nil), signES(f.ec.ECDSAPrivate)), alg: "ES256", kid: "ec1", sub: "user-1"},
		{name: "array aud", token: mkToken(hsHeader, claims(map[string]any{"aud": []string{"other", testAud}}), signHS(f.hsSecret)), alg: "HS256", sub: "user-1"},
		{name: "escaped strings decoded", token: mkToken(hsHeader, `{"sub":"us\u00e9r\n\ud83d\ude00","aud":["x","gatehouse\u003aaccess"],"iss":"https:\/\/auth.example.test","iat":`+strconv.FormatInt(now, 10)+`,"nbf":`+strconv.FormatInt(now, 10)+`,"exp":`+strconv.FormatInt(now+60, 10)+`.0,"jti":"`+testJTI+`","sfp":"f\u0070","sid":"s1"}`, signHS(f.hsSecret)), alg: "HS256", sub: "usér\n😀", sfp: "fp", sid: "s1"},
		{name: "optional claims and extras", token: mkToken(hsHeader, claims(map[string]any{"sfp": "abc", "sid": "sess", "amr": []string{"pwd", "otp"}, "roles": map[string]any{"a": []any{1, true, nil}}}), signHS(f.hsSecret)), alg: "HS256", sub: "user-1", sfp: "abc", sid: "sess"},
		{name: "white space in JSON", token: mkToken(" {\n\t\"alg\" : \"HS256\" , \"typ\":\"JWT\" } ", claims(nil)+"\n", signHS(f.hsSecret)), alg: "HS256", sub: "user-1"},
		{name: "expired inside leeway", token: mkToken(hsHeader, claims(map[string]any{"exp": now - 29, "iat": now - 100, "nbf": now - 100}), signHS(f.hsSecret)), alg: "HS256", sub: "user-1"},
		{name: "nbf inside leeway", token: mkToken(hsHeader, claims(map[string]any{"nbf": now + 30}), signHS(f.hsSecret)), alg: "HS256", sub: "user-1"},
		{name: "iat inside leeway", token: mkToken(hsHeader, claims(map[string]any{"iat": now + 30}), signHS(f.hsSecret)), alg: "HS256", sub: "user-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s signing.JWTScratch
			var out signing.AccessClaims
			if err := f.v.Verify([]byte(tc.token), testNow, &s, &out); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if out.Alg != tc.alg || string(out.KeyID) != tc.kid || string(out.Sub) != tc.sub ||
				string(out.JTI) != testJTI || string(out.SFP) != tc.sfp || string(out.SID) != tc.sid {
				t.Fatalf("claims %+v", out)
			}
			if out.IssuedAt == 0 || out.NotBefore == 0 || out.ExpiresAt == 0 || len(out.Payload) == 0 {
				t.Fatalf("times/payload missing: %+v", out)
			}
		})
	}
}

func TestJWTVerifyHostile(t *testing.T) {
	f := newJWTFixture(t)
	now := testNow.Unix()
	hs := signHS(f.hsSecret)
	good := mkToken(hsHeader, claims(nil), hs)
	gp := strings.Split(good, ".")
	edPub := []byte(f.ed.Ed25519Private.Public().(ed25519.PublicKey))
	ecPubDER := elliptic.Marshal(elliptic.P256(), f.ec.ECDSAPrivate.X, f.ec.ECDSAPrivate.Y) //nolint:staticcheck // test only: key bytes as an HMAC secret

	cases := []struct {
		name  string
		token string
		want  error
	}{
		// alg none in every spelling, and other refused algorithms.
		{"alg none", mkToken(`{"alg":"none","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg None", mkToken(`{"alg":"None","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg NONE", mkToken(`{"alg":"NONE","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg nOnE", mkToken(`{"alg":"nOnE","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg empty", mkToken(`{"alg":"","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg missing", mkToken(`{"typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg null", mkToken(`{"alg":null,"typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg escaped", mkToken(`{"alg":"HS\u0032\u0035\u0036","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg HS384", mkToken(`{"alg":"HS384","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg hs256 lower-case", mkToken(`{"alg":"hs256","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg RS256", mkToken(`{"alg":"RS256","typ":"JWT","kid":"ed1"}`, claims(nil), hs), signing.ErrJWTAlgorithm},
		{"alg none with empty signature", mkToken(`{"alg":"none","typ":"JWT"}`, claims(nil), func([]byte) []byte { return nil }), signing.ErrJWTMalformed},
		// Algorithm confusion.
		{"HS256 with EdDSA public key as secret", mkToken(`{"alg":"HS256","typ":"JWT","kid":"ed1"}`, claims(nil), signHS(edPub)), signing.ErrJWTAlgorithm},
		{"HS256 with ES256 public key as secret", mkToken(`{"alg":"HS256","typ":"JWT","kid":"ec1"}`, claims(nil), signHS(ecPubDER)), signing.ErrJWTAlgorithm},
		{"EdDSA header on HS256 key", mkToken(`{"alg":"EdDSA","typ":"JWT","kid":"hs1"}`, claims(nil), signEd(f.ed.Ed25519Private)), signing.ErrJWTAlgorithm},
		{"ES256 header on HS256 key", mkToken(`{"alg":"ES256","typ":"JWT","kid":"hs1"}`, claims(nil), signES(f.ec.ECDSAPrivate)), signing.ErrJWTAlgorithm},
		{"ES256 header on EdDSA key", mkToken(`{"alg":"ES256","typ":"JWT","kid":"ed1"}`, claims(nil), signES(f.ec.ECDSAPrivate)), signing.ErrJWTAlgorithm},
		{"EdDSA header on ES256 key", mkToken(`{"alg":"EdDSA","typ":"JWT","kid":"ec1"}`, claims(nil), signEd(f.ed.Ed25519Private)), signing.ErrJWTAlgorithm},
		{"EdDSA without kid", mkToken(`{"alg":"EdDSA","typ":"JWT"}`, claims(nil), signEd(f.ed.Ed25519Private)), signing.ErrJWTUnknownKey},
		{"ES256 without kid", mkToken(`{"alg":"ES256","typ":"JWT"}`, claims(nil), signES(f.ec.ECDSAPrivate)), signing.ErrJWTUnknownKey},
		// typ, checked before anything else.
		{"typ missing", mkToken(`{"alg":"HS256"}`, claims(nil), hs), signing.ErrJWTType},
		{"typ missing with alg none", mkToken(`{"alg":"none"}`, claims(nil), hs), signing.ErrJWTType},
		{"typ jwt", mkToken(`{"alg":"HS256","typ":"jwt"}`, claims(nil), hs), signing.ErrJWTType},
		{"typ JWS", mkToken(`{"alg":"HS256","typ":"JWS"}`, claims(nil), hs), signing.ErrJWTType},
		{"typ at+jwt", mkToken(`{"alg":"HS256","typ":"at+jwt"}`, claims(nil), hs), signing.ErrJWTType},
		{"typ JWT with space", mkToken(`{"alg":"HS256","typ":"JWT "}`, claims(nil), hs), signing.ErrJWTType},
		{"typ escaped", mkToken(`{"alg":"HS256","typ":"\u004aWT"}`, claims(nil), hs), signing.ErrJWTType},
		{"typ number", mkToken(`{"alg":"HS256","typ":1}`, claims(nil), hs), signing.ErrJWTType},
		// Header structure.
		{"duplicated alg", mkToken(`{"alg":"HS256","alg":"none","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTDuplicateMember},
		{"duplicated typ", mkToken(`{"typ":"JWT","alg":"HS256","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTDuplicateMember},
		{"duplicated kid", mkToken(`{"alg":"HS256","typ":"JWT","kid":"hs1","kid":"ed1"}`, claims(nil), hs), signing.ErrJWTDuplicateMember},
		{"escaped member name", mkToken(`{"\u0061lg":"none","alg":"HS256","typ":"JWT"}`, claims(nil), hs), signing.ErrJWTMalformed},
		{"crit", mkToken(`{"alg":"HS256","typ":"JWT","crit":["exp"]}`, claims(nil), hs), signing.ErrJWTCritical},
		{"crit empty", mkToken(`{"alg":"HS256","typ":"JWT","crit":[]}`, claims(nil), hs), signing.ErrJWTCritical},
		{"header array", mkToken(`["alg","HS256"]`, claims(nil), hs), signing.ErrJWTMalformed},
		{"header string", mkToken(`"JWT"`, claims(nil), hs), signing.ErrJWTMalformed},
		{"header null", mkToken(`null`, claims(nil), hs), signing.ErrJWTMalformed},
		{"header empty", mkToken(``, claims(nil), hs), signing.ErrJWTMalformed},
		{"header trailing data", mkToken(hsHeader+`{}`, claims(nil), hs), signing.ErrJWTMalformed},
		{"header unterminated", mkToken(`{"alg":"HS256","typ":"JWT"`, claims(nil), hs), signing.ErrJWTMalformed},
		{"header trailing comma", mkToken(`{"alg":"HS256","typ":"JWT",}`, claims(nil), hs), signing.ErrJWTMalformed},
		{"header single quotes", mkToken(`{'alg':'HS256','typ':'JWT'}`, claims(nil), hs), signing.ErrJWTMalformed},
		{"header invalid utf-8", mkToken("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"x\":\"\xff\"}", claims(nil), hs), signing.ErrJWTMalformed},
		{"header control character", mkToken("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"x\":\"a\x01\"}", claims(nil), hs), signing.ErrJWTMalformed},
		{"header deep nesting", mkToken(`{"alg":"HS256","typ":"JWT","x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`, claims(nil), hs), signing.ErrJWTMalformed},
		{"kid number", mkToken(`{"alg":"HS256","typ":"JWT","kid":7}`, claims(nil), hs), signing.ErrJWTMalformed},
		{"unknown kid", mkToken(`{"alg":"HS256","typ":"JWT","kid":"nope"}`, claims(nil), hs), signing.ErrJWTUnknownKey},
		{"empty kid", mkToken(`{"alg":"HS256","typ":"JWT","kid":""}`, claims(nil), hs), signing.ErrJWTUnknownKey},
		// Signatures.
		{"HS256 signed with another secret", mkToken(hsHeader, claims(nil), signHS([]byte("another-secret-0123456789abcdef-x"))), signing.ErrJWTSignature},
		{"EdDSA signed with another key", mkToken(`{"alg":"EdDSA","typ":"JWT","kid":"ed1"}`, claims(nil), signEd(f.otherEd)), signing.ErrJWTSignature},
		{"ES256 signed with another key", mkToken(`{"alg":"ES256","typ":"JWT","kid":"ec1"}`, claims(nil), signES(f.otherEC)), signing.ErrJWTSignature},
		{"ES256 ASN.1 signature", mkToken(`{"alg":"ES256","typ":"JWT","kid":"ec1"}`, claims(nil), func(in []byte) []byte {
			d := sha256.Sum256(in)
			s, _ := ecdsa.SignASN1(rand.Reader, f.ec.ECDSAPrivate, d[:])
			return s
		}), signing.ErrJWTMalformed},
		{"HS256 signature too long", mkToken(hsHeader, claims(nil), func(in []byte) []byte { return append(hs(in), 0) }), signing.ErrJWTSignature},
		{"HS256 signature truncated", mkToken(hsHeader, claims(nil), func(in []byte) []byte { return hs(in)[:31] }), signing.ErrJWTSignature},
		{"tampered payload", gp[0] + "." + b64([]byte(claims(map[string]any{"sub": "admin"}))) + "." + gp[2], signing.ErrJWTSignature},
		{"tampered header", b64([]byte(`{"alg":"HS256","typ":"JWT","x":1}`)) + "." + gp[1] + "." + gp[2], signing.ErrJWTSignature},
		// Shape and encoding.
		{"oversize", strings.Repeat("a", signing.MaxTokenLen+1), signing.ErrJWTTooLarge},
		{"empty", "", signing.ErrJWTMalformed},
		{"two segments", gp[0] + "." + gp[1], signing.ErrJWTMalformed},
		{"four segments", good + "." + gp[2], signing.ErrJWTMalformed},
		{"trailing dot", good + ".", signing.ErrJWTMalformed},
		{"leading dot", "." + good, signing.ErrJWTMalformed},
		{"empty payload segment", gp[0] + ".." + gp[2], signing.ErrJWTMalformed},
		{"empty signature segment", gp[0] + "." + gp[1] + ".", signing.ErrJWTMalformed},
		{"padding on header", gp[0] + "==." + gp[1] + "." + gp[2], signing.ErrJWTMalformed},
		{"padding on signature", good + "=", signing.ErrJWTMalformed},
		{"std alphabet plus", gp[0] + "." + gp[1] + "." + gp[2][:10] + "+" + gp[2][11:], signing.ErrJWTMalformed},
		{"std alphabet slash", gp[0] + "." + gp[1][:5] + "/" + gp[1][6:] + "." + gp[2], signing.ErrJWTMalformed},
		{"space inside", gp[0] + "." + gp[1][:5] + " " + gp[1][5:] + "." + gp[2], signing.ErrJWTMalformed},
		{"newline inside", gp[0] + "\n." + gp[1] + "." + gp[2], signing.ErrJWTMalformed},
		{"leading space", " " + good, signing.ErrJWTMalformed},
		{"non-canonical trailing bits", gp[0] + "." + gp[1] + "." + nonCanonical(gp[2]), signing.ErrJWTMalformed},
		{"impossible length", gp[0] + "." + gp[1] + "." + gp[2] + "AA", signing.ErrJWTMalformed},
		// Claims: each required one missing.
		{"missing sub", mkToken(hsHeader, claims(map[string]any{"sub": nil}), hs), signing.ErrJWTMissingClaim},
		{"missing aud", mkToken(hsHeader, claims(map[string]any{"aud": nil}), hs), signing.ErrJWTMissingClaim},
		{"missing iss", mkToken(hsHeader, claims(map[string]any{"iss": nil}), hs), signing.ErrJWTMissingClaim},
		{"missing iat", mkToken(hsHeader, claims(map[string]any{"iat": nil}), hs), signing.ErrJWTMissingClaim},
		{"missing nbf", mkToken(hsHeader, claims(map[string]any{"nbf": nil}), hs), signing.ErrJWTMissingClaim},
		{"missing exp", mkToken(hsHeader, claims(map[string]any{"exp": nil}), hs), signing.ErrJWTMissingClaim},
		{"missing jti", mkToken(hsHeader, claims(map[string]any{"jti": nil}), hs), signing.ErrJWTMissingClaim},
		// Claims: values.
		{"expired beyond leeway", mkToken(hsHeader, claims(map[string]any{"exp": now - 31, "iat": now - 100, "nbf": now - 100}), hs), signing.ErrJWTExpired},
		{"not yet valid beyond leeway", mkToken(hsHeader, claims(map[string]any{"nbf": now + 31}), hs), signing.ErrJWTNotYetValid},
		{"issued in the future", mkToken(hsHeader, claims(map[string]any{"iat": now + 31}), hs), signing.ErrJWTIssuedInFuture},
		{"wrong aud", mkToken(hsHeader, claims(map[string]any{"aud": "gatehouse:verify"}), hs), signing.ErrJWTAudience},
		{"aud array without ours", mkToken(hsHeader, claims(map[string]any{"aud": []string{"a", "b"}}), hs), signing.ErrJWTAudience},
		{"aud empty array", mkToken(hsHeader, claims(map[string]any{"aud": []string{}}), hs), signing.ErrJWTAudience},
		{"aud array with number", mkToken(hsHeader, claims(map[string]any{"aud": []any{1, testAud}}), hs), signing.ErrJWTClaimInvalid},
		{"aud number", mkToken(hsHeader, claims(map[string]any{"aud": 1}), hs), signing.ErrJWTClaimInvalid},
		{"aud prefix", mkToken(hsHeader, claims(map[string]any{"aud": "gatehouse:access2"}), hs), signing.ErrJWTAudience},
		{"wrong iss", mkToken(hsHeader, claims(map[string]any{"iss": "https://evil.example"}), hs), signing.ErrJWTIssuer},
		{"iss trailing slash", mkToken(hsHeader, claims(map[string]any{"iss": testIss + "/"}), hs), signing.ErrJWTIssuer},
		{"iss array", mkToken(hsHeader, claims(map[string]any{"iss": []string{testIss}}), hs), signing.ErrJWTIssuer},
		{"jti short", mkToken(hsHeader, claims(map[string]any{"jti": testJTI[1:]}), hs), signing.ErrJWTClaimInvalid},
		{"jti upper-case", mkToken(hsHeader, claims(map[string]any{"jti": strings.ToUpper(testJTI)}), hs), signing.ErrJWTClaimInvalid},
		{"jti not hex", mkToken(hsHeader, claims(map[string]any{"jti": "g" + testJTI[1:]}), hs), signing.ErrJWTClaimInvalid},
		{"jti number", mkToken(hsHeader, claims(map[string]any{"jti": 1}), hs), signing.ErrJWTClaimInvalid},
		{"sub empty", mkToken(hsHeader, claims(map[string]any{"sub": ""}), hs), signing.ErrJWTClaimInvalid},
		{"sub number", mkToken(hsHeader, claims(map[string]any{"sub": 7}), hs), signing.ErrJWTClaimInvalid},
		{"exp string", mkToken(hsHeader, claims(map[string]any{"exp": strconv.FormatInt(now+60, 10)}), hs), signing.ErrJWTClaimInvalid},
		{"exp fraction", mkToken(hsHeader, claims(map[string]any{"exp": float64(now) + 60.5}), hs), signing.ErrJWTClaimInvalid},
		{"exp exponent", mkToken(hsHeader, strings.Replace(claims(nil), `"exp":`+strconv.FormatInt(now+900, 10), `"exp":1.8e9`, 1), hs), signing.ErrJWTClaimInvalid},
		{"exp negative", mkToken(hsHeader, claims(map[string]any{"exp": -1}), hs), signing.ErrJWTClaimInvalid},
		{"exp huge", mkToken(hsHeader, strings.Replace(claims(nil), `"exp":`+strconv.FormatInt(now+900, 10), `"exp":99999999999999999999`, 1), hs), signing.ErrJWTClaimInvalid},
		{"sfp number", mkToken(hsHeader, claims(map[string]any{"sfp": 1}), hs), signing.ErrJWTClaimInvalid},
		{"sid object", mkToken(hsHeader, claims(map[string]any{"sid": map[string]any{}}), hs), signing.ErrJWTClaimInvalid},
		{"amr string", mkToken(hsHeader, claims(map[string]any{"amr": "pwd"}), hs), signing.ErrJWTClaimInvalid},
		{"sub lone surrogate", mkToken(hsHeader, strings.Replace(claims(nil), `"sub":"user-1"`, `"sub":"\ud800"`, 1), hs), signing.ErrJWTClaimInvalid},
		{"duplicated sub", mkToken(hsHeader, strings.Replace(claims(nil), `"sub":"user-1"`, `"sub":"user-1","sub":"admin"`, 1), hs), signing.ErrJWTDuplicateMember},
		{"duplicated exp", mkToken(hsHeader, strings.Replace(claims(nil), `"jti"`, `"exp":9999999999,"jti"`, 1), hs), signing.ErrJWTDuplicateMember},
		{"payload array", mkToken(hsHeader, `[1]`, hs), signing.ErrJWTMalformed},
		{"payload not json", mkToken(hsHeader, `sub=1`, hs), signing.ErrJWTMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s signing.JWTScratch
			out := signing.AccessClaims{Sub: []byte("stale")}
			err := f.v.Verify([]byte(tc.token), testNow, &s, &out)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if out.Sub != nil || out.Alg != "" || out.ExpiresAt != 0 {
				t.Fatalf("claims left on error: %+v", out)
			}
		})
	}
}

// nonCanonical changes the unused low bits of the last character of a
// base64url segment whose length leaves unused bits.
func nonCanonical(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last|1])
}

func TestJWTVerifySizeLimit(t *testing.T) {
	f := newJWTFixture(t)
	hs := signHS(f.hsSecret)
	found := map[int]bool{}
	for pad := 1000; pad < 1600 && len(found) < 2; pad++ {
		tok := mkToken(hsHeader, claims(map[string]any{"pad": strings.Repeat("x", pad)}), hs)
		var s signing.JWTScratch
		var out signing.AccessClaims
		switch len(tok) {
		case signing.MaxTokenLen:
			if err := f.v.Verify([]byte(tok), testNow, &s, &out); err != nil {
				t.Fatalf("%d-byte token refused: %v", len(tok), err)
			}
			found[len(tok)] = true
		case signing.MaxTokenLen + 1:
			if err := f.v.Verify([]byte(tok), testNow, &s, &out); !errors.Is(err, signing.ErrJWTTooLarge) {
				t.Fatalf("%d-byte token: %v", len(tok), err)
			}
			found[len(tok)] = true
		}
	}
	if len(found) != 2 {
		t.Fatalf("did not build tokens of both sizes: %v", found)
	}
}

func TestJWTScratchReuse(t *testing.T) {
	f := newJWTFixture(t)
	var s signing.JWTScratch
	var a, b signing.AccessClaims
	t1 := mkToken(hsHeader, claims(map[string]any{"sub": "first"}), signHS(f.hsSecret))
	t2 := mkToken(hsHeader, claims(map[string]any{"sub": "second-user"}), signHS(f.hsSecret))
	if err := f.v.Verify([]byte(t1), testNow, &s, &a); err != nil || string(a.Sub) != "first" {
		t.Fatal(err, string(a.Sub))
	}
	if err := f.v.Verify([]byte(t2), testNow, &s, &b); err != nil || string(b.Sub) != "second-user" {
		t.Fatal(err, string(b.Sub))
	}
	// a's slices pointed into the same scratch: documented as invalid now.
	if err := f.v.Verify([]byte("x.y.z"), testNow, &s, &b); err == nil {
		t.Fatal("accepted garbage")
	}
}

func TestJWTIssueRoundTrip(t *testing.T) {
	f := newJWTFixture(t)
	for _, key := range []signing.JWTKey{f.hs, f.ed, f.ec, {Alg: signing.AlgHS256, HMAC: f.hs.HMAC}} {
		t.Run(key.Alg+"/"+key.KID, func(t *testing.T) {
			iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: key})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := iss.Issue(signing.IssueClaims{Subject: "u-9", SFP: "fp", SID: "sid-1", Lifetime: 15 * time.Minute, Extra: map[string]any{"amr": []string{"pwd"}}}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			var s signing.JWTScratch
			var out signing.AccessClaims
			if err := f.v.Verify([]byte(tok), testNow.Add(14*time.Minute), &s, &out); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if string(out.Sub) != "u-9" || string(out.SFP) != "fp" || string(out.SID) != "sid-1" || len(out.JTI) != 32 ||
				out.ExpiresAt != testNow.Unix()+900 || out.IssuedAt != testNow.Unix() || out.Alg != key.Alg || string(out.KeyID) != key.KID {
				t.Fatalf("claims %+v", out)
			}
			var extra struct{ AMR []string }
			if err := json.Unmarshal(out.Payload, &extra); err != nil || len(extra.AMR) != 1 {
				t.Fatalf("payload extras: %v %v", extra, err)
			}
			if err := f.v.Verify([]byte(tok), testNow.Add(15*time.Minute+31*time.Second), &s, &out); !errors.Is(err, signing.ErrJWTExpired) {
				t.Fatalf("expired token: %v", err)
			}
			// golang-jwt writes the header as a map: members in name order.
			hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
			want := `{"alg":"` + key.Alg + `"`
			if key.KID != "" {
				want += `,"kid":"` + key.KID + `"`
			}
			if string(hdr) != want+`,"typ":"JWT"}` {
				t.Fatalf("header %s", hdr)
			}
		})
	}
}

// TestJWTIssueClaimsUnchangedByGolangJWT pins what Issue writes since it
// goes through golang-jwt: the claims segment is byte for byte the one the
// hand-written issuer wrote (so are HS256 and EdDSA signatures over the
// same input; ES256 is randomised), only the header's members moved to name
// order, and JWTVerifier accepts both orders.
func TestJWTIssueClaimsUnchangedByGolangJWT(t *testing.T) {
	f := newJWTFixture(t)
	const payload = `{"amr":["pwd"],"aud":"gatehouse:access","exp":1800003600,"iat":1800000000,"iss":"https://auth.example.test","jti":"0123456789abcdef0123456789abcdef","nbf":1800000000,"sfp":"fp","sid":"s","sub":"user-1","x":"\u003c\u0026\u003e"}`
	for _, c := range []struct {
		key            signing.JWTKey
		header, before string // before: the hand-written issuer's header
		sig            string // deterministic algorithms only
	}{
		{f.hs, `{"alg":"HS256","kid":"hs1","typ":"JWT"}`, `{"alg":"HS256","typ":"JWT","kid":"hs1"}`, ""},
		{signing.JWTKey{Alg: signing.AlgHS256, HMAC: f.hs.HMAC}, `{"alg":"HS256","typ":"JWT"}`, `{"alg":"HS256","typ":"JWT"}`, "cVw_ekU8P_Spx1Y6TKH6a88uFCGMyk_i_A5oPw5pRYE"},
		{f.ed, `{"alg":"EdDSA","kid":"ed1","typ":"JWT"}`, `{"alg":"EdDSA","typ":"JWT","kid":"ed1"}`, ""},
		{f.ec, `{"alg":"ES256","kid":"ec1","typ":"JWT"}`, `{"alg":"ES256","typ":"JWT","kid":"ec1"}`, ""},
	} {
		iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: c.key})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := iss.Issue(signing.IssueClaims{Subject: "user-1", JTI: testJTI, SFP: "fp", SID: "s", Lifetime: time.Hour,
			Extra: map[string]any{"amr": []string{"pwd"}, "x": "<&>"}}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(tok, ".")
		h, _ := base64.RawURLEncoding.DecodeString(parts[0])
		p, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if string(h) != c.header || string(p) != payload {
			t.Fatalf("%s: header %s payload %s", c.key, h, p)
		}
		if c.sig != "" && parts[2] != c.sig {
			t.Fatalf("%s: signature %s, the hand-written issuer's was %s", c.key, parts[2], c.sig)
		}
		var s signing.JWTScratch
		var out signing.AccessClaims
		if err := f.v.Verify([]byte(tok), testNow, &s, &out); err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		// The header order the hand-written issuer wrote still verifies.
		sign := signHS(f.hsSecret)
		switch c.key.Alg {
		case signing.AlgEdDSA:
			sign = signEd(f.ed.Ed25519Private)
		case signing.AlgES256:
			sign = signES(f.ec.ECDSAPrivate)
		}
		if err := f.v.Verify([]byte(mkToken(c.before, payload, sign)), testNow, &s, &out); err != nil {
			t.Fatalf("%s, header %s: %v", c.key, c.before, err)
		}
	}
}

func TestJWTIssueRefuses(t *testing.T) {
	f := newJWTFixture(t)
	iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: f.hs})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]signing.IssueClaims{
		"no subject":       {Lifetime: time.Minute},
		"no lifetime":      {Subject: "u"},
		"reserved extra":   {Subject: "u", Lifetime: time.Minute, Extra: map[string]any{"exp": 1}},
		"bad jti":          {Subject: "u", Lifetime: time.Minute, JTI: "xyz"},
		"too large":        {Subject: strings.Repeat("u", 2000), Lifetime: time.Minute},
		"unencodable data": {Subject: "u", Lifetime: time.Minute, Extra: map[string]any{"f": func() {}}},
	} {
		if _, err := iss.Issue(c, testNow); err == nil {
			t.Errorf("%s: issued", name)
		}
	}
	// Issuer keys need their private half; verifier-only keys are refused.
	pub := signing.JWTKey{KID: "ed1", Alg: signing.AlgEdDSA, Ed25519Public: f.ed.Ed25519Private.Public().(ed25519.PublicKey)}
	if _, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: pub}); !errors.Is(err, signing.ErrJWTKey) {
		t.Fatalf("public-only issuer: %v", err)
	}
}

func TestNewJWTVerifierRefusesBadConfig(t *testing.T) {
	f := newJWTFixture(t)
	short := signing.JWTKey{Alg: signing.AlgHS256, HMAC: signing.NewSecret([]byte("short"))}
	cases := map[string]signing.JWTVerifierConfig{
		"no issuer":         {Audience: testAud, Keys: []signing.JWTKey{f.hs}},
		"no audience":       {Issuer: testIss, Keys: []signing.JWTKey{f.hs}},
		"no keys":           {Issuer: testIss, Audience: testAud},
		"negative leeway":   {Issuer: testIss, Audience: testAud, Leeway: -time.Second, Keys: []signing.JWTKey{f.hs}},
		"short HMAC":        {Issuer: testIss, Audience: testAud, Keys: []signing.JWTKey{short}},
		"alg none":          {Issuer: testIss, Audience: testAud, Keys: []signing.JWTKey{{Alg: "none", HMAC: f.hs.HMAC}}},
		"duplicate kid":     {Issuer: testIss, Audience: testAud, Keys: []signing.JWTKey{f.hs, f.hs}},
		"EdDSA without kid": {Issuer: testIss, Audience: testAud, Keys: []signing.JWTKey{{Alg: signing.AlgEdDSA, Ed25519Private: f.ed.Ed25519Private}}},
		"EdDSA no key":      {Issuer: testIss, Audience: testAud, Keys: []signing.JWTKey{{KID: "e", Alg: signing.AlgEdDSA}}},
		"ES256 no key":      {Issuer: testIss, Audience: testAud, Keys: []signing.JWTKey{{KID: "e", Alg: signing.AlgES256}}},
		"kid with quote":    {Issuer: testIss, Audience: testAud, Keys: []signing.JWTKey{{KID: `a"b`, Alg: signing.AlgHS256, HMAC: f.hs.HMAC}}},
	}
	for name, cfg := range cases {
		if _, err := signing.NewJWTVerifier(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), string(f.hsSecret)) {
			t.Errorf("%s: error leaks the secret", name)
		}
	}
}

func TestJWTLeewayConfigurable(t *testing.T) {
	f := newJWTFixture(t)
	v, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{Issuer: testIss, Audience: testAud, Leeway: 5 * time.Second, Keys: []signing.JWTKey{f.hs}})
	if err != nil {
		t.Fatal(err)
	}
	now := testNow.Unix()
	var s signing.JWTScratch
	var out signing.AccessClaims
	tok := mkToken(hsHeader, claims(map[string]any{"exp": now - 5, "iat": now - 60, "nbf": now - 60}), signHS(f.hsSecret))
	if err := v.Verify([]byte(tok), testNow, &s, &out); !errors.Is(err, signing.ErrJWTExpired) {
		t.Fatalf("err = %v", err)
	}
	tok = mkToken(hsHeader, claims(map[string]any{"exp": now - 4, "iat": now - 60, "nbf": now - 60}), signHS(f.hsSecret))
	if err := v.Verify([]byte(tok), testNow, &s, &out); err != nil {
		t.Fatalf("err = %v", err)
	}
}

// TestJWTCrossCheckGolangJWT checks tokens of golang-jwt verify with ours,
// and ours verify with golang-jwt.
func TestJWTCrossCheckGolangJWT(t *testing.T) {
	f := newJWTFixture(t)
	type pair struct {
		method  jwt.SigningMethod
		signKey any
		pubKey  any
		key     signing.JWTKey
	}
	pairs := []pair{
		{jwt.SigningMethodHS256, f.hsSecret, f.hsSecret, f.hs},
		{jwt.SigningMethodEdDSA, f.ed.Ed25519Private, f.ed.Ed25519Private.Public(), f.ed},
		{jwt.SigningMethodES256, f.ec.ECDSAPrivate, &f.ec.ECDSAPrivate.PublicKey, f.ec},
	}
	for _, p := range pairs {
		t.Run(p.method.Alg(), func(t *testing.T) {
			// theirs → ours
			tok := jwt.NewWithClaims(p.method, jwt.MapClaims{
				"sub": "u-1", "aud": testAud, "iss": testIss, "iat": testNow.Unix(),
				"nbf": testNow.Unix(), "exp": testNow.Unix() + 60, "jti": testJTI,
			})
			tok.Header["kid"] = p.key.KID
			s, err := tok.SignedString(p.signKey)
			if err != nil {
				t.Fatal(err)
			}
			var sc signing.JWTScratch
			var out signing.AccessClaims
			if err := f.v.Verify([]byte(s), testNow, &sc, &out); err != nil {
				t.Fatalf("ours refused golang-jwt token: %v", err)
			}
			// ours → theirs
			iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: p.key})
			if err != nil {
				t.Fatal(err)
			}
			mine, err := iss.Issue(signing.IssueClaims{Subject: "u-2", Lifetime: time.Minute}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.Parse(mine, func(*jwt.Token) (any, error) { return p.pubKey, nil },
				jwt.WithValidMethods([]string{p.method.Alg()}), jwt.WithAudience(testAud), jwt.WithIssuer(testIss),
				jwt.WithTimeFunc(func() time.Time { return testNow }), jwt.WithIssuedAt(), jwt.WithExpirationRequired())
			if err != nil || !parsed.Valid {
				t.Fatalf("golang-jwt refused ours: %v", err)
			}
			if sub, _ := parsed.Claims.GetSubject(); sub != "u-2" {
				t.Fatalf("sub %q", sub)
			}
			// And golang-jwt refuses our token with a wrong key.
			if _, err := jwt.Parse(mine, func(*jwt.Token) (any, error) { return []byte("wrong-key-wrong-key-wrong-key-xx"), nil },
				jwt.WithValidMethods([]string{"HS256"})); err == nil {
				t.Fatal("golang-jwt accepted a wrong key")
			}
		})
	}
}

// TestJWTRefusesTokenAtExpPlusLeeway: RFC 7519 4.1.4 accepts a token only
// before exp; with the leeway, now == exp+leeway is already too late, as
// golang-jwt has it (FuzzJWTVerifierMatchesGolangJWT). Fresh Verify and
// CheckTimes (the verifier's token cache) agree.
func TestJWTRefusesTokenAtExpPlusLeeway(t *testing.T) {
	f := newJWTFixture(t)
	now := testNow.Unix()
	var s signing.JWTScratch
	var out signing.AccessClaims
	for _, c := range []struct {
		exp  int64
		want error
	}{{now - 29, nil}, {now - 30, signing.ErrJWTExpired}, {now - 31, signing.ErrJWTExpired}} {
		tok := mkToken(hsHeader, claims(map[string]any{"exp": c.exp, "iat": now - 100, "nbf": now - 100}), signHS(f.hsSecret))
		if err := f.v.Verify([]byte(tok), testNow, &s, &out); !errors.Is(err, c.want) {
			t.Errorf("exp now%+d: Verify %v, want %v", c.exp-now, err, c.want)
		}
		kept := signing.AccessClaims{IssuedAt: now - 100, NotBefore: now - 100, ExpiresAt: c.exp}
		if err := f.v.CheckTimes(&kept, testNow); !errors.Is(err, c.want) {
			t.Errorf("exp now%+d: CheckTimes %v, want %v", c.exp-now, err, c.want)
		}
	}
}

func TestNewJTI(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		j, err := signing.NewJTI()
		if err != nil || len(j) != 32 || strings.Trim(j, "0123456789abcdef") != "" || seen[j] {
			t.Fatalf("jti %q %v", j, err)
		}
		seen[j] = true
	}
}
