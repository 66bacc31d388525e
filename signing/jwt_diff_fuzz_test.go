package signing_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/signing"
	"github.com/golang-jwt/jwt/v5"
)

// FuzzJWTVerifierMatchesGolangJWT holds signing.JWTVerifier to golang-jwt
// v5 configured identically: the same keys chosen the same way (a kid
// names exactly one key, whose algorithm must be the header's; no kid means
// the default HS256 key), jwt.WithValidMethods(HS256, EdDSA, ES256),
// WithIssuer, WithAudience, WithLeeway(30s), WithExpirationRequired,
// WithIssuedAt, WithStrictDecoding and the same clock. For every input:
//
//   - golang-jwt accepts and none of our stricter rules applies ⇒ ours
//     accepts, with equal claims (sub, jti, sfp, sid, iat, nbf, exp, aud,
//     and the whole claims object decoded from out.Payload equal to
//     golang-jwt's MapClaims);
//   - golang-jwt accepts and a stricter rule applies ⇒ ours refuses with
//     that rule's error;
//   - golang-jwt refuses ⇒ ours refuses, except where golang-jwt is the
//     stricter one (below), which is checked against golang-jwt with
//     WithJSONNumber.
//
// Rules where ours is stricter (each computed here independently of our
// parser, by jwtStricterRule):
//
//  1. tokens longer than MaxTokenLen (2048) are refused (ErrJWTTooLarge);
//  2. CR or LF inside a segment: Go's base64, even Strict, skips them; ours
//     refuses (ErrJWTMalformed);
//  3. header or claims not valid UTF-8: encoding/json replaces bad bytes
//     with U+FFFD; ours refuses (ErrJWTMalformed);
//  4. a top-level member name with an escape, or nesting deeper than 32, or
//     more than 48 top-level members, or a duplicated top-level name in
//     header or claims: encoding/json takes the last duplicate; ours refuses
//     (ErrJWTMalformed or ErrJWTDuplicateMember, whichever our scanner meets
//     first);
//  5. typ must be present and exactly "JWT" without escapes: golang-jwt
//     ignores typ (ErrJWTType);
//  6. crit must be absent: golang-jwt ignores it (ErrJWTCritical);
//  7. alg and kid are compared as raw bytes: an escaped spelling
//     ("HS\u003256") is refused (ErrJWTAlgorithm, ErrJWTUnknownKey);
//     golang-jwt decodes first;
//  8. sub, iat, nbf and jti are required too (golang-jwt can require only
//     exp, nbf, iss, aud, sub-with-a-value) (ErrJWTMissingClaim);
//  9. iat, nbf and exp are non-negative integers of at most 18 digits, a
//     ".0…" fraction allowed: golang-jwt takes any JSON number as float64
//     seconds (negative, fractional, exponent) (ErrJWTClaimInvalid);
//  10. jti is 32 lower-case hex characters without escapes; sub a non-empty
//     string; sfp and sid strings when present; amr an array when present;
//     sub, sfp and sid without lone UTF-16 surrogate escapes (encoding/json
//     turns them into U+FFFD) (ErrJWTClaimInvalid).
//
// Where golang-jwt is stricter: a number in header or claims outside
// float64's range (1e400) makes encoding/json fail, so golang-jwt refuses
// the token; ours does not read numbers it does not use. Tokens with such a
// number in the claims are compared with golang-jwt using WithJSONNumber
// (which then also ignores data after the claims object; ours refuses it,
// jwtStricterRule's "claims trailing data"). With such a number in the
// header golang-jwt refuses whatever the options, and the verdicts are not
// compared.
//
// Semantics checked equal (no rule needed): aud as string or array of
// strings (a non-string element refuses), exp boundary now < exp+leeway
// (TestJWTRefusesTokenAtExpPlusLeeway), nbf/iat now >= t-leeway, iat or
// nbf of 0, exp of 0 (theirs: missing; ours: expired), signature lengths,
// ES256 high-S (both use crypto/ecdsa), alg "none", strict base64 trailing
// bits.
//
// The fuzzer drives two shapes: mode 0 signs header.payload with the key
// picked by keySel (ours, or a stranger's), so claim-level rules are
// reached with valid signatures; mode 1 uses header as a raw token.
func FuzzJWTVerifierMatchesGolangJWT(f *testing.F) {
	fx := newJWTFixture(f)
	now := testNow.Unix()
	for _, h := range []string{hsHeader, `{"alg":"HS256","typ":"JWT","kid":"hs1"}`, `{"alg":"EdDSA","typ":"JWT","kid":"ed1"}`, `{"alg":"ES256","typ":"JWT","kid":"ec1"}`} {
		for sel := range uint8(4) {
			f.Add([]byte(h), []byte(claims(nil)), sel, uint8(0))
		}
	}
	for _, p := range []string{
		claims(map[string]any{"aud": []string{"x", testAud}, "sfp": "fp", "sid": "s", "amr": []string{"pwd"}}),
		claims(map[string]any{"exp": now - 30}), claims(map[string]any{"exp": now - 29}),
		claims(map[string]any{"nbf": now + 30}), claims(map[string]any{"nbf": now + 31}),
		claims(map[string]any{"iat": now + 31}), claims(map[string]any{"iat": 0, "nbf": 0}),
		claims(map[string]any{"exp": 1.8000009e9}), claims(map[string]any{"exp": 0}),
		claims(map[string]any{"nbf": -1}), claims(map[string]any{"jti": nil}),
		claims(map[string]any{"sub": 7}), claims(map[string]any{"aud": []any{testAud, 1}}),
		claims(map[string]any{"x": json.RawMessage("1e400")}),
		`{"sub":"a","sub":"b","aud":"gatehouse:access","iss":"https://auth.example.test","iat":1800000000,"nbf":1800000000,"exp":1800000900,"jti":"` + testJTI + `"}`,
		`{"sub":"\ud800","aud":"gatehouse:access","iss":"https:\/\/auth.example.test","iat":1800000000,"nbf":1800000000,"exp":1800000900.000,"jti":"` + testJTI + `"}`,
		claims(nil) + " ", claims(nil) + "{}",
	} {
		f.Add([]byte(hsHeader), []byte(p), uint8(0), uint8(0))
	}
	for _, h := range []string{`{"alg":"HS256"}`, `{"alg":"HS256","typ":"jwt"}`, `{"alg":"HS256","typ":"JWT","crit":["exp"]}`,
		`{"alg":"HS\u003256","typ":"JWT"}`, `{"alg":"HS256","typ":"JWT","kid":"h\u00731"}`, `{"alg":"HS256","typ":"JWT","kid":"ed1"}`,
		`{"alg":"EdDSA","typ":"JWT"}`, `{"alg":"none","typ":"JWT"}`, `{"alg":"HS256","typ":"JWT","typ":"JWT"}`, `{"alg":"HS256","typ":"JWT","x":1e400}`} {
		f.Add([]byte(h), []byte(claims(nil)), uint8(0), uint8(0))
	}
	good := mkToken(hsHeader, claims(nil), signHS(fx.hsSecret))
	for _, raw := range []string{good, good[:10] + "\n" + good[10:], good + "=", strings.Replace(good, ".", "..", 1), "a.b.c", ""} {
		f.Add([]byte(raw), []byte(nil), uint8(0), uint8(1))
	}

	signers := []func(hdr []byte) func([]byte) []byte{
		func(hdr []byte) func([]byte) []byte { // the key the header asks for
			switch {
			case bytes.Contains(hdr, []byte(`EdDSA`)):
				return signEd(fx.ed.Ed25519Private)
			case bytes.Contains(hdr, []byte(`ES256`)):
				return signES(fx.ec.ECDSAPrivate)
			}
			return signHS(fx.hsSecret)
		},
		func([]byte) func([]byte) []byte { return signHS(fx.hsSecret) },
		func([]byte) func([]byte) []byte { return signEd(fx.otherEd) },
		func([]byte) func([]byte) []byte { return signES(fx.otherEC) },
	}
	keys := map[string]any{"hs1": fx.hsSecret, "ed1": fx.ed.Ed25519Private.Public(), "ec1": &fx.ec.ECDSAPrivate.PublicKey}
	algs := map[string]string{"hs1": "HS256", "ed1": "EdDSA", "ec1": "ES256"}
	keyfunc := func(t *jwt.Token) (any, error) {
		kid, has := t.Header["kid"]
		if !has {
			if t.Method.Alg() != "HS256" {
				return nil, errors.New("no kid")
			}
			return fx.hsSecret, nil
		}
		s, ok := kid.(string)
		if !ok || keys[s] == nil || algs[s] != t.Method.Alg() {
			return nil, errors.New("unknown kid")
		}
		return keys[s], nil
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{"HS256", "EdDSA", "ES256"}), jwt.WithIssuer(testIss), jwt.WithAudience(testAud),
		jwt.WithLeeway(30 * time.Second), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return testNow }),
	}
	theirs := jwt.NewParser(opts...)
	theirsNumber := jwt.NewParser(append(opts, jwt.WithJSONNumber())...)
	s := new(signing.JWTScratch)

	f.Fuzz(func(t *testing.T, header, payload []byte, keySel, mode uint8) {
		token := header
		if mode%2 == 0 {
			token = []byte(mkToken(string(header), string(payload), signers[keySel%4](header)))
		}
		var out signing.AccessClaims
		ourErr := fx.v.Verify(token, testNow, s, &out)
		tok, theirErr := theirs.Parse(string(token), keyfunc)
		if theirErr != nil {
			switch jwtFloatOverflow(token) {
			case "header":
				return // golang-jwt always refuses; not compared (see above)
			case "claims":
				tok, theirErr = theirsNumber.Parse(string(token), keyfunc)
			}
		}
		rule, ruleErr := jwtStricterRule(token)
		switch {
		case theirErr == nil && rule == "":
			if ourErr != nil {
				t.Fatalf("golang-jwt accepts, ours refuses (%v): %q", ourErr, token)
			}
			jwtClaimsEqual(t, &out, tok.Claims.(jwt.MapClaims), token)
		case theirErr == nil:
			if !errors.Is(ourErr, ruleErr) && !(errors.Is(ruleErr, signing.ErrJWTMalformed) && errors.Is(ourErr, signing.ErrJWTDuplicateMember)) &&
				!(errors.Is(ruleErr, signing.ErrJWTDuplicateMember) && errors.Is(ourErr, signing.ErrJWTMalformed)) {
				t.Fatalf("stricter rule %q: want %v, ours %v: %q", rule, ruleErr, ourErr, token)
			}
		default:
			if ourErr == nil {
				t.Fatalf("golang-jwt refuses (%v), ours accepts: %q", theirErr, token)
			}
		}
	})
}

// jwtClaimsEqual compares what ours extracted with golang-jwt's claims.
func jwtClaimsEqual(t *testing.T, out *signing.AccessClaims, mc jwt.MapClaims, token []byte) {
	t.Helper()
	str := func(k string) string { s, _ := mc[k].(string); return s }
	if string(out.Sub) != str("sub") || string(out.JTI) != str("jti") || string(out.SFP) != str("sfp") || string(out.SID) != str("sid") {
		t.Fatalf("string claims differ: ours %q %q %q %q, golang-jwt %v: %q", out.Sub, out.JTI, out.SFP, out.SID, mc, token)
	}
	for k, ours := range map[string]int64{"iat": out.IssuedAt, "nbf": out.NotBefore, "exp": out.ExpiresAt} {
		// golang-jwt holds NumericDates as float64 seconds.
		if f, ok := jwtNumber(mc[k]); !ok || f != float64(ours) {
			t.Fatalf("%s: ours %d, golang-jwt %v: %q", k, ours, mc[k], token)
		}
	}
	aud, err := mc.GetAudience()
	if err != nil || !jwtHas(aud, testAud) {
		t.Fatalf("aud %v %v", aud, err)
	}
	var all map[string]any
	if err := json.Unmarshal(out.Payload, &all); err != nil {
		d := json.NewDecoder(bytes.NewReader(out.Payload))
		d.UseNumber()
		if err := d.Decode(&all); err != nil {
			t.Fatalf("ours' payload does not decode: %v", err)
		}
	}
	if !reflect.DeepEqual(map[string]any(mc), all) {
		t.Fatalf("claims differ: ours %v, golang-jwt %v", all, mc)
	}
}

func jwtNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func jwtHas(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// jwtSegments decodes the header and payload of a three-segment token with
// the standard library's strict decoder, as golang-jwt does.
func jwtSegments(token []byte) (h, p []byte, ok bool) {
	parts := strings.Split(string(token), ".")
	if len(parts) != 3 {
		return nil, nil, false
	}
	dec := jwt.NewParser(jwt.WithStrictDecoding())
	h, err1 := dec.DecodeSegment(parts[0])
	p, err2 := dec.DecodeSegment(parts[1])
	return h, p, err1 == nil && err2 == nil
}

// jwtFloatOverflow names the segment ("header" or "claims") holding a
// number encoding/json cannot hold in a float64, or "".
func jwtFloatOverflow(token []byte) string {
	h, p, ok := jwtSegments(token)
	if !ok {
		return ""
	}
	for i, b := range [][]byte{h, p} {
		var v any
		var te *json.UnmarshalTypeError
		if err := json.Unmarshal(b, &v); errors.As(err, &te) && strings.HasPrefix(te.Value, "number") {
			return [...]string{"header", "claims"}[i]
		}
	}
	return ""
}

type jwtRawMember struct {
	name    string
	escaped bool
	raw     json.RawMessage
}

// jwtTopMembers lists the top-level members of a JSON object in order, with
// duplicates, as raw values; trailing reports data after the object.
func jwtTopMembers(b []byte) (ms []jwtRawMember, trailing bool, ok bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	if tk, err := d.Token(); err != nil || tk != json.Delim('{') {
		return nil, false, false
	}
	for d.More() {
		start := d.InputOffset()
		tk, err := d.Token()
		if err != nil {
			return nil, false, false
		}
		name, _ := tk.(string)
		rawName := bytes.TrimLeft(b[start:d.InputOffset()], " \t\r\n,")
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, false, false
		}
		ms = append(ms, jwtRawMember{name: name, escaped: bytes.IndexByte(rawName, '\\') >= 0, raw: raw})
	}
	if _, err := d.Token(); err != nil {
		return nil, false, false
	}
	rest := b[d.InputOffset():]
	return ms, len(bytes.TrimLeft(rest, " \t\r\n")) > 0, true
}

// jwtDepth is the deepest nesting of arrays and objects in b (strings
// skipped), the outermost object counting 1.
func jwtDepth(b []byte) int {
	depth, max, inStr := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			depth++
			if depth > max {
				max = depth
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return max
}

// jwtLoneSurrogate reports a \uD800-\uDFFF escape in the raw JSON string
// s (quotes included) that is not a high surrogate followed by a low one.
func jwtLoneSurrogate(s []byte) bool {
	hex := func(i int) (rune, bool) {
		if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for _, c := range s[i+2 : i+6] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		r, ok := hex(i)
		if !ok {
			i++ // skip the escaped character
			continue
		}
		switch {
		case r >= 0xd800 && r < 0xdc00:
			lo, ok := hex(i + 6)
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 11
		case r >= 0xdc00 && r <= 0xdfff:
			return true
		default:
			i += 5
		}
	}
	return false
}

var (
	jwtNumericDate = regexp.MustCompile(`^(0|[1-9][0-9]{0,17})(\.0+)?$`)
	jwtJTIRe       = regexp.MustCompile(`^"[0-9a-f]{32}"$`)
)

// jwtStricterRule returns the first of our stricter rules (see
// FuzzJWTVerifierMatchesGolangJWT) that token breaks, and the error ours
// returns for it; "" when none applies. It is only consulted for tokens
// golang-jwt accepts, so the header and claims are JSON objects here.
func jwtStricterRule(token []byte) (string, error) {
	if len(token) > signing.MaxTokenLen {
		return "size", signing.ErrJWTTooLarge
	}
	if bytes.ContainsAny(token, "\r\n") {
		return "CR/LF in a segment", signing.ErrJWTMalformed
	}
	h, p, ok := jwtSegments(token)
	if !ok {
		return "", nil
	}
	hm, _, hok := jwtTopMembers(h)
	if !hok {
		return "", nil
	}
	// Header rules come first: ours looks at the claims only after the
	// header and signature checks.
	if r, err := jwtObjectRule(h, hm); r != "" {
		return "header " + r, err
	}
	get := func(ms []jwtRawMember, name string) (json.RawMessage, bool) {
		for _, m := range ms {
			if m.name == name {
				return m.raw, true
			}
		}
		return nil, false
	}
	if typ, ok := get(hm, "typ"); !ok || string(typ) != `"JWT"` {
		return "typ", signing.ErrJWTType
	}
	if _, ok := get(hm, "crit"); ok {
		return "crit", signing.ErrJWTCritical
	}
	if alg, _ := get(hm, "alg"); bytes.IndexByte(alg, '\\') >= 0 {
		return "escaped alg", signing.ErrJWTAlgorithm
	}
	if kid, ok := get(hm, "kid"); ok && bytes.IndexByte(kid, '\\') >= 0 {
		return "escaped kid", signing.ErrJWTUnknownKey
	}
	pm, trailing, pok := jwtTopMembers(p)
	if !pok {
		return "", nil
	}
	if trailing {
		return "claims trailing data", signing.ErrJWTMalformed
	}
	if r, err := jwtObjectRule(p, pm); r != "" {
		return "claims " + r, err
	}
	for _, name := range []string{"sub", "iat", "nbf", "jti"} {
		if _, ok := get(pm, name); !ok {
			return "missing " + name, signing.ErrJWTMissingClaim
		}
	}
	for _, name := range []string{"iat", "nbf", "exp"} {
		if v, _ := get(pm, name); !jwtNumericDate.Match(v) {
			return name + " not a non-negative integer", signing.ErrJWTClaimInvalid
		}
	}
	if v, _ := get(pm, "jti"); !jwtJTIRe.Match(v) {
		return "jti not 32 lower-case hex", signing.ErrJWTClaimInvalid
	}
	if v, _ := get(pm, "sub"); len(v) < 3 || v[0] != '"' || jwtLoneSurrogate(v) {
		return "sub not a non-empty string", signing.ErrJWTClaimInvalid
	} else if sub := ""; json.Unmarshal(v, &sub) != nil || sub == "" {
		return "sub empty", signing.ErrJWTClaimInvalid
	}
	for _, name := range []string{"sfp", "sid"} {
		if v, ok := get(pm, name); ok && (v[0] != '"' || jwtLoneSurrogate(v)) {
			return name + " not a string", signing.ErrJWTClaimInvalid
		}
	}
	if v, ok := get(pm, "amr"); ok && v[0] != '[' {
		return "amr not an array", signing.ErrJWTClaimInvalid
	}
	return "", nil
}

// jwtObjectRule applies rules 3 and 4 to one decoded segment.
func jwtObjectRule(b []byte, ms []jwtRawMember) (string, error) {
	if !utf8.Valid(b) {
		return "invalid UTF-8", signing.ErrJWTMalformed
	}
	if jwtDepth(b) > 32 {
		return "nesting over 32", signing.ErrJWTMalformed
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if m.escaped {
			return "escaped member name", signing.ErrJWTMalformed
		}
		if seen[m.name] {
			return "duplicated member", signing.ErrJWTDuplicateMember
		}
		seen[m.name] = true
	}
	if len(ms) > 48 {
		return "over 48 members", signing.ErrJWTMalformed
	}
	return "", nil
}

// TestJWTStricterRulesEachReached holds the oracle of
// FuzzJWTVerifierMatchesGolangJWT to one token per stricter rule:
// golang-jwt (configured as in the fuzz target) accepts it, jwtStricterRule
// names the rule, and ours refuses with the rule's error. Without it a rule
// the oracle never reports would go unnoticed.
func TestJWTStricterRulesEachReached(t *testing.T) {
	fx := newJWTFixture(t)
	hs := signHS(fx.hsSecret)
	valid := claims(nil)
	many := strings.TrimSuffix(valid, "}")
	for i := range 45 {
		many += `,"m` + string(rune('a'+i/26)) + string(rune('a'+i%26)) + `":0`
	}
	many += "}"
	deep := strings.TrimSuffix(valid, "}") + `,"d":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + "}"
	// Signed over the segments as sent, CR/LF included, as golang-jwt checks.
	crlf := b64([]byte(hsHeader)) + "." + b64([]byte(valid))
	crlf = crlf[:20] + "\r\n" + crlf[20:]
	cases := []struct {
		name, token string
		want        error
	}{
		{"size", mkToken(hsHeader, claims(map[string]any{"pad": strings.Repeat("p", 1600)}), hs), signing.ErrJWTTooLarge},
		{"CR/LF in a segment", crlf + "." + b64(hs([]byte(crlf))), signing.ErrJWTMalformed},
		{"header invalid UTF-8", mkToken(`{"alg":"HS256","typ":"JWT","x":"`+"\xff"+`"}`, valid, hs), signing.ErrJWTMalformed},
		{"claims invalid UTF-8", mkToken(hsHeader, strings.Replace(valid, "user-1", "user-\xff", 1), hs), signing.ErrJWTMalformed},
		{"claims nesting over 32", mkToken(hsHeader, deep, hs), signing.ErrJWTMalformed},
		{"claims over 48 members", mkToken(hsHeader, many, hs), signing.ErrJWTMalformed},
		{"claims escaped member name", mkToken(hsHeader, strings.Replace(valid, `"sub"`, `"s\u0075b"`, 1), hs), signing.ErrJWTMalformed},
		{"claims duplicated member", mkToken(hsHeader, strings.Replace(valid, `"sub":"user-1"`, `"sub":"a","sub":"user-1"`, 1), hs), signing.ErrJWTDuplicateMember},
		{"header duplicated member", mkToken(`{"alg":"HS256","typ":"JWT","typ":"JWT"}`, valid, hs), signing.ErrJWTDuplicateMember},
		{"typ", mkToken(`{"alg":"HS256"}`, valid, hs), signing.ErrJWTType},
		{"typ", mkToken(`{"alg":"HS256","typ":"J\u0057T"}`, valid, hs), signing.ErrJWTType},
		{"crit", mkToken(`{"alg":"HS256","typ":"JWT","crit":["x"]}`, valid, hs), signing.ErrJWTCritical},
		{"escaped alg", mkToken(`{"alg":"HS\u003256","typ":"JWT"}`, valid, hs), signing.ErrJWTAlgorithm},
		{"escaped kid", mkToken(`{"alg":"HS256","typ":"JWT","kid":"h\u00731"}`, valid, hs), signing.ErrJWTUnknownKey},
		{"missing sub", mkToken(hsHeader, claims(map[string]any{"sub": nil}), hs), signing.ErrJWTMissingClaim},
		{"missing iat", mkToken(hsHeader, claims(map[string]any{"iat": nil}), hs), signing.ErrJWTMissingClaim},
		{"missing nbf", mkToken(hsHeader, claims(map[string]any{"nbf": nil}), hs), signing.ErrJWTMissingClaim},
		{"missing jti", mkToken(hsHeader, claims(map[string]any{"jti": nil}), hs), signing.ErrJWTMissingClaim},
		{"exp not a non-negative integer", mkToken(hsHeader, claims(map[string]any{"exp": json.RawMessage("1800000900.5")}), hs), signing.ErrJWTClaimInvalid},
		{"exp not a non-negative integer", mkToken(hsHeader, claims(map[string]any{"exp": json.RawMessage("1.8000009e9")}), hs), signing.ErrJWTClaimInvalid},
		{"nbf not a non-negative integer", mkToken(hsHeader, claims(map[string]any{"nbf": -1}), hs), signing.ErrJWTClaimInvalid},
		{"iat not a non-negative integer", mkToken(hsHeader, claims(map[string]any{"iat": json.RawMessage("18e8")}), hs), signing.ErrJWTClaimInvalid},
		{"jti not 32 lower-case hex", mkToken(hsHeader, claims(map[string]any{"jti": strings.ToUpper(testJTI)}), hs), signing.ErrJWTClaimInvalid},
		{"sub not a non-empty string", mkToken(hsHeader, claims(map[string]any{"sub": 7}), hs), signing.ErrJWTClaimInvalid},
		{"sub not a non-empty string", mkToken(hsHeader, strings.Replace(valid, `"user-1"`, `"\ud800"`, 1), hs), signing.ErrJWTClaimInvalid},
		{"sub not a non-empty string", mkToken(hsHeader, claims(map[string]any{"sub": ""}), hs), signing.ErrJWTClaimInvalid},
		{"sfp not a string", mkToken(hsHeader, claims(map[string]any{"sfp": 1}), hs), signing.ErrJWTClaimInvalid},
		{"sid not a string", mkToken(hsHeader, strings.TrimSuffix(valid, "}")+`,"sid":"\udc00"}`, hs), signing.ErrJWTClaimInvalid},
		{"amr not an array", mkToken(hsHeader, claims(map[string]any{"amr": "pwd"}), hs), signing.ErrJWTClaimInvalid},
	}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(testIss), jwt.WithAudience(testAud),
		jwt.WithLeeway(30*time.Second), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return testNow }))
	var s signing.JWTScratch
	var out signing.AccessClaims
	for _, c := range cases {
		if _, err := p.Parse(c.token, func(*jwt.Token) (any, error) { return fx.hsSecret, nil }); err != nil && c.name != "size" {
			t.Errorf("%s: golang-jwt refuses (%v), so the rule is not a difference", c.name, err)
		}
		rule, ruleErr := jwtStricterRule([]byte(c.token))
		if rule != c.name || ruleErr != c.want {
			t.Errorf("%s: oracle says %q %v", c.name, rule, ruleErr)
		}
		if err := fx.v.Verify([]byte(c.token), testNow, &s, &out); !errors.Is(err, c.want) {
			t.Errorf("%s: ours %v, want %v", c.name, err, c.want)
		}
	}
	// Where golang-jwt is the stricter one: a claim beyond float64.
	big := mkToken(hsHeader, claims(map[string]any{"x": json.RawMessage("1e400")}), hs)
	key := func(*jwt.Token) (any, error) { return fx.hsSecret, nil }
	if _, err := p.Parse(big, key); err == nil || jwtFloatOverflow([]byte(big)) != "claims" {
		t.Errorf("golang-jwt accepts a claim of 1e400: %v", err)
	}
	if _, err := jwt.NewParser(jwt.WithJSONNumber(), jwt.WithTimeFunc(func() time.Time { return testNow })).Parse(big, key); err != nil {
		t.Errorf("golang-jwt WithJSONNumber refuses 1e400: %v", err)
	}
	if err := fx.v.Verify([]byte(big), testNow, &s, &out); err != nil {
		t.Errorf("ours refuses a claim of 1e400 it does not read: %v", err)
	}
}
