package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"sync"
	"unsafe"
)

// fpPurpose is the HKDF purpose of the session-fingerprint key.
const fpPurpose = "session-fingerprint"

// SessionFingerprintLen is the length of a fingerprint: base64url (no
// padding) of 32 bytes.
const SessionFingerprintLen = 43

// SessionFingerprint binds a token to the account state it was issued for
// (docs/design.md "Access JWT"): a change of email or password hash changes the value
// and so kills every token that carries the old one.
//
//	sfp = base64url(HMAC-SHA256(K, frame(userID) || frame(foldedEmail) || frame(passwordHash)))
//	K   = DeriveKey(key, "session-fingerprint", 32)
//	frame(f) = 4-byte big-endian length of f || f
//
// The framing keeps field boundaries unambiguous ("ab"+"c" ≠ "a"+"bc").
// foldedEmail must already be case-folded (keystore.FoldEmail).
func SessionFingerprint(key Secret, userID, foldedEmail, passwordHash string) string {
	f := NewSessionFingerprinter(key)
	return string(f.Append(nil, userID, foldedEmail, passwordHash))
}

// AppendSessionFingerprint appends SessionFingerprint(key, ...) to dst.
func AppendSessionFingerprint(dst []byte, key Secret, userID, foldedEmail, passwordHash string) []byte {
	return NewSessionFingerprinter(key).Append(dst, userID, foldedEmail, passwordHash)
}

// SessionFingerprinter computes session fingerprints with the derived key
// prepared once and pooled HMAC instances, for the hot path: Append into a
// buffer with capacity and Match allocate nothing. Safe for concurrent use.
type SessionFingerprinter struct {
	states sync.Pool // of *fpState
}

// fpState is one pooled HMAC with the buffers it writes from and into, kept
// together so that nothing handed to the hash.Hash interface escapes per call.
type fpState struct {
	h   hash.Hash
	l   [4]byte
	sum [32]byte
	enc [SessionFingerprintLen]byte
}

// NewSessionFingerprinter derives the fingerprint key from key.
func NewSessionFingerprinter(key Secret) *SessionFingerprinter {
	k := DeriveKey(key, fpPurpose, 32)
	f := &SessionFingerprinter{}
	f.states.New = func() any { return &fpState{h: hmac.New(sha256.New, k)} }
	return f
}

func (f *SessionFingerprinter) get(userID, foldedEmail, passwordHash string) *fpState {
	st := f.states.Get().(*fpState)
	st.h.Reset()
	for _, field := range [...]string{userID, foldedEmail, passwordHash} {
		binary.BigEndian.PutUint32(st.l[:], uint32(len(field)))
		st.h.Write(st.l[:])
		st.h.Write(unsafe.Slice(unsafe.StringData(field), len(field))) // read only
	}
	st.h.Sum(st.sum[:0])
	return st
}

// Append appends the fingerprint (SessionFingerprintLen bytes) to dst.
func (f *SessionFingerprinter) Append(dst []byte, userID, foldedEmail, passwordHash string) []byte {
	st := f.get(userID, foldedEmail, passwordHash)
	dst = base64.RawURLEncoding.AppendEncode(dst, st.sum[:])
	f.states.Put(st)
	return dst
}

// Match reports in constant time whether sfp is the fingerprint of the
// given account state.
func (f *SessionFingerprinter) Match(sfp []byte, userID, foldedEmail, passwordHash string) bool {
	st := f.get(userID, foldedEmail, passwordHash)
	base64.RawURLEncoding.Encode(st.enc[:], st.sum[:])
	ok := hmac.Equal(st.enc[:], sfp)
	f.states.Put(st)
	return ok
}
