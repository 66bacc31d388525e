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
)

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
