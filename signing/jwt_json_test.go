package signing

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestJWTParseObject(t *testing.T) {
	var m [jwtMaxMembers]jwtMember
	good := map[string]int{
		`{}`:                        0,
		` { } `:                     0,
		`{"a":1}`:                   1,
		`{"a":-0.5e+10,"b":"x\"y"}`: 2,
		`{"a":[1,[2,{"c":null}]],"b":{"x":true,"y":false}}`: 2,
		"{\"a\":\"\u00e9\",\n\"b\":[]}":                     2,
		`{"a":"\ud83d\ude00\/\b\f\n\r\t\\"}`:                1,
	}
	for in, want := range good {
		n, err := jwtParseObject([]byte(in), m[:])
		if err != nil || n != want {
			t.Errorf("%s: n=%d err=%v", in, n, err)
		}
	}
	bad := map[string]error{
		``:                    ErrJWTMalformed,
		`[]`:                  ErrJWTMalformed,
		`{`:                   ErrJWTMalformed,
		`{"a"}`:               ErrJWTMalformed,
		`{"a":}`:              ErrJWTMalformed,
		`{"a":1,}`:            ErrJWTMalformed,
		`{"a":1 "b":2}`:       ErrJWTMalformed,
		`{"a":01}`:            ErrJWTMalformed,
		`{"a":1.}`:            ErrJWTMalformed,
		`{"a":.5}`:            ErrJWTMalformed,
		`{"a":1e}`:            ErrJWTMalformed,
		`{"a":+1}`:            ErrJWTMalformed,
		`{"a":-}`:             ErrJWTMalformed,
		`{"a":tru}`:           ErrJWTMalformed,
		`{"a":NaN}`:           ErrJWTMalformed,
		`{"a":"\x"}`:          ErrJWTMalformed,
		`{"a":"\u12"}`:        ErrJWTMalformed,
		`{"a":"\u12G4"}`:      ErrJWTMalformed,
		"{\"a\":\"\x1f\"}":    ErrJWTMalformed,
		"{\"a\":\"\xc3\"}":    ErrJWTMalformed,
		"{\"\xff\":1}":        ErrJWTMalformed,
		`{"\u0061":1}`:        ErrJWTMalformed,
		`{"a":1}}`:            ErrJWTMalformed,
		`{"a":1} 1`:           ErrJWTMalformed,
		`{"a":[1,]}`:          ErrJWTMalformed,
		`{"a":[1 2]}`:         ErrJWTMalformed,
		`{"a":{"b"}}`:         ErrJWTMalformed,
		`{"a":{1:2}}`:         ErrJWTMalformed,
		`{a:1}`:               ErrJWTMalformed,
		`{"a":1,"a":2}`:       ErrJWTDuplicateMember,
		`{"a":1,"b":2,"a":3}`: ErrJWTDuplicateMember,
		`{"a":` + strings.Repeat("[", jwtMaxDepth) + strings.Repeat("]", jwtMaxDepth) + `}`: ErrJWTMalformed,
	}
	for in, want := range bad {
		if _, err := jwtParseObject([]byte(in), m[:]); !errors.Is(err, want) {
			t.Errorf("%q: err=%v want %v", in, err, want)
		}
	}
	// Nesting just under the cap is fine; too many members is not.
	deep := `{"a":` + strings.Repeat("[", jwtMaxDepth-1) + strings.Repeat("]", jwtMaxDepth-1) + `}`
	if _, err := jwtParseObject([]byte(deep), m[:]); err != nil {
		t.Errorf("depth %d refused: %v", jwtMaxDepth-1, err)
	}
	var many strings.Builder
	many.WriteString("{")
	for i := 0; i <= jwtMaxMembers; i++ {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`"k` + strings.Repeat("x", i) + `":1`)
	}
	many.WriteString("}")
	if _, err := jwtParseObject([]byte(many.String()), m[:]); !errors.Is(err, ErrJWTMalformed) {
		t.Errorf("too many members: %v", err)
	}
}

func TestJWTParseInt(t *testing.T) {
	good := map[string]int64{"0": 0, "1": 1, "1800000000": 1800000000, "1800000000.0": 1800000000, "12.000": 12, "999999999999999999": 999999999999999999}
	for in, want := range good {
		if v, ok := jwtParseInt([]byte(in)); !ok || v != want {
			t.Errorf("%s: %d %v", in, v, ok)
		}
	}
	for _, in := range []string{"", "-1", "01", "1.5", "1.", "1e9", "1.0e1", "1000000000000000000", " 1", "1 ", "0x10"} {
		if _, ok := jwtParseInt([]byte(in)); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

// FuzzJSONScanner checks the scanner against encoding/json: anything it
// accepts is a valid JSON object without duplicate names, and every string
// value it decodes equals encoding/json's decoding.
func FuzzJSONScanner(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"alg":"HS256","typ":"JWT"}`, `{"a":[1,{"b":null}],"c":"\u00e9\ud83d\ude00"}`,
		`{"a":1,"a":2}`, `{"a":"\ud800"}`, `{"a":-1.5e-3,"b":true,"c":false}`, `[1]`, `{"a":"x\\y\"z"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m [jwtMaxMembers]jwtMember
		n, err := jwtParseObject(b, m[:])
		if err != nil {
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatalf("accepted invalid JSON %q: %v", b, err)
		}
		if len(obj) != n {
			t.Fatalf("%d members, encoding/json saw %d", n, len(obj))
		}
		for _, mem := range m[:n] {
			raw, ok := obj[string(mem.name)]
			if !ok {
				t.Fatalf("member %q not seen by encoding/json", mem.name)
			}
			if mem.kind != jwtKindString {
				continue
			}
			var want string
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("string member %q: %v", mem.name, err)
			}
			got, ok := jwtUnescape(nil, mem.value)
			if !ok {
				continue // lone surrogates: encoding/json substitutes, we refuse
			}
			if string(got) != want {
				t.Fatalf("member %q: got %q want %q", mem.name, got, want)
			}
			if len(got) > len(mem.value) {
				t.Fatal("decoded longer than raw")
			}
		}
	})
}
