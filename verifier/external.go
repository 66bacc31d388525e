package verifier

import (
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/jwks"
)

// ExternalKeys is where the verifier finds an external issuer's signature
// keys; *jwks.Source implements it. Key must not block or allocate.
type ExternalKeys interface {
	Key(kid, alg string) (*jwks.Key, error)
}

// ExternalIssuer is one trusted external issuer (README "Machine-to-machine
// tokens"): its configuration, with presets and defaults applied by
// config.Load, and its key source.
type ExternalIssuer struct {
	Config config.ExternalIssuer
	Keys   ExternalKeys
}
