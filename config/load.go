package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/signing"
)

// MaxConfigBytes caps the size of a configuration file.
const MaxConfigBytes = 1 << 20

// maxSecretFileBytes caps a file named by a *_file key.
const maxSecretFileBytes = 64 << 10

// EnvDataDir overrides data_dir (docs/design.md "Running").
const EnvDataDir = "GATEHOUSE_DATA_DIR"

// ErrTooLarge is returned for a configuration over MaxConfigBytes.
var ErrTooLarge = errors.New("config: file larger than 1 MiB")

// Load reads the YAML file at path over Default(), strictly (an unknown
// key is an error naming its line), then resolves every secret source:
// for each secret the environment variable wins over NAME_file, which wins
// over the inline value. Relative *_file paths and access-token key paths
// are relative to the file's directory. env looks up environment
// variables (os.Getenv in main; nil means none). GATEHOUSE_DATA_DIR
// overrides data_dir.
//
// Load fails only when the file cannot be read or parsed. Problems with
// secret sources (an unreadable file, a secret given both inline and as
// _file) are kept in the Config and reported by Validate with everything
// else.
func Load(path string, env func(string) string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	cfg, err := LoadBytes(data, filepath.Dir(path), env)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return cfg, nil
}

// LoadBytes is Load on the file's content; baseDir anchors relative paths.
func LoadBytes(data []byte, baseDir string, env func(string) string) (*Config, error) {
	if len(data) > MaxConfigBytes {
		return nil, ErrTooLarge
	}
	cfg := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %s", scrubYAMLError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("config: more than one YAML document")
	}
	var explicit struct {
		Shared struct {
			AllowInMemory *bool `yaml:"allow_in_memory"`
		} `yaml:"shared"`
		ExternalJWT struct {
			Issuers []writtenIssuer `yaml:"issuers"`
		} `yaml:"external_jwt"`
	}
	if err := yaml.Unmarshal(data, &explicit); err != nil {
		return nil, fmt.Errorf("config: %s", scrubYAMLError(err))
	}
	if explicit.Shared.AllowInMemory == nil && cfg.Mode == ModeProduction {
		// The in-memory store is accepted in production only when the
		// file says so (docs/design.md "Running"); the default of true is for development.
		cfg.Shared.AllowInMemory = false
	}
	cfg.applyDerivedDefaults(explicit.ExternalJWT.Issuers)
	resolveSources(cfg, baseDir, env)
	return cfg, nil
}

// FromDefaults is the zero-config path: Default() with the environment
// applied (GATEHOUSE_DATA_DIR and GATEHOUSE_SECRETS_<ROLE>).
func FromDefaults(env func(string) string) *Config {
	cfg := Default()
	resolveSources(cfg, ".", env)
	return cfg
}

// backticked matches the values yaml.v3 quotes in its type errors.
var backticked = regexp.MustCompile("`[^`]*`")

// scrubYAMLError drops the quoted values from a yaml error: a secret put
// under the wrong key must not end up in an error message.
func scrubYAMLError(err error) string {
	return backticked.ReplaceAllString(err.Error(), "(value hidden)")
}

// applyDerivedDefaults fills defaults that depend on other keys; written
// says which keys of each external_jwt issuer the file writes out.
func (c *Config) applyDerivedDefaults(written []writtenIssuer) {
	c.applyExternalJWTDefaults(written)
	for i := range c.OAuth.Providers {
		p := &c.OAuth.Providers[i]
		if p.Kind == "" {
			switch p.Name {
			case ProviderGitHub, ProviderGoogle:
				p.Kind = p.Name
			default:
				p.Kind = ProviderOIDC
			}
		}
		if p.DisplayName == "" {
			p.DisplayName = p.Name
		}
		if len(p.Scopes) == 0 {
			switch p.Kind {
			case ProviderGitHub:
				p.Scopes = []string{"read:user", "user:email"}
			case ProviderOIDC, ProviderGoogle:
				p.Scopes = []string{"openid", "email", "profile"}
			}
		}
	}
}

// EnvName is the environment variable for a secret at the given YAML
// path segments: EnvName("secrets", "access_token") is
// GATEHOUSE_SECRETS_ACCESS_TOKEN. '-' and '.' become '_'.
func EnvName(parts ...string) string {
	s := strings.ToUpper("GATEHOUSE_" + strings.Join(parts, "_"))
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, s)
}

type resolver struct {
	cfg     *Config
	baseDir string
	env     func(string) string
}

func resolveSources(cfg *Config, baseDir string, env func(string) string) {
	if env == nil {
		env = func(string) string { return "" }
	}
	r := &resolver{cfg: cfg, baseDir: baseDir, env: env}
	if v := env(EnvDataDir); v != "" {
		cfg.DataDir = v
		cfg.origin("data_dir", "env "+EnvDataDir)
	}
	for _, role := range SecretRoles {
		p := cfg.Secrets.ptr(role)
		if v, ok := r.pick("secrets."+role, EnvName("secrets", role), cfg.Secrets.files[role], !p.IsZero()); ok {
			*p = signing.NewSecret([]byte(v))
		}
	}
	for _, name := range KeyringNames {
		r.keyring(name, cfg.Keyrings.Get(name))
	}
	for _, sec := range []struct {
		name string
		rd   *Redis
	}{{"state", &cfg.State.Redis}, {"shared", &cfg.Shared.Redis}} {
		r.redis(sec.name+".redis", sec.rd)
	}
	for i := range cfg.OAuth.Providers {
		p := &cfg.OAuth.Providers[i]
		path := fmt.Sprintf("oauth.providers[%d].client_secret", i)
		if v, ok := r.pick(path, EnvName("oauth", "providers", p.Name, "client_secret"), p.ClientSecretFile, !p.ClientSecret.IsZero()); ok {
			p.ClientSecret = signing.NewSecret([]byte(v))
		}
	}
	if v, ok := r.pick("email.webhook.secret", EnvName("email", "webhook", "secret"), cfg.Email.Webhook.SecretFile, !cfg.Email.Webhook.Secret.IsZero()); ok {
		cfg.Email.Webhook.Secret = SecretText{signing.NewSecret([]byte(v))}
	}
	if v, ok := r.pick("email.smtp.password", EnvName("email", "smtp", "password"), cfg.Email.SMTP.PasswordFile, !cfg.Email.SMTP.Password.IsZero()); ok {
		cfg.Email.SMTP.Password = SecretText{signing.NewSecret([]byte(v))}
	}
	for kid, path := range cfg.Tokens.Access.Keys {
		if path != "" && !filepath.IsAbs(path) {
			cfg.Tokens.Access.Keys[kid] = filepath.Join(baseDir, path)
		}
	}
}

// redis resolves the URL and the passwords of one Redis section (path is
// "state.redis" or "shared.redis") and anchors the TLS file paths. The
// passwords of a sentinel or cluster block are looked up only when the
// block is present, so the environment never adds a topology.
func (r *resolver) redis(path string, rd *Redis) {
	env := func(parts ...string) string { return EnvName(append([]string{path}, parts...)...) }
	if v, ok := r.pick(path+".url", env("url"), rd.URLFile, rd.URL != ""); ok {
		rd.URL = v
	}
	secret := func(sub string, s *SecretText, file string) {
		p := path + "." + sub
		if v, ok := r.pick(p, EnvName(p), file, !s.IsZero()); ok {
			*s = SecretText{signing.NewSecret([]byte(v))}
		}
	}
	if sn := rd.Sentinel; sn != nil {
		secret("sentinel.password", &sn.Password, sn.PasswordFile)
		secret("sentinel.sentinel_password", &sn.SentinelPassword, sn.SentinelPasswordFile)
	}
	if cl := rd.Cluster; cl != nil {
		secret("cluster.password", &cl.Password, cl.PasswordFile)
	}
	if t := rd.TLS; t != nil {
		for _, f := range []*string{&t.CAFile, &t.CertFile, &t.KeyFile} {
			if *f != "" && !filepath.IsAbs(*f) {
				*f = filepath.Join(r.baseDir, *f)
			}
		}
	}
}

func (r *resolver) keyring(name string, k *Keyring) {
	ids := make(map[string]bool)
	for id := range k.Keys {
		ids[id] = true
	}
	for id := range k.files {
		ids[id] = true
	}
	if k.ActiveKeyID != "" {
		ids[k.ActiveKeyID] = true
	}
	for id := range ids {
		_, inline := k.Keys[id]
		path := "keyrings." + name + ".keys." + id
		if v, ok := r.pick(path, EnvName("keyrings", name, id), k.files[id], inline); ok {
			if k.Keys == nil {
				k.Keys = make(map[string]string)
			}
			k.Keys[id] = v
		}
	}
}

// pick returns the value from the environment or from file (env wins);
// ok is false when neither gives one and the inline value stays. Problems
// go to the config's load problems; values never appear in them.
func (r *resolver) pick(path, envName, file string, inlineSet bool) (string, bool) {
	if inlineSet && file != "" {
		r.cfg.loadProblems = append(r.cfg.loadProblems, Problem{
			Path:    path,
			Message: "given both inline and as " + lastSegment(path) + fileSuffix + "; keep one",
		})
	}
	if v := r.env(envName); v != "" {
		r.cfg.origin(path, "env "+envName)
		return v, true
	}
	if file == "" {
		return "", false
	}
	full := file
	if !filepath.IsAbs(full) {
		full = filepath.Join(r.baseDir, full)
	}
	v, err := readSecretFile(full)
	if err != nil {
		r.cfg.loadProblems = append(r.cfg.loadProblems, Problem{Path: path + fileSuffix, Message: err.Error()})
		return "", false
	}
	r.cfg.origin(path, "file "+full)
	return v, true
}

func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// readSecretFile reads a regular file of at most 64 KiB and trims
// trailing white space. Errors name the path, never the content.
func readSecretFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err))
	}
	if len(data) > maxSecretFileBytes {
		return "", fmt.Errorf("%s is larger than 64 KiB", path)
	}
	v := strings.TrimRightFunc(string(data), unicode.IsSpace)
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (c *Config) origin(path, from string) {
	if c.origins == nil {
		c.origins = make(map[string]string)
	}
	c.origins[path] = from
}
