package signing

import "bytes"

// PeekIssuer reads the "iss" claim of a compact JWS without verifying
// anything, so a caller can pick the verifier (and the keys) a token claims
// to belong to (docs/design.md "External issuers"). The answer is
// attacker-controlled: it may only select which verifier runs, never stand
// for a verified issuer.
//
// buf receives the decoded payload and, when iss is written with escapes,
// its unescaped form after the payload; PeekIssuer allocates nothing, and
// the returned slice points into buf. ok is false when the token is not
// three dot-separated segments, the payload is not strict unpadded
// base64url of one JSON object (RFC 8259, as Verify scans it), iss is
// absent, not a string or given twice, or buf is too short.
func PeekIssuer(token, buf []byte) (iss []byte, ok bool) {
	d1 := bytes.IndexByte(token, '.')
	if d1 <= 0 {
		return nil, false
	}
	rest := token[d1+1:]
	d2 := bytes.IndexByte(rest, '.')
	if d2 <= 0 || bytes.IndexByte(rest[d2+1:], '.') >= 0 {
		return nil, false
	}
	payload, ok := jwtB64Decode(buf, rest[:d2])
	if !ok {
		return nil, false
	}
	raw, escaped, found := jwtPeekMember(payload, "iss")
	if !found {
		return nil, false
	}
	if !escaped {
		return raw, true
	}
	tail := buf[len(payload):len(payload)]
	if cap(tail) < len(raw) {
		return nil, false
	}
	out, ok := jwtUnescape(tail, raw)
	if !ok {
		return nil, false
	}
	return out, true
}

// jwtPeekMember walks the object b and returns the raw content of the
// string member called name. found is false when b is not exactly one valid
// object, the member is absent or not a string, or it appears twice.
func jwtPeekMember(b []byte, name string) (raw []byte, escaped, found bool) {
	i := jwtSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false, false
	}
	i = jwtSkipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil, false, false
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false, false
		}
		end, nameEscaped, ok := jwtScanString(b, i)
		if !ok || nameEscaped {
			// Verify refuses member names with escapes too.
			return nil, false, false
		}
		isName := string(b[i+1:end-1]) == name
		i = jwtSkipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, false, false
		}
		i = jwtSkipWS(b, i+1)
		start := i
		end, esc, ok := jwtScanValue(b, i, 1)
		if !ok {
			return nil, false, false
		}
		if isName {
			if found || b[start] != '"' {
				return nil, false, false
			}
			raw, escaped, found = b[start+1:end-1], esc, true
		}
		i = jwtSkipWS(b, end)
		if i >= len(b) {
			return nil, false, false
		}
		if b[i] == '}' {
			if jwtSkipWS(b, i+1) != len(b) {
				return nil, false, false
			}
			return raw, escaped, found
		}
		if b[i] != ',' {
			return nil, false, false
		}
		i = jwtSkipWS(b, i+1)
	}
}
