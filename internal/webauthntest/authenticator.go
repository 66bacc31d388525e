// Package webauthntest is a software WebAuthn authenticator for tests: it
// answers the options a relying party hands navigator.credentials.create
// and .get with the JSON a browser would send back (attestation "none",
// ES256 keys, discoverable credentials), and lets a test make it
// misbehave (another origin or RP ID, a counter that goes back, no user
// verification). It must never be used outside tests.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Flags of authenticator data (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// Credential is one key pair the authenticator holds.
type Credential struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	Key        *ecdsa.PrivateKey
	SignCount  uint32
}

// Authenticator is a software authenticator. Its fields change how it
// answers; the zero value plus New's defaults behaves like a platform
// authenticator with user verification.
type Authenticator struct {
	Creds []*Credential
	// NoUV clears the user-verified flag.
	NoUV bool
	// Backup sets the backup-eligible and backup-state flags.
	Backup bool
	// CounterStep is added to a credential's counter per assertion
	// (default 1; set Freeze to keep it).
	CounterStep uint32
	Freeze      bool
}

// New returns an authenticator with user verification.
func New() *Authenticator { return &Authenticator{CounterStep: 1} }

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func dec(s string) ([]byte, error) {
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.URLEncoding.DecodeString(s)
}

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		Allow     []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Options override what an answer claims, for hostile tests.
type Options struct {
	Origin string // the client's origin (required)
	RPID   string // empty: the options' RP ID
	// Challenge, when set, replaces the options' challenge.
	Challenge []byte
}

func (a *Authenticator) flags() byte {
	f := byte(flagUP)
	if !a.NoUV {
		f |= flagUV
	}
	if a.Backup {
		f |= flagBE | flagBS
	}
	return f
}

func clientData(typ string, challenge []byte, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": enc(challenge), "origin": origin, "crossOrigin": false})
	return b
}

// Create answers creation options with a new credential.
func (a *Authenticator) Create(options []byte, o Options) ([]byte, *Credential, error) {
	var co creationOptions
	if err := json.Unmarshal(options, &co); err != nil {
		return nil, nil, err
	}
	challenge, err := dec(co.PublicKey.Challenge)
	if err != nil {
		return nil, nil, fmt.Errorf("challenge: %w", err)
	}
	if o.Challenge != nil {
		challenge = o.Challenge
	}
	handle, err := dec(co.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("user id: %w", err)
	}
	rpID := co.PublicKey.RP.ID
	for _, ex := range co.PublicKey.Exclude {
		id, _ := dec(ex.ID)
		for _, c := range a.Creds {
			if string(c.ID) == string(id) {
				return nil, nil, errors.New("webauthntest: InvalidStateError (credential excluded)")
			}
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return nil, nil, err
	}
	c := &Credential{ID: id, RPID: rpID, UserHandle: handle, Key: key}
	claimRP := rpID
	if o.RPID != "" {
		claimRP = o.RPID
	}
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256),
		XCoord:        key.X.FillBytes(make([]byte, 32)),
		YCoord:        key.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		return nil, nil, err
	}
	rpHash := sha256.Sum256([]byte(claimRP))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags()|flagAT)
	auth = binary.BigEndian.AppendUint32(auth, 0)
	auth = append(auth, make([]byte, 16)...) // AAGUID: zero for attestation none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(id)))
	auth = append(auth, id...)
	auth = append(auth, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, nil, err
	}
	out, err := json.Marshal(map[string]any{
		"id": enc(id), "rawId": enc(id), "type": "public-key", "authenticatorAttachment": "platform",
		"response": map[string]any{
			"clientDataJSON":    enc(clientData("webauthn.create", challenge, o.Origin)),
			"attestationObject": enc(att),
			"transports":        []string{"internal", "hybrid"},
		},
		"clientExtensionResults": map[string]any{},
	})
	if err != nil {
		return nil, nil, err
	}
	a.Creds = append(a.Creds, c)
	return out, c, nil
}

// Get answers request options with an assertion of the first credential
// of the RP ID that the options allow (any, when they list none).
func (a *Authenticator) Get(options []byte, o Options) ([]byte, error) {
	var ro requestOptions
	if err := json.Unmarshal(options, &ro); err != nil {
		return nil, err
	}
	challenge, err := dec(ro.PublicKey.Challenge)
	if err != nil {
		return nil, fmt.Errorf("challenge: %w", err)
	}
	if o.Challenge != nil {
		challenge = o.Challenge
	}
	var c *Credential
	for _, cand := range a.Creds {
		if cand.RPID != ro.PublicKey.RPID {
			continue
		}
		if len(ro.PublicKey.Allow) == 0 {
			c = cand
			break
		}
		for _, al := range ro.PublicKey.Allow {
			if id, _ := dec(al.ID); string(id) == string(cand.ID) {
				c = cand
			}
		}
		if c != nil {
			break
		}
	}
	if c == nil {
		return nil, errors.New("webauthntest: NotAllowedError (no credential for these options)")
	}
	return a.Assert(c, challenge, o)
}

// Assert signs an assertion with c for challenge, whatever the options.
func (a *Authenticator) Assert(c *Credential, challenge []byte, o Options) ([]byte, error) {
	if !a.Freeze {
		step := a.CounterStep
		if step == 0 {
			step = 1
		}
		c.SignCount += step
	}
	claimRP := c.RPID
	if o.RPID != "" {
		claimRP = o.RPID
	}
	rpHash := sha256.Sum256([]byte(claimRP))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags())
	auth = binary.BigEndian.AppendUint32(auth, c.SignCount)
	cd := clientData("webauthn.get", challenge, o.Origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": enc(c.ID), "rawId": enc(c.ID), "type": "public-key", "authenticatorAttachment": "platform",
		"response": map[string]any{
			"clientDataJSON":    enc(cd),
			"authenticatorData": enc(auth),
			"signature":         enc(sig),
			"userHandle":        enc(c.UserHandle),
		},
		"clientExtensionResults": map[string]any{},
	})
}
