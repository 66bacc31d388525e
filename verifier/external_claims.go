package verifier

import (
	"encoding/json"
	"errors"
	"strings"
)

// claimPath names one claim of an external token (docs/design.md
// "External issuers"): a plain name is a top-level member; a name that
// starts with '/' is a JSON Pointer (RFC 6901) into the claims, such as
// "/kubernetes.io/serviceaccount/name". It is compiled once (config load
// or rule compilation), so resolving it on the hot path allocates nothing.
type claimPath struct {
	name   string   // as written, for messages
	tokens []string // reference tokens, unescaped; nil: not set
}

var errClaimPath = errors.New("verifier: bad claim name (a plain name, or a JSON Pointer starting with '/')")

func compileClaimPath(name string) (claimPath, error) {
	if name == "" {
		return claimPath{}, errClaimPath
	}
	if name[0] != '/' {
		return claimPath{name: name, tokens: []string{name}}, nil
	}
	parts := strings.Split(name[1:], "/")
	for i, p := range parts {
		// RFC 6901 section 4: "~1" is '/', then "~0" is '~'; any other '~'
		// sequence is an error.
		for j := 0; j < len(p); j++ {
			if p[j] == '~' && (j+1 == len(p) || (p[j+1] != '0' && p[j+1] != '1')) {
				return claimPath{}, errClaimPath
			}
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return claimPath{name: name, tokens: parts}, nil
}

func (p claimPath) set() bool { return p.tokens != nil }

// resolve walks the claims (as encoding/json decodes them with UseNumber:
// map[string]any, []any, string, json.Number, bool, nil) and returns the
// value at p. An array is indexed by a decimal token without leading
// zeros. It allocates nothing.
func (p claimPath) resolve(claims map[string]any) (any, bool) {
	if p.tokens == nil {
		return nil, false
	}
	var cur any = claims
	for _, t := range p.tokens {
		switch n := cur.(type) {
		case map[string]any:
			v, ok := n[t]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, ok := arrayIndex(t)
			if !ok || i >= len(n) {
				return nil, false
			}
			cur = n[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func arrayIndex(t string) (int, bool) {
	if t == "" || len(t) > 6 || (len(t) > 1 && t[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
		n = n*10 + int(t[i]-'0')
	}
	return n, true
}

// scalarText is a claim value as rules compare it: a string as is, a
// number or a boolean by its JSON text. Objects, arrays and null have none.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// Bounds on mapped identity values; a token beyond them is refused.
const (
	maxMappedValue = 256  // subject, name, email, one group or scope
	maxMappedList  = 4096 // Remote-Groups or Remote-Scopes, joined
)

// mappedString reads a string claim for an identity header: absent is "",
// ok; any other type, a value over maxMappedValue or one that is not
// header-safe refuses the token.
func mappedString(claims map[string]any, p claimPath) (string, bool) {
	v, found := p.resolve(claims)
	if !found {
		return "", true
	}
	s, isString := v.(string)
	return s, isString && len(s) <= maxMappedValue && headerSafe(s)
}

// mappedList reads a groups or scopes claim: a string (split on spaces when
// spaceSeparated, else one element) or an array of strings. It returns the
// elements joined with ',' (the Remote-Groups and Remote-Scopes form) and
// the elements. An element that is empty, holds ',' or a space, is not
// header-safe or too long, or a list over maxMappedList refuses the token.
func mappedList(claims map[string]any, p claimPath, spaceSeparated bool) (string, []string, bool) {
	v, found := p.resolve(claims)
	if !found {
		return "", nil, true
	}
	var elems []string
	switch x := v.(type) {
	case string:
		if spaceSeparated {
			elems = strings.Fields(x)
		} else {
			elems = []string{x}
		}
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return "", nil, false
			}
			elems = append(elems, s)
		}
	default:
		return "", nil, false
	}
	total := 0
	for _, e := range elems {
		total += len(e) + 1
		if e == "" || len(e) > maxMappedValue || !headerSafe(e) || strings.ContainsAny(e, ", ") {
			return "", nil, false
		}
	}
	if total > maxMappedList {
		return "", nil, false
	}
	return strings.Join(elems, ","), elems, true
}
