package signing

import (
	"crypto/subtle"
	"fmt"
)

const redacted = "[REDACTED]"

// Secret is key material that never prints. The zero-size func array makes
// Secret incomparable with ==, so equality must go through Equal, which is
// constant-time.
type Secret struct {
	_ [0]func()
	b []byte
}

// NewSecret wraps b (not copied; the caller must not modify it afterwards).
func NewSecret(b []byte) Secret { return Secret{b: b} }

// Bytes returns the key material. Never log or echo it.
func (s Secret) Bytes() []byte { return s.b }

// Len is the length in bytes.
func (s Secret) Len() int { return len(s.b) }

// IsZero reports whether no material is set.
func (s Secret) IsZero() bool { return len(s.b) == 0 }

// Equal compares in constant time.
func (s Secret) Equal(o Secret) bool { return subtle.ConstantTimeCompare(s.b, o.b) == 1 }

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (Secret) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(redacted)) }
