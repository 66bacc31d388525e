package serve

import (
	"errors"
	"io"
	"reflect"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// What a reload changes: the access rules and the keyrings. Everything
// else (listeners, secrets, stores, features) needs a restart.

// errRestartExternalJWT refuses a reload whose external_jwt differs from
// the running one: the key sources and their refreshers are built once at
// start, and rules naming issuers must not be swapped in against issuers
// that are not the ones running. The whole reload is refused, not only
// that section (all or nothing).
var errRestartExternalJWT = errors.New("serve: external_jwt differs from the running configuration; restart to change external_jwt")

// reloadPlan is every new piece a reload puts in force, all built before
// any is swapped in.
type reloadPlan struct {
	cfg   *config.Config
	rules *verifier.Rules
	rings map[string]*signing.Keyring // for the admin operations
	// The keyrings to swap into the verifier and the portal; nil: keep
	// the running one (the feature was off at start, or the new config
	// has no such ring).
	signing *signing.Keyring
	totp    *signing.Keyring
	oauth   *signing.Keyring
}

// reload re-reads the config on SIGHUP. It is all or nothing: an invalid
// config, a keyring that does not build or rules that do not compile
// leave everything running as it was.
func (s *Server) reload() {
	p, err := s.prepareReload()
	if err != nil {
		s.log.Error().Err(err).Msg("reload refused; keeping the running configuration")
		return
	}
	s.apply(p)
	s.log.Info().Int("rules", len(p.cfg.Rules)).Msg("reloaded access rules and keyrings")
}

// prepareReload loads, validates and builds the new configuration's
// rules and keyrings without touching the running server.
func (s *Server) prepareReload() (*reloadPlan, error) {
	cfg, err := s.reloadConfig()
	if err != nil {
		return nil, err
	}
	if err := app.Validate(cfg, io.Discard); err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(cfg.ExternalJWT, s.cfg.ExternalJWT) {
		return nil, errRestartExternalJWT
	}
	cr, err := app.BuildCrypto(cfg)
	if err != nil {
		return nil, err
	}
	rules, err := verifier.CompileRules(cfg.Rules, cfg.DefaultPolicy)
	if err != nil {
		return nil, err
	}
	p := &reloadPlan{cfg: cfg, rules: rules, rings: cr.Keyrings}
	// Only rings of features that were on at start are swapped: the
	// verifier and the portal refuse the others (restart to enable).
	if signingRing(s.cfg, s.core) != nil {
		p.signing = cr.Keyrings[keystore.RingAPIKeySigning]
	}
	if s.core.Keyrings[keystore.RingTOTPSecrets] != nil {
		p.totp = cr.Keyrings[keystore.RingTOTPSecrets]
	}
	if s.cfg.OAuth.Enabled && s.core.Keyrings[keystore.RingOAuthTokens] != nil {
		p.oauth = cr.Keyrings[keystore.RingOAuthTokens]
	}
	return p, nil
}

// reloadConfig reads the config as the server was started with it (the
// same file, or the defaults) on the running data directory; in
// development it fills missing secrets from the data directory.
func (s *Server) reloadConfig() (*config.Config, error) {
	var cfg *config.Config
	if path := s.opts.ConfigPath; path != "" {
		c, err := config.Load(path, s.opts.Getenv)
		if err != nil {
			return nil, err
		}
		cfg = c
	} else {
		cfg = config.FromDefaults(s.opts.Getenv)
	}
	cfg.DataDir = s.cfg.DataDir
	if cfg.IsProduction() {
		return cfg, nil
	}
	if _, err := config.EnsureDataDir(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// apply swaps the prepared pieces in. The swap methods refuse only a nil
// keyring and a keyring for a feature that was off at start, and
// prepareReload hands them neither; an error here is a bug, logged as
// such.
func (s *Server) apply(p *reloadPlan) {
	s.ver.SetRules(p.rules)
	if p.signing != nil {
		s.swapped("verifier api_key_signing", s.ver.ReloadKeyring(p.signing))
		s.swapped("portal api_key_signing", s.portal.ReloadAPIKeySigningKeyring(p.signing))
	}
	if p.totp != nil {
		s.swapped("portal totp_secrets", s.portal.ReloadTOTPKeyring(p.totp))
	}
	if p.oauth != nil {
		s.swapped("portal oauth_tokens", s.portal.ReloadOAuthKeyring(p.oauth))
	}
	s.core.Ops.SetKeyrings(p.rings)
	s.core.Ops.AccountService().SetSigningKeyring(p.rings[keystore.RingAPIKeySigning])
}

func (s *Server) swapped(what string, err error) {
	if err != nil {
		s.log.Error().Err(err).Str("keyring", what).Msg("reload: keyring swap refused after preparation (bug)")
	}
}
