package config

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/signing"
)

// Secret roles, in the order they are documented and checked.
const (
	RoleAccessToken        = "access_token"
	RoleVerifyToken        = "verify_token"
	RoleResetToken         = "reset_token"
	RoleTokenHash          = "token_hash"
	RoleAPIKeyHash         = "api_key_hash"
	RoleCSRF               = "csrf"
	RoleTOTPPending        = "totp_pending"
	RoleRecoveryCodeLookup = "recovery_code_lookup"
	RoleOAuthFlowCookie    = "oauth_flow_cookie"
	RoleTelemetry          = "telemetry"
)

// SecretRoles lists every key of the secrets section.
var SecretRoles = []string{
	RoleAccessToken, RoleVerifyToken, RoleResetToken, RoleTokenHash, RoleAPIKeyHash,
	RoleCSRF, RoleTOTPPending, RoleRecoveryCodeLookup, RoleOAuthFlowCookie, RoleTelemetry,
}

// MinSecretBytes is the shortest secret production mode accepts.
const MinSecretBytes = 32

// fileSuffix marks a key whose value is a path to read the value from.
const fileSuffix = "_file"

// Secrets holds one secret per role (docs/design.md "Secrets"). In YAML each role may be
// given inline (`csrf: "..."`) or as a file (`csrf_file: /run/secrets/csrf`);
// the environment variable GATEHOUSE_SECRETS_<ROLE> overrides both. After
// Load the fields hold the resolved values, used as their UTF-8 bytes.
type Secrets struct {
	AccessToken        signing.Secret
	VerifyToken        signing.Secret
	ResetToken         signing.Secret
	TokenHash          signing.Secret
	APIKeyHash         signing.Secret
	CSRF               signing.Secret
	TOTPPending        signing.Secret
	RecoveryCodeLookup signing.Secret
	OAuthFlowCookie    signing.Secret
	Telemetry          signing.Secret

	files map[string]string // role -> path as written in <role>_file
}

// Get returns the secret of role (one of SecretRoles); the zero Secret
// for an unknown role.
func (s *Secrets) Get(role string) signing.Secret {
	if p := s.ptr(role); p != nil {
		return *p
	}
	return signing.Secret{}
}

func (s *Secrets) ptr(role string) *signing.Secret {
	switch role {
	case RoleAccessToken:
		return &s.AccessToken
	case RoleVerifyToken:
		return &s.VerifyToken
	case RoleResetToken:
		return &s.ResetToken
	case RoleTokenHash:
		return &s.TokenHash
	case RoleAPIKeyHash:
		return &s.APIKeyHash
	case RoleCSRF:
		return &s.CSRF
	case RoleTOTPPending:
		return &s.TOTPPending
	case RoleRecoveryCodeLookup:
		return &s.RecoveryCodeLookup
	case RoleOAuthFlowCookie:
		return &s.OAuthFlowCookie
	case RoleTelemetry:
		return &s.Telemetry
	}
	return nil
}

func isRole(name string) bool {
	for _, r := range SecretRoles {
		if r == name {
			return true
		}
	}
	return false
}

// UnmarshalYAML reads the secrets mapping, accepting each role and its
// _file form and rejecting any other key with its line.
func (s *Secrets) UnmarshalYAML(n *yaml.Node) error {
	return eachPair(n, "config.Secrets", func(key string, k, v *yaml.Node) string {
		role, isFile := strings.CutSuffix(key, fileSuffix)
		if !isRole(role) {
			return fmt.Sprintf("line %d: field %s not found in type config.Secrets", k.Line, key)
		}
		val, msg := scalarText(v, "secrets."+key)
		if msg != "" {
			return msg
		}
		if isFile {
			if s.files == nil {
				s.files = make(map[string]string)
			}
			s.files[role] = val
			return ""
		}
		if val != "" {
			*s.ptr(role) = signing.NewSecret([]byte(val))
		}
		return ""
	})
}

// Keyring names, the keys of the keyrings section.
const (
	KeyringTOTPSecrets   = "totp_secrets"
	KeyringOAuthTokens   = "oauth_tokens"
	KeyringAPIKeySigning = "api_key_signing"
)

// KeyringNames lists every key of the keyrings section.
var KeyringNames = []string{KeyringTOTPSecrets, KeyringOAuthTokens, KeyringAPIKeySigning}

// Keyrings holds the Fernet keyrings for secrets at rest (docs/design.md "Envelopes").
type Keyrings struct {
	TOTPSecrets   Keyring `yaml:"totp_secrets"`
	OAuthTokens   Keyring `yaml:"oauth_tokens"`
	APIKeySigning Keyring `yaml:"api_key_signing"`
}

// Get returns the keyring called name (one of KeyringNames), or nil.
func (k *Keyrings) Get(name string) *Keyring {
	switch name {
	case KeyringTOTPSecrets:
		return &k.TOTPSecrets
	case KeyringOAuthTokens:
		return &k.OAuthTokens
	case KeyringAPIKeySigning:
		return &k.APIKeySigning
	}
	return nil
}

// Keyring is a set of Fernet keys (url-safe base64 of 32 bytes) by key id,
// and the id of the key new writes use. In YAML a key may be given inline
// (`k1: "..."`) or as a file (`k1_file: PATH`); the environment variable
// GATEHOUSE_KEYRINGS_<RING>_<KEY_ID> overrides both for a key id the
// config names. A Keyring prints its key ids, never its keys.
type Keyring struct {
	ActiveKeyID string
	Keys        map[string]string // key id -> Fernet key text

	files map[string]string // key id -> path as written in <id>_file
}

// IsZero reports whether the keyring is not configured at all.
func (k Keyring) IsZero() bool {
	return k.ActiveKeyID == "" && len(k.Keys) == 0 && len(k.files) == 0
}

// KeyIDs returns the configured key ids, sorted.
func (k Keyring) KeyIDs() []string {
	ids := make([]string, 0, len(k.Keys))
	for id := range k.Keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (k Keyring) redacted() string {
	return fmt.Sprintf("{active_key_id:%s keys:[%s]}", k.ActiveKeyID, strings.Join(k.KeyIDs(), " "))
}

// Format prints the active key id and the key ids only.
func (k Keyring) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.redacted())) }

// MarshalJSON emits the active key id and the key ids only.
func (k Keyring) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ActiveKeyID string   `json:"active_key_id"`
		KeyIDs      []string `json:"key_ids"`
	}{k.ActiveKeyID, k.KeyIDs()})
}

// UnmarshalYAML reads {active_key_id, keys}, rejecting unknown keys.
func (k *Keyring) UnmarshalYAML(n *yaml.Node) error {
	return eachPair(n, "config.Keyring", func(key string, kn, v *yaml.Node) string {
		switch key {
		case "active_key_id":
			val, msg := scalarText(v, key)
			if msg != "" {
				return msg
			}
			k.ActiveKeyID = val
			return ""
		case "keys":
			var msgs []string
			err := eachPair(v, "config.Keyring keys", func(id string, idn, kv *yaml.Node) string {
				val, msg := scalarText(kv, "keys."+id)
				if msg != "" {
					return msg
				}
				if base, isFile := strings.CutSuffix(id, fileSuffix); isFile {
					if k.files == nil {
						k.files = make(map[string]string)
					}
					k.files[base] = val
					return ""
				}
				if k.Keys == nil {
					k.Keys = make(map[string]string)
				}
				k.Keys[id] = val
				return ""
			})
			if te, ok := err.(*yaml.TypeError); ok {
				msgs = append(msgs, te.Errors...)
			}
			if len(msgs) > 0 {
				return strings.Join(msgs, "\n")
			}
			return ""
		}
		return fmt.Sprintf("line %d: field %s not found in type config.Keyring", kn.Line, key)
	})
}

// OAuthProvider is one upstream login provider. The client secret may be
// given inline, as client_secret_file, or by env
// GATEHOUSE_OAUTH_PROVIDERS_<NAME>_CLIENT_SECRET.
type OAuthProvider struct {
	Name        string `yaml:"name"` // [a-z0-9-], used in URLs
	Kind        string `yaml:"kind"` // oidc | github | google; default: the name when it is github or google, else oidc
	DisplayName string `yaml:"display_name"`
	Issuer      string `yaml:"issuer"` // oidc: discovery base URL
	ClientID    string `yaml:"client_id"`
	// ClientSecret is resolved from client_secret, client_secret_file or env.
	ClientSecret               signing.Secret `yaml:"-"`
	ClientSecretFile           string         `yaml:"client_secret_file"`
	Scopes                     []string       `yaml:"scopes"`
	TrustProviderEmailVerified bool           `yaml:"trust_provider_email_verified"`
	AssociateByEmail           bool           `yaml:"associate_by_email"`
	StoreTokens                bool           `yaml:"store_tokens"`
}

// oauthProviderYAML is OAuthProvider as written, with the inline secret
// as text; it exists only inside UnmarshalYAML.
type oauthProviderYAML struct {
	Name                       string   `yaml:"name"`
	Kind                       string   `yaml:"kind"`
	DisplayName                string   `yaml:"display_name"`
	Issuer                     string   `yaml:"issuer"`
	ClientID                   string   `yaml:"client_id"`
	ClientSecret               string   `yaml:"client_secret"`
	ClientSecretFile           string   `yaml:"client_secret_file"`
	Scopes                     []string `yaml:"scopes"`
	TrustProviderEmailVerified bool     `yaml:"trust_provider_email_verified"`
	AssociateByEmail           bool     `yaml:"associate_by_email"`
	StoreTokens                bool     `yaml:"store_tokens"`
}

// UnmarshalYAML reads a provider strictly and keeps the inline client
// secret only as a signing.Secret.
func (p *OAuthProvider) UnmarshalYAML(n *yaml.Node) error {
	known := yamlKeys(reflect.TypeOf(oauthProviderYAML{}))
	if err := eachPair(n, "config.OAuthProvider", func(key string, k, _ *yaml.Node) string {
		if !known[key] {
			return fmt.Sprintf("line %d: field %s not found in type config.OAuthProvider", k.Line, key)
		}
		return ""
	}); err != nil {
		return err
	}
	var raw oauthProviderYAML
	if err := n.Decode(&raw); err != nil {
		return err
	}
	*p = OAuthProvider{
		Name: raw.Name, Kind: raw.Kind, DisplayName: raw.DisplayName, Issuer: raw.Issuer,
		ClientID: raw.ClientID, ClientSecretFile: raw.ClientSecretFile, Scopes: raw.Scopes,
		TrustProviderEmailVerified: raw.TrustProviderEmailVerified,
		AssociateByEmail:           raw.AssociateByEmail,
		StoreTokens:                raw.StoreTokens,
	}
	if raw.ClientSecret != "" {
		p.ClientSecret = signing.NewSecret([]byte(raw.ClientSecret))
	}
	return nil
}

// Format prints the Redis settings with the URL's password and every
// other password replaced.
func (r Redis) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "{url:%s url_file:%s sentinel:%+v cluster:%+v tls:%+v pool_size:%d dial_timeout:%s read_timeout:%s write_timeout:%s min_replicas_ack:%d replica_ack_timeout:%s}",
		redactURL(r.URL), r.URLFile, r.Sentinel, r.Cluster, r.TLS, r.PoolSize, r.DialTimeout, r.ReadTimeout, r.WriteTimeout, r.MinReplicasAck, r.ReplicaAckTimeout)
}

// MarshalJSON emits the Redis settings with the URL's password replaced;
// the sentinel and cluster passwords are SecretText, which marshals as
// [REDACTED].
func (r Redis) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		URL          string         `json:"url"`
		URLFile      string         `json:"url_file,omitempty"`
		Sentinel     *RedisSentinel `json:"sentinel,omitempty"`
		Cluster      *RedisCluster  `json:"cluster,omitempty"`
		TLS          *RedisTLS      `json:"tls,omitempty"`
		PoolSize     int            `json:"pool_size,omitempty"`
		DialTimeout  string         `json:"dial_timeout,omitempty"`
		ReadTimeout  string         `json:"read_timeout,omitempty"`
		WriteTimeout string         `json:"write_timeout,omitempty"`
		MinAck       int            `json:"min_replicas_ack,omitempty"`
		AckTimeout   string         `json:"replica_ack_timeout,omitempty"`
	}{redactURL(r.URL), r.URLFile, r.Sentinel, r.Cluster, r.TLS, r.PoolSize,
		durationText(r.DialTimeout), durationText(r.ReadTimeout), durationText(r.WriteTimeout),
		r.MinReplicasAck, durationText(r.ReplicaAckTimeout)})
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// redactURL prints scheme, host and path only; user information (which
// may be or hold a password), query and fragment are dropped. A URL that
// does not parse, or has an '@' that did not parse as user information,
// prints as [REDACTED] altogether.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.User == nil && strings.Contains(s, "@")) {
		return "[REDACTED]"
	}
	out := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.User != nil {
		out.User = url.User("REDACTED")
	}
	return out.String()
}

// eachPair walks a YAML mapping node, calling fn for every key. fn returns
// a problem text ("line N: ...") or "". Problems are returned together as
// a *yaml.TypeError so the decoder merges them with its own. A null node
// is an empty mapping.
func eachPair(n *yaml.Node, typeName string, fn func(key string, k, v *yaml.Node) string) error {
	n = deref(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: cannot unmarshal %s into %s (want a mapping)", n.Line, n.ShortTag(), typeName),
		}}
	}
	var msgs []string
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			msgs = append(msgs, fmt.Sprintf("line %d: mapping key in %s must be a string", n.Content[i].Line, typeName))
			continue
		}
		if at, dup := seen[k.Value]; dup {
			msgs = append(msgs, fmt.Sprintf("line %d: mapping key %q already defined at line %d", k.Line, k.Value, at))
			continue
		}
		seen[k.Value] = k.Line
		if msg := fn(k.Value, k, v); msg != "" {
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) > 0 {
		return &yaml.TypeError{Errors: msgs}
	}
	return nil
}

// scalarText returns a scalar's text as written; null is "". The value
// never appears in the returned problem.
func scalarText(v *yaml.Node, what string) (string, string) {
	v = deref(v)
	if v == nil || (v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null") {
		return "", ""
	}
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Sprintf("line %d: %s must be a string", v.Line, what)
	}
	return v.Value, ""
}

// deref follows alias nodes (bounded, in case of a cycle).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// yamlKeys returns the yaml key names of a struct type.
func yamlKeys(t reflect.Type) map[string]bool {
	keys := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}
