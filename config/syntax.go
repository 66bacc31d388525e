package config

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/hostname"
	"github.com/gatehouse/gatehouse/signing"
)

// ValidHostname reports whether s is a DNS name (internal/hostname.Valid:
// dot-separated labels of letters, digits and hyphens, 1-63 bytes each,
// 253 bytes in all); proxyconf uses it through config.
func ValidHostname(s string) bool { return hostname.Valid(s) }

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool { return hostname.IsLoopback(strings.Trim(host, "[]")) }

// isLoopbackOrPrivate also counts private, link-local and unspecified
// addresses and single-label names: hosts no outside provider can reach.
func isLoopbackOrPrivate(host string) bool {
	if isLoopbackHost(host) || !strings.Contains(host, ".") && !strings.Contains(host, ":") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && (a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified())
}

// isLoopbackHTTP reports whether s is an http URL on a loopback host.
func isLoopbackHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "http" && isLoopbackHost(u.Hostname())
}

// domainMatch reports whether host is domain or under it.
func domainMatch(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// isToken reports whether s is an RFC 9110 token (header and cookie names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// validKeyID: 1-64 of A-Z a-z 0-9 _ - (no ':', which separates envelope fields).
func validKeyID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// isLowerAlnum: 1..maxLen of a-z 0-9.
func isLowerAlnum(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// validScope: 1-64 of A-Z a-z 0-9 : . _ -, starting with a letter or digit.
func validScope(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune(":._-", rune(c))) {
			return false
		}
	}
	return true
}

// validProviderName: 1-32 of a-z 0-9 -, starting with a letter or digit.
func validProviderName(s string) bool {
	if s == "" || len(s) > 32 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// fernetKeyProblem describes what is wrong with a Fernet key text, or
// returns "". The key itself never appears in the message.
func fernetKeyProblem(s string) string {
	if _, err := signing.ParseFernetKey(s); err != nil {
		return "not a Fernet key (url-safe base64 of 32 bytes, 44 characters with padding)"
	}
	return ""
}

// keyringProblem builds the keyring the way the server will and returns
// its complaint, or "". Called after the per-key checks passed, it guards
// against rules signing adds later. signing's errors name key ids only.
func keyringProblem(k *Keyring) string {
	if _, err := signing.NewKeyring(k.ActiveKeyID, k.Keys); err != nil {
		return strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return ""
}
