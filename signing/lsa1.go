package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
	"sync"
	"time"
)

// LSA1-HMAC-SHA256 signed requests (docs/design.md "Signed requests"). The
// scheme, header names and canonical request are those of litestar-auth's
// request signing, so its clients work unchanged.

// LSA1Scheme is the Authorization scheme name (matched case-sensitively).
const LSA1Scheme = "LSA1-HMAC-SHA256"

// Bounds on attacker-controlled signed-request input.
const (
	LSA1MaxAuthorizationLen = 4096
	LSA1MaxSignedHeaders    = 32
	LSA1MaxNonceLen         = 128
	LSA1MaxKeyIDLen         = 128
	// LSA1MaxQueryPairs caps the query parameters a canonical request sorts.
	LSA1MaxQueryPairs = 512
	lsaMaxHeaderName  = 64
	lsaMaxDateLen     = 64
	lsaMaxMethodLen   = 32
)

// Sentinel errors of the signed-request helpers. They never echo input.
var (
	ErrLSA1Authorization = errors.New("signing: lsa1 authorization malformed")
	ErrLSA1SignedHeaders = errors.New("signing: lsa1 signed headers invalid")
	ErrLSA1Method        = errors.New("signing: lsa1 method invalid")
	ErrLSA1Query         = errors.New("signing: lsa1 query invalid")
	ErrLSA1BodyDigest    = errors.New("signing: lsa1 body digest invalid")
	ErrLSA1Date          = errors.New("signing: lsa1 date invalid")
	ErrLSA1Nonce         = errors.New("signing: lsa1 nonce invalid")
)

// LSA1Authorization is a parsed Authorization header. KeyID and
// SignedHeaders are sub-slices of the header passed to
// ParseLSA1Authorization and valid as long as it is.
type LSA1Authorization struct {
	KeyID         []byte   // the bare key_id (Credential)
	SignedHeaders []byte   // the raw list, e.g. "host;x-auth-date;x-auth-nonce"
	Signature     [32]byte // decoded from 64 lower-case hex characters
}

// Signs reports whether the lower-case header name is in SignedHeaders.
func (a *LSA1Authorization) Signs(name string) bool {
	return lsaListHas(a.SignedHeaders, name)
}

func lsaListHas(list []byte, name string) bool {
	for len(list) > 0 {
		i := bytes.IndexByte(list, ';')
		if i < 0 {
			return string(list) == name
		}
		if string(list[:i]) == name {
			return true
		}
		list = list[i+1:]
	}
	return false
}

// ParseLSA1Authorization parses
//
//	LSA1-HMAC-SHA256 Credential=<key_id>, SignedHeaders=<h1;h2;...>, Signature=<hex>
//
// strictly: the scheme exactly as written, then one or more spaces, then
// exactly the three parameters, each exactly once, in any order, separated by
// "," with optional spaces or tabs around them; parameter names are
// case-sensitive and values contain no white space. Credential is 1-128
// characters of the base64url alphabet; Signature is exactly 64 lower-case
// hex characters; SignedHeaders is 1-32 distinct lower-case header names
// (token characters) joined by ";" and must include host, x-auth-date and
// x-auth-nonce (whether x-auth-content-sha256 is needed depends on the body
// and is the caller's check, see Signs). The header is at most 4096 bytes.
// It allocates nothing.
func ParseLSA1Authorization(h []byte) (LSA1Authorization, error) {
	var a LSA1Authorization
	if len(h) > LSA1MaxAuthorizationLen || len(h) <= len(LSA1Scheme) ||
		string(h[:len(LSA1Scheme)]) != LSA1Scheme || h[len(LSA1Scheme)] != ' ' {
		return a, ErrLSA1Authorization
	}
	rest := h[len(LSA1Scheme):]
	var seenCred, seenSH, seenSig bool
	for {
		rest = lsaTrimLeft(rest)
		end := bytes.IndexByte(rest, ',')
		param := rest
		if end >= 0 {
			param = rest[:end]
		}
		param = lsaTrimRight(param)
		eq := bytes.IndexByte(param, '=')
		if eq <= 0 {
			return LSA1Authorization{}, ErrLSA1Authorization
		}
		name, value := param[:eq], param[eq+1:]
		if len(value) == 0 || bytes.IndexAny(value, " \t") >= 0 {
			return LSA1Authorization{}, ErrLSA1Authorization
		}
		switch string(name) {
		case "Credential":
			if seenCred || len(value) > LSA1MaxKeyIDLen || !lsaIsB64URL(value) {
				return LSA1Authorization{}, ErrLSA1Authorization
			}
			seenCred, a.KeyID = true, value
		case "SignedHeaders":
			if seenSH {
				return LSA1Authorization{}, ErrLSA1Authorization
			}
			if err := lsaCheckSignedHeaders(value); err != nil {
				return LSA1Authorization{}, err
			}
			if !lsaListHas(value, "host") || !lsaListHas(value, "x-auth-date") || !lsaListHas(value, "x-auth-nonce") {
				return LSA1Authorization{}, ErrLSA1SignedHeaders
			}
			seenSH, a.SignedHeaders = true, value
		case "Signature":
			if seenSig || len(value) != 64 || !jwtIsLowerHex(value, 64) {
				return LSA1Authorization{}, ErrLSA1Authorization
			}
			for i := range a.Signature {
				a.Signature[i] = byte(jwtHexVal(value[2*i])<<4 | jwtHexVal(value[2*i+1]))
			}
			seenSig = true
		default:
			return LSA1Authorization{}, ErrLSA1Authorization
		}
		if end < 0 {
			break
		}
		rest = rest[end+1:]
	}
	if !seenCred || !seenSH || !seenSig {
		return LSA1Authorization{}, ErrLSA1Authorization
	}
	return a, nil
}

func lsaTrimLeft(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func lsaTrimRight(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func lsaIsB64URL(b []byte) bool {
	for _, c := range b {
		if jwtB64[c] == 0xff {
			return false
		}
	}
	return true
}

// lsaCheckSignedHeaders validates a raw signed-header list: 1-32 distinct
// names of 1-64 lower-case token characters joined by ";".
func lsaCheckSignedHeaders(list []byte) error {
	if len(list) == 0 {
		return ErrLSA1SignedHeaders
	}
	var names [LSA1MaxSignedHeaders][]byte
	n := 0
	for rest := list; ; {
		i := bytes.IndexByte(rest, ';')
		name := rest
		if i >= 0 {
			name = rest[:i]
		}
		if len(name) == 0 || len(name) > lsaMaxHeaderName || n == LSA1MaxSignedHeaders {
			return ErrLSA1SignedHeaders
		}
		for _, c := range name {
			if !lsaLowerTchar(c) {
				return ErrLSA1SignedHeaders
			}
		}
		for k := 0; k < n; k++ {
			if bytes.Equal(names[k], name) {
				return ErrLSA1SignedHeaders
			}
		}
		names[n] = name
		n++
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
	}
}

// lsaLowerTchar reports an RFC 9110 token character other than an upper-case
// letter.
func lsaLowerTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// LSA1Signature returns HMAC-SHA256(secret, canonical). The secret is the
// key's secret part as UTF-8 (the text after the "." of the raw key).
func LSA1Signature(secret []byte, canonical []byte) [32]byte {
	m := hmac.New(sha256.New, secret)
	m.Write(canonical)
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// LSA1Verify reports in constant time whether sig is the signature of
// canonical under secret.
func LSA1Verify(secret []byte, canonical []byte, sig [32]byte) bool {
	want := LSA1Signature(secret, canonical)
	return hmac.Equal(want[:], sig[:])
}

// LSA1Key checks signatures under one secret like LSA1Verify, with pooled
// HMAC states keyed once (LSA1Verify keys a new HMAC per call: two SHA-256
// states and the pads), so a check allocates nothing. Safe for concurrent
// use.
type LSA1Key struct{ macs sync.Pool }

// lsaMAC is one pooled HMAC state and the space its sum is written to (a
// local array would escape through hash.Hash.Sum).
type lsaMAC struct {
	h   hash.Hash
	sum [32]byte
}

// NewLSA1Key keeps a private copy of secret.
func NewLSA1Key(secret []byte) *LSA1Key {
	k := bytes.Clone(secret)
	return &LSA1Key{macs: sync.Pool{New: func() any { return &lsaMAC{h: hmac.New(sha256.New, k)} }}}
}

// Verify reports in constant time whether sig is the signature of
// canonical under the key's secret.
func (k *LSA1Key) Verify(canonical []byte, sig [32]byte) bool {
	m := k.macs.Get().(*lsaMAC)
	m.h.Reset()
	m.h.Write(canonical)
	m.h.Sum(m.sum[:0])
	ok := hmac.Equal(m.sum[:], sig[:])
	k.macs.Put(m)
	return ok
}

// ParseLSA1Date parses an X-Auth-Date value: RFC 3339 with a zone ("Z" or
// ±hh:mm), fractional seconds allowed, at most 64 bytes. Leading and trailing
// spaces are ignored, as in the canonical request.
func ParseLSA1Date(b []byte) (time.Time, error) {
	b = lsaTrimRight(lsaTrimLeft(b))
	if len(b) == 0 || len(b) > lsaMaxDateLen {
		return time.Time{}, ErrLSA1Date
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, ErrLSA1Date
	}
	return t, nil
}

// ValidLSA1Nonce reports whether nonce (already normalised with
// AppendLSA1HeaderValue, as it appears in the canonical request) is 1-128
// visible ASCII characters.
func ValidLSA1Nonce(nonce []byte) bool {
	if len(nonce) == 0 || len(nonce) > LSA1MaxNonceLen {
		return false
	}
	for _, c := range nonce {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}
