package keystore

import (
	"strings"
	"unicode/utf8"
)

// Limits on account data, shared by every writer (portal, CLI, admin
// listener) so a record one of them accepts is never one another refuses.
const (
	MaxEmailLen    = 254
	MaxRoles       = 32
	MaxRoleNameLen = 64
	// MaxIDLen bounds every id a back-end uses in a key (user, API key,
	// session owner, folded email, provider plus subject of an OAuth
	// link); it keeps bbolt keys under their limit and Redis keys small.
	MaxIDLen = 1024
)

// ValidID reports whether id can name a record: 1 to MaxIDLen bytes.
// Both back-ends refuse a write with an id it rejects and answer a read
// with one as not found.
func ValidID(id string) bool { return id != "" && len(id) <= MaxIDLen }

// ValidOAuthLinkKey reports whether provider and subject can name an
// OAuth link: both non-empty, the provider without NUL (the back-ends
// join the two with NUL, so the split stays unambiguous), together at
// most MaxIDLen bytes.
func ValidOAuthLinkKey(provider, subject string) bool {
	return provider != "" && subject != "" && strings.IndexByte(provider, 0) < 0 && len(provider)+len(subject) <= MaxIDLen
}

// ValidEmail is a deliberately small check of an address as an identifier:
// one '@' with text on both sides, valid UTF-8, at most MaxEmailLen bytes,
// and no white space, control characters or characters that matter in
// mail headers or HTTP header values (<, >, ", ',', ';', '\').
func ValidEmail(s string) bool {
	if len(s) < 3 || len(s) > MaxEmailLen || !utf8.ValidString(s) {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at < 1 || at != strings.LastIndexByte(s, '@') || at == len(s)-1 {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';' || c == '\\' || (c >= 0x80 && c <= 0x9f) {
			return false
		}
	}
	return true
}

// ValidRoleName reports whether s is a role (or scope) name: 1 to
// MaxRoleNameLen of A-Z a-z 0-9 _ - . : — no comma, so Remote-Groups and
// Remote-Scopes stay unambiguous.
func ValidRoleName(s string) bool {
	if s == "" || len(s) > MaxRoleNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}
