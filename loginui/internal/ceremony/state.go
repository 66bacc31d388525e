package ceremony

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
)

// Kinds of ceremony.
const (
	KindRegister = "register" // a logged-in user adds a passkey
	KindSecond   = "second"   // the second login step of a known user
	KindStepUp   = "stepup"   // a step-up proof for a session
	KindLogin    = "login"    // passwordless, discoverable credential
)

// state is what Begin seals for Finish.
type state struct {
	Kind    string               `json:"k"`
	User    string               `json:"u,omitempty"` // empty for KindLogin
	Bind    string               `json:"b"`           // hex SHA-256 of the binding
	Expires int64                `json:"e"`           // unix seconds
	Session webauthn.SessionData `json:"s"`
}

func bindDigest(binding string) string {
	s := sha256.Sum256([]byte("gatehouse/webauthn-binding\x00" + binding))
	return hex.EncodeToString(s[:])
}

func (rp *RP) seal(kind, userID, binding string, sd *webauthn.SessionData) (string, error) {
	st := state{Kind: kind, User: userID, Bind: bindDigest(binding),
		Expires: rp.c.Now().Add(rp.c.Lifetime).Unix(), Session: *sd}
	b, err := json.Marshal(&st)
	if err != nil {
		return "", err
	}
	return rp.box.Seal(b)
}

// open returns the state sealed for kind, userID and binding, or ErrState.
func (rp *RP) open(v, kind, userID, binding string) (*state, error) {
	pt, err := rp.box.Open(v, MaxStateLen)
	if err != nil {
		return nil, ErrState
	}
	var st state
	if json.Unmarshal(pt, &st) != nil || st.Kind != kind || st.Session.Challenge == "" {
		return nil, ErrState
	}
	if subtle.ConstantTimeCompare([]byte(st.User), []byte(userID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(st.Bind), []byte(bindDigest(binding))) != 1 {
		return nil, ErrState
	}
	if !rp.c.Now().Before(time.Unix(st.Expires, 0)) {
		return nil, ErrState
	}
	return &st, nil
}

// spend marks the state's challenge as answered; a second answer is
// ErrReplayed. It runs before verification, so a failed answer also
// spends the ceremony (the client begins a new one).
func (rp *RP) spend(ctx context.Context, st *state) error {
	s := sha256.Sum256([]byte("gatehouse/webauthn-challenge\x00" + st.Session.Challenge))
	ttl := max(time.Unix(st.Expires, 0).Sub(rp.c.Now()), 0)
	won, err := rp.c.Markers.SetIfAbsent(ctx, "webauthn:"+hex.EncodeToString(s[:]), ttl+time.Minute)
	if err != nil {
		return err
	}
	if !won {
		return ErrReplayed
	}
	return nil
}

// accept is the start of every Finish: the state must open for kind,
// user and binding, the answer must be within bounds, and the challenge
// is spent (once; before any verification).
func (rp *RP) accept(ctx context.Context, st, kind, userID, binding string, answer []byte) (*state, error) {
	s, err := rp.open(st, kind, userID, binding)
	if err != nil {
		return nil, err
	}
	if len(answer) == 0 || len(answer) > MaxAnswerLen {
		return nil, ErrVerify
	}
	if err := rp.spend(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}
