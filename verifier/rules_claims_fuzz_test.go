package verifier

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// refClaimMatch is the plain reading of a rule's claim condition
// (docs/design.md "External issuers"), written independently of
// claimPath and claimCond: walk the JSON Pointer (or the plain name) with
// strings.Split, collect the scalar texts there, compare.
func refClaimMatch(claims map[string]any, name string, values []string) bool {
	var tokens []string
	if strings.HasPrefix(name, "/") {
		for _, p := range strings.Split(name[1:], "/") {
			tokens = append(tokens, strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~"))
		}
	} else {
		tokens = []string{name}
	}
	var cur any = claims
	for _, tok := range tokens {
		switch n := cur.(type) {
		case map[string]any:
			v, ok := n[tok]
			if !ok {
				return false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || strconv.Itoa(i) != tok || i >= len(n) {
				return false
			}
			cur = n[i]
		default:
			return false
		}
	}
	text := func(v any) (string, bool) {
		switch s := v.(type) {
		case string:
			return s, true
		case json.Number:
			return s.String(), true
		case bool:
			return strconv.FormatBool(s), true
		}
		return "", false
	}
	var texts []string
	if arr, ok := cur.([]any); ok {
		for _, el := range arr {
			if s, ok := text(el); ok {
				texts = append(texts, s)
			}
		}
	} else if s, ok := text(cur); ok {
		texts = append(texts, s)
	}
	for _, s := range texts {
		for _, v := range values {
			if strings.HasPrefix(v, "~") {
				if regexp.MustCompile(v[1:]).MatchString(s) {
					return true
				}
			} else if s == v {
				return true
			}
		}
	}
	return false
}

// FuzzClaimConds: matching a compiled claims condition against arbitrary
// claims never panics and agrees with refClaimMatch.
func FuzzClaimConds(f *testing.F) {
	seeds := []struct{ claims, name, v1, v2 string }{
		{`{"sub":"repo:acme/deploy:ref:refs/heads/main"}`, "sub", "repo:acme/deploy:ref:refs/heads/main", ""},
		{`{"groups":["a","b",1,true,null,{"x":1}]}`, "groups", "b", "~^1$"},
		{`{"kubernetes.io":{"namespace":"ns","serviceaccount":{"name":"sa"}}}`, "/kubernetes.io/serviceaccount/name", "~^s", "x"},
		{`{"a/b":{"c~d":[0,"z"]}}`, "/a~1b/c~0d/1", "z", ""},
		{`{"n":1.50,"t":false}`, "n", "1.50", "1.5"},
		{`{"arr":[[1,2],[3]]}`, "/arr/0", "2", ""},
		{`{"arr":[1,2]}`, "/arr/01", "2", ""},
		{`{"":{"":"e"}}`, "//", "e", ""},
		{`{"x":null}`, "x", "null", "~.*"},
	}
	for _, s := range seeds {
		f.Add([]byte(s.claims), s.name, s.v1, s.v2)
	}
	f.Fuzz(func(t *testing.T, raw []byte, name, v1, v2 string) {
		values := config.ClaimValues{v1}
		if v2 != "" {
			values = append(values, v2)
		}
		var r rule
		err := r.compileExternalConds(config.Rule{Claims: map[string]config.ClaimValues{name: values}})
		if err != nil {
			return
		}
		var claims map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&claims) != nil || claims == nil {
			return
		}
		got := r.claims[0].match(claims)
		if want := refClaimMatch(claims, name, values); got != want {
			t.Fatalf("claims %s, %q %q: match %v, reference %v", raw, name, values, got, want)
		}
	})
}
