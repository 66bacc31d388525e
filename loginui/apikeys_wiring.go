package loginui

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/loginui/apikeys"
	"github.com/gatehouse/gatehouse/signing"
)

// API keys are the loginui/apikeys feature; the core keeps the rule that
// API-key credentials never reach account routes, and the reload hook.

// initAPIKeys builds the API-key feature (disabled: its routes answer as
// unknown ones).
func (p *Portal) initAPIKeys() error {
	k, err := apikeys.New(p.o.APIKeyConfig, p.o.APIKeys)
	if err != nil {
		return err
	}
	p.keys = k
	p.features = append(p.features, k)
	return nil
}

// ReloadAPIKeySigningKeyring swaps the keyring that seals the signing
// secrets of new signing_required keys (after `gatehouse keys rotate` and
// SIGHUP), so they are written under the new active key. Refused for a nil
// keyring or when signing keys were not enabled at start.
func (p *Portal) ReloadAPIKeySigningKeyring(k *signing.Keyring) error {
	if err := p.keys.ReloadSigningKeyring(k); err != nil {
		return err
	}
	p.accounts.SetSigningKeyring(k)
	return nil
}

// presentsAPIKey reports whether the request carries an API-key credential
// (bearer key of our prefix, X-API-Key, or a signed request). Such callers
// may never manage keys or reach password-session routes, whatever else the
// request carries.
func (p *Portal) presentsAPIKey(r *http.Request) bool {
	if len(r.Header.Values("X-API-Key")) > 0 {
		return true
	}
	for _, v := range r.Header.Values("Authorization") {
		v = strings.TrimSpace(v)
		if len(v) >= len("LSA1-HMAC-SHA256") && strings.EqualFold(v[:len("LSA1-HMAC-SHA256")], "LSA1-HMAC-SHA256") {
			return true
		}
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok {
			if strings.HasPrefix(strings.TrimSpace(tok), p.keys.Prefix()+"_") {
				return true
			}
		}
	}
	return false
}
