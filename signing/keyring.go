package signing

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Envelope format for secrets at rest (docs/design.md "Envelopes"):
//
//	fernet:v1:<key_id>:<fernet token>
//
// key_id is 1..64 characters of [A-Za-z0-9_-].
const (
	keyringEnvelopePrefix = "fernet:v1:"
	keyringMaxKeyIDLen    = 64
	// KeyringMaxEnvelopeLen bounds the envelope text Open will parse.
	KeyringMaxEnvelopeLen = len(keyringEnvelopePrefix) + keyringMaxKeyIDLen + 1 + FernetMaxTokenLen
)

// Keyring errors. None of them carries an envelope, a token or key material.
var (
	ErrKeyringConfig     = errors.New("signing: invalid keyring")
	ErrUnknownKeyID      = errors.New("signing: envelope key id is not in the keyring")
	ErrMalformedEnvelope = errors.New("signing: malformed envelope")
	ErrEnvelopeInvalid   = errors.New("signing: envelope failed authentication")
)

// Keyring holds the Fernet keys for secrets at rest: writes use the active
// key, reads accept any configured key. A Keyring is immutable after
// NewKeyring and safe for concurrent use; a reload builds a new one.
type Keyring struct {
	active string
	keys   map[string]FernetKey
	ids    []string // sorted
}

// NewKeyring builds a keyring from key ids to Fernet keys in text form
// (url-safe base64 of 32 bytes). It checks that every id is 1..64 characters
// of [A-Za-z0-9_-], that every key parses and that activeKeyID is one of
// them, and reports every problem at once, joined, each wrapping
// ErrKeyringConfig. Problems name the key id, never the key.
func NewKeyring(activeKeyID string, keys map[string]string) (*Keyring, error) {
	var problems []error
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	r := &Keyring{active: activeKeyID, keys: make(map[string]FernetKey, len(keys))}
	if len(keys) == 0 {
		problems = append(problems, fmt.Errorf("%w: no keys", ErrKeyringConfig))
	}
	for _, id := range ids {
		if !keyringValidID(id) {
			// An invalid id may be anything, even a misplaced key: do not echo it.
			problems = append(problems, fmt.Errorf("%w: a key id is not 1..64 characters of [A-Za-z0-9_-]", ErrKeyringConfig))
			continue
		}
		k, err := ParseFernetKey(keys[id])
		if err != nil {
			problems = append(problems, fmt.Errorf("%w: key %q: not url-safe base64 of 32 bytes", ErrKeyringConfig, id))
			continue
		}
		r.keys[id] = k
		r.ids = append(r.ids, id)
	}
	switch {
	case activeKeyID == "":
		problems = append(problems, fmt.Errorf("%w: active key id is empty", ErrKeyringConfig))
	case !keyringValidID(activeKeyID):
		problems = append(problems, fmt.Errorf("%w: active key id is not 1..64 characters of [A-Za-z0-9_-]", ErrKeyringConfig))
	default:
		if _, ok := keys[activeKeyID]; !ok {
			problems = append(problems, fmt.Errorf("%w: active key id %q is not among the keys", ErrKeyringConfig, activeKeyID))
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return r, nil
}

// ActiveKeyID is the id new envelopes are sealed under.
func (r *Keyring) ActiveKeyID() string { return r.active }

// KeyIDs returns the configured key ids, sorted. The slice is a copy.
func (r *Keyring) KeyIDs() []string { return slices.Clone(r.ids) }

// Has reports whether id is configured.
func (r *Keyring) Has(id string) bool {
	_, ok := r.keys[id]
	return ok
}

// Seal encrypts plaintext under the active key and returns the envelope.
func (r *Keyring) Seal(plaintext []byte) (string, error) {
	tok, err := FernetEncrypt(r.keys[r.active], plaintext, time.Now(), nil)
	if err != nil {
		return "", err
	}
	return keyringEnvelopePrefix + r.active + ":" + tok, nil
}

// Open decrypts an envelope sealed under any configured key. It returns
// ErrMalformedEnvelope when the text is not an envelope, ErrUnknownKeyID when
// its key id is not configured, and ErrEnvelopeInvalid when it fails
// authentication. The error never contains the envelope.
func (r *Keyring) Open(envelope string) ([]byte, error) {
	id, tok, err := keyringSplit(envelope)
	if err != nil {
		return nil, err
	}
	k, ok := r.keys[id]
	if !ok {
		return nil, ErrUnknownKeyID
	}
	pt, err := FernetDecrypt(k, tok, 0, time.Time{})
	switch {
	case err == nil:
		return pt, nil
	case errors.Is(err, ErrFernetMalformed):
		return nil, ErrMalformedEnvelope
	default:
		return nil, ErrEnvelopeInvalid
	}
}

// KeyIDOf returns the key id an envelope names, without checking that it is
// configured or that the token is authentic (for `keys status`, which must
// also count rows under removed ids). A text that is not an envelope is
// ErrMalformedEnvelope.
func (r *Keyring) KeyIDOf(envelope string) (string, error) {
	id, _, err := keyringSplit(envelope)
	return id, err
}

// Reseal opens envelope and, when it is not already under the active key,
// seals its plaintext under the active key. changed reports whether the
// returned envelope differs from the input; an envelope already under the
// active key is authenticated and returned unchanged. Errors are those of
// Open.
func (r *Keyring) Reseal(envelope string) (string, bool, error) {
	id, _, err := keyringSplit(envelope)
	if err != nil {
		return "", false, err
	}
	pt, err := r.Open(envelope)
	if err != nil {
		return "", false, err
	}
	if id == r.active {
		return envelope, false, nil
	}
	out, err := r.Seal(pt)
	if err != nil {
		return "", false, err
	}
	return out, true, nil
}

// keyringSplit parses "fernet:v1:<id>:<token>" without judging the token
// beyond its alphabet.
func keyringSplit(envelope string) (id, token string, err error) {
	if len(envelope) > KeyringMaxEnvelopeLen {
		return "", "", ErrMalformedEnvelope
	}
	rest, ok := strings.CutPrefix(envelope, keyringEnvelopePrefix)
	if !ok {
		return "", "", ErrMalformedEnvelope
	}
	id, token, ok = strings.Cut(rest, ":")
	if !ok || !keyringValidID(id) || token == "" || !fernetIsB64URL(token) {
		return "", "", ErrMalformedEnvelope
	}
	return id, token, nil
}

func keyringValidID(id string) bool {
	if id == "" || len(id) > keyringMaxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
