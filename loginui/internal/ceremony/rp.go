package ceremony

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// Defaults and bounds.
const (
	DefaultLifetime = 5 * time.Minute
	// MaxPerUser bounds a user's passkeys.
	MaxPerUser = 20
	// MaxStateLen bounds a state value from the client.
	MaxStateLen = 16 << 10
	// MaxAnswerLen bounds a credential answer from the client.
	MaxAnswerLen = 64 << 10
)

// Config configures an RP.
type Config struct {
	RPID    string   // the cookie domain, or the portal's host
	RPName  string   // shown by the authenticator; default "gatehouse"
	Origins []string // the portal's origin and configured extra origins
	// Lifetime of a ceremony (Begin to Finish); default DefaultLifetime.
	Lifetime time.Duration
	// StateKey seals ceremony states, HandleKey derives user handles; 32
	// bytes each, independent (signing.DeriveKey with distinct purposes).
	StateKey, HandleKey []byte
	Passkeys            keystore.Passkeys
	Markers             keystore.Markers
	Now                 func() time.Time
}

// RP is the relying party. It is safe for concurrent use.
type RP struct {
	c   Config
	wa  *webauthn.WebAuthn
	box *signing.SealBox
}

// New checks c and builds the relying party.
func New(c Config) (*RP, error) {
	if c.Passkeys == nil || c.Markers == nil || len(c.HandleKey) != 32 {
		return nil, errors.New("ceremony: Passkeys, Markers and a 32-byte HandleKey are required")
	}
	if c.RPName == "" {
		c.RPName = "gatehouse"
	}
	if c.Lifetime <= 0 {
		c.Lifetime = DefaultLifetime
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	box, err := signing.NewSealBox(c.StateKey, "gatehouse/webauthn-ceremony/v1")
	if err != nil {
		return nil, err
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  c.RPID,
		RPDisplayName:         c.RPName,
		RPOrigins:             c.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationPreferred,
		},
		// Expiry is checked here against the injected clock (state.go);
		// go-webauthn's own check would read the wall clock.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: c.Lifetime, TimeoutUVD: c.Lifetime},
			Registration: webauthn.TimeoutConfig{Timeout: c.Lifetime, TimeoutUVD: c.Lifetime},
		},
	})
	if err != nil {
		return nil, err
	}
	return &RP{c: c, wa: wa, box: box}, nil
}

// UserHandle is the WebAuthn user.id of a gatehouse user: an HMAC of the
// user id, so an authenticator never holds the id or an email.
func (rp *RP) UserHandle(userID string) []byte {
	m := hmac.New(sha256.New, rp.c.HandleKey)
	m.Write([]byte("gatehouse/webauthn-user-handle\x00"))
	m.Write([]byte(userID))
	return m.Sum(nil)
}

// waUser is a gatehouse user as go-webauthn sees it.
type waUser struct {
	handle        []byte
	name, display string
	creds         []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.handle }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.display }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (rp *RP) user(u *keystore.User, pks []*keystore.Passkey) *waUser {
	wu := &waUser{handle: rp.UserHandle(u.ID), name: u.Email, display: u.DisplayName}
	if wu.display == "" {
		wu.display = u.Email
	}
	for _, p := range pks {
		wu.creds = append(wu.creds, credential(p))
	}
	return wu
}

// credential maps a stored passkey to go-webauthn's record.
func credential(p *keystore.Passkey) webauthn.Credential {
	c := webauthn.Credential{
		ID:              p.CredentialID,
		PublicKey:       p.PublicKey,
		AttestationType: p.AttestationType,
		Flags: webauthn.CredentialFlags{
			UserPresent:    true,
			UserVerified:   p.UserVerified,
			BackupEligible: p.BackupEligible,
			BackupState:    p.BackupState,
		},
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount},
	}
	for _, t := range p.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}
