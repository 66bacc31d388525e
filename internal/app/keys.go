package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/privfile"
	"github.com/gatehouse/gatehouse/signing"
)

// accessKeys returns the access-token keys and the one that signs: the
// key tokens.access.active_kid names (signing.ActiveJWTKey; HS256 signs
// with the access_token secret, which has no kid). A kid that names no
// key is an error, never a fallback to another key.
func accessKeys(cfg *config.Config) ([]signing.JWTKey, signing.JWTKey, error) {
	alg := cfg.Tokens.Access.Algorithm
	if alg == "" || alg == "HS256" {
		keys := []signing.JWTKey{{Alg: "HS256", HMAC: cfg.Secrets.AccessToken}}
		active, err := signing.ActiveJWTKey(keys, "")
		return keys, active, err
	}
	var keys []signing.JWTKey
	var active signing.JWTKey
	kids := make([]string, 0, len(cfg.Tokens.Access.Keys))
	for kid := range cfg.Tokens.Access.Keys {
		kids = append(kids, kid)
	}
	sort.Strings(kids)
	for _, kid := range kids {
		pemBytes, err := os.ReadFile(cfg.Tokens.Access.Keys[kid])
		if err != nil {
			return nil, active, fmt.Errorf("tokens.access.keys.%s: %w", kid, err)
		}
		k, err := signing.ParseJWTKeyPEM(kid, pemBytes)
		if err != nil {
			return nil, active, fmt.Errorf("tokens.access.keys.%s: %w", kid, err)
		}
		if k.Alg != alg {
			return nil, active, fmt.Errorf("tokens.access.keys.%s: key is %s, tokens.access.algorithm is %s", kid, k.Alg, alg)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, active, fmt.Errorf("tokens.access.algorithm %s needs tokens.access.keys", alg)
	}
	active, err := signing.ActiveJWTKey(keys, cfg.Tokens.Access.ActiveKID)
	if err != nil {
		return nil, active, fmt.Errorf("tokens.access.active_kid: %w", err)
	}
	return keys, active, nil
}

// AssertionKeyFile holds the Ed25519 key that signs Gatehouse-Assertion
// JWTs, inside the data directory; generated on first use, mode 0600.
const AssertionKeyFile = "assertion-ed25519.pem"

// AssertionKey loads the assertion signing key from the data directory,
// or creates it there when it does not exist yet. Any other read error is
// returned, never answered with a new key.
func AssertionKey(cfg *config.Config) (signing.JWTKey, error) {
	path := filepath.Join(cfg.DataDir, AssertionKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		return signing.ParseJWTKeyPEM("assertion-1", b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return signing.JWTKey{}, err
	}
	k, pemBytes, err := signing.GenerateEd25519Key("assertion-1")
	if err != nil {
		return k, err
	}
	if err := privfile.Write(path, pemBytes, true); err != nil {
		return k, fmt.Errorf("write %s: %w", path, err)
	}
	return k, nil
}
