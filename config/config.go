package config

import (
	"time"
)

// Modes.
const (
	ModeDevelopment = "development"
	ModeProduction  = "production"
)

// Config is gatehouse's whole configuration (docs/design.md "Configuration"). The yaml tags are
// the keys of the file; config/reference.md documents every key and its
// default. A Config comes from Default, FromDefaults, Load or LoadBytes;
// Validate reports what is wrong with it.
//
// Secret material sits only in signing.Secret fields and in types whose
// formatting is redacted (Keyring, Redis, OAuthProvider), so printing a
// Config never shows a secret.
type Config struct {
	Mode           string      `yaml:"mode"`
	DataDir        string      `yaml:"data_dir"`
	Listen         Listen      `yaml:"listen"`
	PublicURL      string      `yaml:"public_url"`
	Cookie         Cookie      `yaml:"cookie"`
	TrustedProxies []string    `yaml:"trusted_proxies"`
	TrustedHops    int         `yaml:"trusted_hops"`
	State          State       `yaml:"state"`
	Shared         Shared      `yaml:"shared"`
	Tokens         Tokens      `yaml:"tokens"`
	Secrets        Secrets     `yaml:"secrets"`
	Keyrings       Keyrings    `yaml:"keyrings"`
	DefaultPolicy  string      `yaml:"default_policy"`
	Rules          []Rule      `yaml:"rules"`
	APIKeys        APIKeys     `yaml:"api_keys"`
	RateLimits     RateLimits  `yaml:"rate_limits"`
	Verifier       Verifier    `yaml:"verifier"`
	Passwords      Passwords   `yaml:"passwords"`
	TOTP           TOTP        `yaml:"totp"`
	OAuth          OAuth       `yaml:"oauth"`
	Email          Email       `yaml:"email"`
	Log            Log         `yaml:"log"`
	ExternalJWT    ExternalJWT `yaml:"external_jwt"`
	WebAuthn       WebAuthn    `yaml:"webauthn"`

	// loadProblems are problems found while resolving secret sources in
	// Load (unreadable files, a secret given both inline and as _file).
	// Validate reports them with everything else.
	loadProblems []Problem
	// origins names where each resolved secret came from ("env NAME",
	// "file PATH"), keyed by YAML path, so messages can point at it.
	origins map[string]string
}

// Listen holds the three listener addresses (host:port) and the optional
// profiling listener.
type Listen struct {
	Verifier string `yaml:"verifier"`
	Portal   string `yaml:"portal"`
	Admin    string `yaml:"admin"`
	// Pprof serves net/http/pprof on a loopback address; empty: off.
	Pprof string `yaml:"pprof"`
}

// Cookie configures the session cookie.
type Cookie struct {
	Name   string `yaml:"name"`
	Domain string `yaml:"domain"` // empty: host-only cookie on the portal host
	// Secure sets the Secure attribute. nil means automatic: on, except in
	// development mode when public_url is http on a loopback host.
	Secure *bool `yaml:"secure"`
}

// State selects the durable store.
type State struct {
	Backend string `yaml:"backend"` // bbolt | redis
	Redis   Redis  `yaml:"redis"`
}

// Shared selects the store for ephemeral shared state (revocation cache,
// nonces, rate limits, TOTP replay markers).
type Shared struct {
	Backend       string `yaml:"backend"` // memory | redis
	AllowInMemory bool   `yaml:"allow_in_memory"`
	// MaxEntries caps each kind of in-process ephemeral state (revocation
	// cache, nonces and single-use markers, rate-limit counters) when
	// Backend is memory; a full kind refuses new keys (fail closed).
	MaxEntries int   `yaml:"max_entries"`
	Redis      Redis `yaml:"redis"`
}

// Redis says how to reach one Redis deployment, in exactly one of three
// topologies: a standalone server (URL), a primary found through Sentinel
// (Sentinel) or a Cluster (Cluster). The URL and the passwords may be
// given as _file or by env, and the whole value prints redacted.
type Redis struct {
	// URL is redis://, rediss:// (TLS) or unix://; it may carry a password.
	URL      string         `yaml:"url"`
	URLFile  string         `yaml:"url_file"`
	Sentinel *RedisSentinel `yaml:"sentinel"`
	Cluster  *RedisCluster  `yaml:"cluster"`
	// TLS turns TLS on for sentinel and cluster, and tunes it for a
	// rediss:// URL.
	TLS *RedisTLS `yaml:"tls"`
	// PoolSize is the most connections per server (per node in a
	// Cluster); 0 keeps go-redis's default of 10 per CPU.
	PoolSize int `yaml:"pool_size"`
	// Timeouts; 0 keeps the URL's value, else 2 s.
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// MinReplicasAck, when positive, makes every durable write wait until
	// that many replicas confirm it (WAIT); 0 (the default) does not wait.
	MinReplicasAck int `yaml:"min_replicas_ack"`
	// ReplicaAckTimeout bounds that wait; 0 means 1 s.
	ReplicaAckTimeout time.Duration `yaml:"replica_ack_timeout"`
}

// RedisSentinel finds the primary named MasterName through the sentinels
// at Addrs and follows it across failovers.
type RedisSentinel struct {
	MasterName string   `yaml:"master_name"`
	Addrs      []string `yaml:"addrs"` // host:port of each sentinel
	// Username and Password authenticate to the data servers (primary and
	// replicas).
	Username     string     `yaml:"username"`
	Password     SecretText `yaml:"password"`
	PasswordFile string     `yaml:"password_file"`
	// SentinelUsername and SentinelPassword authenticate to the sentinels
	// themselves (requirepass or an ACL user on the sentinel).
	SentinelUsername     string     `yaml:"sentinel_username"`
	SentinelPassword     SecretText `yaml:"sentinel_password"`
	SentinelPasswordFile string     `yaml:"sentinel_password_file"`
}

// RedisCluster reaches a Redis Cluster through any of its nodes; the
// client learns the others from CLUSTER SLOTS.
type RedisCluster struct {
	Addrs        []string   `yaml:"addrs"` // host:port of seed nodes
	Username     string     `yaml:"username"`
	Password     SecretText `yaml:"password"`
	PasswordFile string     `yaml:"password_file"`
}

// RedisTLS configures TLS to Redis. Relative paths are relative to the
// config file's directory.
type RedisTLS struct {
	CAFile     string `yaml:"ca_file"`   // PEM roots; empty: the system's
	CertFile   string `yaml:"cert_file"` // client certificate (with KeyFile)
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"` // empty: the host dialled
}

// Topology names which of URL, Sentinel and Cluster is set: "url",
// "sentinel", "cluster", "" for none, or "several".
func (r *Redis) Topology() string {
	var set []string
	if r.URL != "" {
		set = append(set, "url")
	}
	if r.Sentinel != nil {
		set = append(set, "sentinel")
	}
	if r.Cluster != nil {
		set = append(set, "cluster")
	}
	switch len(set) {
	case 0:
		return ""
	case 1:
		return set[0]
	}
	return "several"
}

// Tokens configures the lifetimes and signing of issued tokens.
type Tokens struct {
	Access  AccessTokens `yaml:"access"`
	Session Lifetime     `yaml:"session"`
	Refresh Lifetime     `yaml:"refresh"`
}

// AccessTokens configures access JWTs.
type AccessTokens struct {
	Algorithm string        `yaml:"algorithm"` // HS256 | EdDSA | ES256
	Lifetime  time.Duration `yaml:"lifetime"`
	// Keys maps a kid to a PEM file holding the private key (EdDSA, ES256).
	// Relative paths are resolved against the config file's directory.
	Keys      map[string]string `yaml:"keys"`
	ActiveKID string            `yaml:"active_kid"`
}

// Lifetime is a section with only a lifetime.
type Lifetime struct {
	Lifetime time.Duration `yaml:"lifetime"`
}

// APIKeys configures API keys (docs/design.md "API keys") and signed requests (docs/design.md "Signed requests").
type APIKeys struct {
	Enabled          bool          `yaml:"enabled"`
	Prefix           string        `yaml:"prefix"`
	Env              string        `yaml:"env"`
	AllowedScopes    []string      `yaml:"allowed_scopes"`
	MaxPerUser       int           `yaml:"max_per_user"`
	DefaultLifetime  time.Duration `yaml:"default_lifetime"`
	ScopeSubsetCheck bool          `yaml:"scope_subset_check"`
	Signing          Signing       `yaml:"signing"`
}

// Signing configures LSA1-HMAC-SHA256 signed requests.
type Signing struct {
	Enabled      bool          `yaml:"enabled"`
	MaxSkew      time.Duration `yaml:"max_skew"`
	BodyMaxBytes int64         `yaml:"signed_body_max_bytes"`
}

// RateLimit is one slot: at most Max events per Window.
type RateLimit struct {
	Max    int           `yaml:"max"`
	Window time.Duration `yaml:"window"`
}

// RateLimits maps a slot name (RateLimitSlots) to its limit. A slot given
// in YAML replaces that slot's default entirely.
type RateLimits map[string]RateLimit

// RateLimitSlots are the slot names accepted in rate_limits.
var RateLimitSlots = []string{
	"login", "register", "forgot_password", "reset_password", "change_password",
	"verify_token", "totp_verify", "totp_enable", "api_key_create", "api_key_use",
	"refresh",
}

// Verifier configures the hot path.
type Verifier struct {
	// ForwardsBody names the dialects whose proxy forwards the request body
	// (envoy, traefik, haproxy).
	ForwardsBody []string      `yaml:"forwards_body"`
	StoreTimeout time.Duration `yaml:"store_timeout"`
	Assertion    Assertion     `yaml:"assertion"`
	Headers      Headers       `yaml:"headers"`
	TokenCache   TokenCache    `yaml:"token_cache"`
}

// TokenCache bounds the verifier's cache of verified access tokens
// (docs/design.md "Verified-token cache").
type TokenCache struct {
	// TTL is the longest an entry lives; never past the token's exp.
	TTL time.Duration `yaml:"ttl"`
	// MaxEntries bounds the cache; 0 turns it off.
	MaxEntries int `yaml:"max_entries"`
}

// Bounds of verifier.token_cache.
const (
	MaxTokenCacheTTL     = time.Hour
	MaxTokenCacheEntries = 10_000_000
)

// Assertion configures the optional Gatehouse-Assertion JWT.
type Assertion struct {
	Enabled  bool          `yaml:"enabled"`
	Audience string        `yaml:"audience"`
	Lifetime time.Duration `yaml:"lifetime"`
}

// Headers are the names of the identity headers sent on allow.
type Headers struct {
	User          string `yaml:"user"`
	UserID        string `yaml:"user_id"`
	Email         string `yaml:"email"`
	Name          string `yaml:"name"`
	Groups        string `yaml:"groups"`
	AuthMethod    string `yaml:"auth_method"`
	APIKeyID      string `yaml:"api_key_id"`
	Scopes        string `yaml:"scopes"`
	ContentSHA256 string `yaml:"content_sha256"`
	Assertion     string `yaml:"assertion"`
	// Issuer carries the iss of an external_jwt credential; it is sent
	// empty for every other kind, so a client cannot supply it.
	Issuer string `yaml:"issuer"`
}

// Passwords configures argon2id and the length policy.
type Passwords struct {
	Memory    uint32 `yaml:"memory"` // KiB
	Time      uint32 `yaml:"time"`
	Threads   uint8  `yaml:"threads"`
	MinLength int    `yaml:"min_length"`
	MaxLength int    `yaml:"max_length"`
	// MaxConcurrentHashes bounds how many argon2id computations run at
	// once (each holds Memory while it runs); 0 means automatic:
	// max(1, min(GOMAXPROCS / Threads, 512 MiB / Memory)).
	MaxConcurrentHashes int `yaml:"max_concurrent_hashes"`
}

// TOTP configures second factors (docs/design.md "Two-factor").
type TOTP struct {
	Enabled   bool          `yaml:"enabled"`
	Algorithm string        `yaml:"algorithm"` // SHA1 | SHA256 | SHA512
	Issuer    string        `yaml:"issuer"`
	StepUpTTL time.Duration `yaml:"step_up_ttl"`
}

// OAuth configures upstream login providers (docs/design.md "OAuth").
type OAuth struct {
	Enabled bool `yaml:"enabled"`
	// RedirectBase is the public base URL of the callback routes; empty
	// means public_url.
	RedirectBase string          `yaml:"redirect_base"`
	Providers    []OAuthProvider `yaml:"providers"`
}

// OAuth provider kinds.
const (
	ProviderOIDC   = "oidc"
	ProviderGitHub = "github"
	ProviderGoogle = "google"
)

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // trace | debug | info | warn | error
	Format string `yaml:"format"` // json | console; empty: console in development, json in production
}

// Default returns the zero-config configuration (docs/design.md "Running"): development
// mode, loopback listeners, bbolt in ./gatehouse-data, in-memory shared
// state. Secrets are empty; EnsureDataDir fills them in development.
func Default() *Config {
	return &Config{
		Mode:    ModeDevelopment,
		DataDir: "./gatehouse-data",
		Listen: Listen{
			Verifier: "127.0.0.1:9091",
			Portal:   "127.0.0.1:9092",
			Admin:    "127.0.0.1:9093",
		},
		PublicURL:      "http://127.0.0.1:9092",
		Cookie:         Cookie{Name: "gatehouse_session"},
		TrustedProxies: []string{"127.0.0.0/8", "::1/128"},
		TrustedHops:    1,
		State:          State{Backend: "bbolt"},
		Shared:         Shared{Backend: "memory", AllowInMemory: true, MaxEntries: 1_000_000},
		Tokens: Tokens{
			Access:  AccessTokens{Algorithm: "HS256", Lifetime: 15 * time.Minute},
			Session: Lifetime{Lifetime: 12 * time.Hour},
			Refresh: Lifetime{Lifetime: 720 * time.Hour},
		},
		DefaultPolicy: PolicyDeny,
		APIKeys: APIKeys{
			Enabled:          true,
			Prefix:           "ak",
			Env:              "prod",
			MaxPerUser:       20,
			DefaultLifetime:  8760 * time.Hour,
			ScopeSubsetCheck: true,
			Signing: Signing{
				Enabled:      true,
				MaxSkew:      300 * time.Second,
				BodyMaxBytes: 1 << 20,
			},
		},
		RateLimits: DefaultRateLimits(),
		Verifier: Verifier{
			StoreTimeout: 250 * time.Millisecond,
			TokenCache:   TokenCache{TTL: 60 * time.Second, MaxEntries: 100_000},
			Assertion: Assertion{
				Audience: "gatehouse:assertion",
				Lifetime: 60 * time.Second,
			},
			Headers: Headers{
				User:          "Remote-User",
				UserID:        "Remote-User-Id",
				Email:         "Remote-Email",
				Name:          "Remote-Name",
				Groups:        "Remote-Groups",
				AuthMethod:    "Remote-Auth-Method",
				APIKeyID:      "Remote-Api-Key-Id",
				Scopes:        "Remote-Scopes",
				ContentSHA256: "Remote-Content-SHA256",
				Assertion:     "Gatehouse-Assertion",
				Issuer:        "Remote-Issuer",
			},
		},
		Passwords: Passwords{Memory: 64 * 1024, Time: 3, Threads: 4, MinLength: 12, MaxLength: 128},
		TOTP:      TOTP{Enabled: true, Algorithm: "SHA256", Issuer: "gatehouse", StepUpTTL: 5 * time.Minute},
		WebAuthn:  defaultWebAuthn(),
		Log:       Log{Level: "info"},
	}
}

// DefaultRateLimits returns the default limit of every slot.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		"login":           {Max: 5, Window: time.Minute},
		"register":        {Max: 5, Window: time.Hour},
		"forgot_password": {Max: 5, Window: time.Hour},
		"reset_password":  {Max: 10, Window: 15 * time.Minute},
		"change_password": {Max: 5, Window: 15 * time.Minute},
		"verify_token":    {Max: 10, Window: 15 * time.Minute},
		"totp_verify":     {Max: 5, Window: time.Minute},
		"totp_enable":     {Max: 5, Window: 15 * time.Minute},
		"api_key_create":  {Max: 10, Window: time.Hour},
		"api_key_use":     {Max: 600, Window: time.Minute},
		"refresh":         {Max: 60, Window: time.Minute},
	}
}

// IsProduction reports whether mode is production.
func (c *Config) IsProduction() bool { return c.Mode == ModeProduction }

// LogFormat is the effective log format: log.format, or console in
// development and json otherwise when it is empty.
func (c *Config) LogFormat() string {
	if c.Log.Format != "" {
		return c.Log.Format
	}
	if c.Mode == ModeDevelopment {
		return "console"
	}
	return "json"
}

// OAuthRedirectBase is oauth.redirect_base, or public_url when it is empty,
// without a trailing slash.
func (c *Config) OAuthRedirectBase() string {
	b := c.OAuth.RedirectBase
	if b == "" {
		b = c.PublicURL
	}
	for len(b) > 0 && b[len(b)-1] == '/' {
		b = b[:len(b)-1]
	}
	return b
}

// CookieSecure is the effective Secure attribute of the session cookie
// (see Cookie.Secure).
func (c *Config) CookieSecure() bool {
	if c.Cookie.Secure != nil {
		return *c.Cookie.Secure
	}
	if c.Mode == ModeDevelopment && isLoopbackHTTP(c.PublicURL) {
		return false
	}
	return true
}
