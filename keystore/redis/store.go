package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/gatehouse/gatehouse/keystore"
)

// Options configure Open. Exactly one of URL, Sentinel and Cluster is
// set.
type Options struct {
	// URL is redis://, rediss:// (TLS) or unix:// as go-redis ParseURL
	// reads it, for a standalone server. It may hold a password and never
	// appears in an error.
	URL string
	// Sentinel reaches the primary that a set of sentinels monitors and
	// follows it across failovers.
	Sentinel *Sentinel
	// Cluster reaches a Redis Cluster through any of its nodes.
	Cluster *Cluster
	// TLS turns TLS on for Sentinel and Cluster (sentinels and data
	// servers alike) and replaces the default TLS settings of a rediss://
	// URL; an empty ServerName keeps the host dialled. A redis:// URL with
	// TLS set is refused.
	TLS *tls.Config
	// PoolSize bounds the connections per server (per node in a Cluster);
	// 0 keeps go-redis's default.
	PoolSize int
	// Prefix starts every key and the revocation channel; "" means
	// DefaultPrefix. 1..64 printable ASCII bytes without spaces or braces
	// (braces would change the Cluster hash tag).
	Prefix string
	// DialTimeout bounds connecting; 0 keeps the URL's positive value,
	// else 2 s. Never unbounded.
	DialTimeout time.Duration
	// ReadTimeout bounds each reply; 0 keeps the URL's positive value,
	// else 2 s. Never unbounded.
	ReadTimeout time.Duration
	// WriteTimeout bounds each write; 0 means ReadTimeout when that is
	// set, else the URL's positive value, else the read timeout.
	WriteTimeout time.Duration
	// MinReplicasAck, when positive, makes every durable write wait
	// until that many replicas have it (WAIT), 0..MaxMinReplicasAck; a
	// write not confirmed in time is ErrNotReplicated (package doc,
	// "Acknowledged means replicated").
	MinReplicasAck int
	// ReplicaAckTimeout bounds that wait; 0 means
	// DefaultReplicaAckTimeout, at most MaxReplicaAckTimeout, and shorter
	// than the read timeout.
	ReplicaAckTimeout time.Duration
	// Clock returns the current time for the Deny "already past" check;
	// nil means time.Now. Expiry itself follows the Redis server's clock.
	Clock func() time.Time
}

// Sentinel names the primary and the sentinels that watch it.
type Sentinel struct {
	MasterName string
	Addrs      []string // host:port of each sentinel
	// Username and Password authenticate to the primary and replicas.
	Username, Password string
	// SentinelUsername and SentinelPassword authenticate to the sentinels.
	SentinelUsername, SentinelPassword string
}

// Cluster lists seed nodes of a Redis Cluster; the client learns the
// others from the cluster itself.
type Cluster struct {
	Addrs              []string // host:port
	Username, Password string
}

// DefaultPrefix is the key namespace when Options.Prefix is empty.
const DefaultPrefix = "gatehouse:"

const (
	defaultDialTimeout = 2 * time.Second
	defaultReadTimeout = 2 * time.Second
	maxPrefixLen       = 64
)

// Store is the Redis back-end of keystore.Store, and the shared
// keystore.Denylist, keystore.Markers and keystore.Counters. It is safe
// for concurrent use.
type Store struct {
	c goredis.UniversalClient
	// cluster is c when it is a Cluster client: Ping then asks every
	// primary.
	cluster *goredis.ClusterClient
	prefix  string
	k       keys
	ack     ack // replica acknowledgement of durable writes; zero: off
	now     func() time.Time
	closed  atomic.Bool
	// life ends when the store is closed; revocation subscriptions
	// watch it.
	life context.Context
	stop context.CancelFunc
}

var (
	_ keystore.Store    = (*Store)(nil)
	_ keystore.Denylist = (*Store)(nil)
	_ keystore.Markers  = (*Store)(nil)
	_ keystore.Counters = (*Store)(nil)
)

// Open connects to the deployment opts describe and checks that it
// answers (Ping) within ctx. Commands are never retried by the client: a
// write whose reply was lost is reported as an error rather than applied
// twice (package doc, "Topologies").
func Open(ctx context.Context, opts Options) (*Store, error) {
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	a, err := newAck(opts.MinReplicasAck, opts.ReplicaAckTimeout, readTimeout(c))
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	s, err := newStore(c, opts.Prefix, opts.Clock)
	if err != nil {
		return nil, err
	}
	s.ack = a
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// newClient builds the go-redis client for the one topology opts set.
func newClient(opts Options) (goredis.UniversalClient, error) {
	n := 0
	for _, set := range []bool{opts.URL != "", opts.Sentinel != nil, opts.Cluster != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("keystore/redis: give exactly one of URL, Sentinel and Cluster")
	}
	t := timeouts{dial: defaultDialTimeout, read: defaultReadTimeout}
	switch {
	case opts.URL != "":
		o, err := goredis.ParseURL(opts.URL)
		if err != nil {
			return nil, urlError(err)
		}
		if opts.TLS != nil {
			if o.TLSConfig == nil {
				return nil, errors.New("keystore/redis: TLS settings need a rediss:// URL")
			}
			o.TLSConfig = withServerName(opts.TLS, o.TLSConfig.ServerName)
		}
		t = t.from(o.DialTimeout, o.ReadTimeout, o.WriteTimeout).from(opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout)
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = t.dial, t.read, t.write
		if opts.PoolSize > 0 {
			o.PoolSize = opts.PoolSize
		}
		o.MaxRetries = -1
		// One dial attempt per call: with the server down, a request is
		// refused in one dial timeout rather than five.
		o.DialerRetries = 1
		o.ContextTimeoutEnabled = true
		o.DisableIdentity = true
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		return goredis.NewClient(o), nil
	case opts.Sentinel != nil:
		sn := opts.Sentinel
		if sn.MasterName == "" || len(sn.Addrs) == 0 {
			return nil, errors.New("keystore/redis: Sentinel needs a master name and at least one address")
		}
		t = t.from(opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout)
		return goredis.NewFailoverClient(&goredis.FailoverOptions{
			MasterName:    sn.MasterName,
			SentinelAddrs: append([]string(nil), sn.Addrs...),
			Username:      sn.Username, Password: sn.Password,
			SentinelUsername: sn.SentinelUsername, SentinelPassword: sn.SentinelPassword,
			TLSConfig:   opts.TLS,
			PoolSize:    opts.PoolSize,
			DialTimeout: t.dial, ReadTimeout: t.read, WriteTimeout: t.write,
			MaxRetries: -1, DialerRetries: 1,
			ContextTimeoutEnabled: true,
			DisableIdentity:       true,
		}), nil
	default:
		cl := opts.Cluster
		if len(cl.Addrs) == 0 {
			return nil, errors.New("keystore/redis: Cluster needs at least one address")
		}
		t = t.from(opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout)
		return followFailovers(goredis.NewClusterClient(&goredis.ClusterOptions{
			Addrs:    append([]string(nil), cl.Addrs...),
			Username: cl.Username, Password: cl.Password,
			TLSConfig:   opts.TLS,
			PoolSize:    opts.PoolSize,
			DialTimeout: t.dial, ReadTimeout: t.read, WriteTimeout: t.write,
			// The cluster client's redirect loop also resends a command
			// whose reply was lost (EOF, timeout); one attempt keeps
			// "never applied twice". A MOVED reply still reloads the
			// slot map, so the next call goes to the new owner.
			MaxRedirects: -1,
			MaxRetries:   -1, DialerRetries: 1,
			ContextTimeoutEnabled:    true,
			DisableIdentity:          true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		})), nil
	}
}

// timeouts resolves the dial, read and write timeouts: each layer's
// positive values replace the ones before it, and a write timeout
// follows the read timeout of the same layer when that layer sets none.
type timeouts struct{ dial, read, write time.Duration }

func (t timeouts) from(dial, read, write time.Duration) timeouts {
	if dial > 0 {
		t.dial = dial
	}
	if read > 0 {
		t.read = read
		if write <= 0 {
			t.write = read
		}
	}
	if write > 0 {
		t.write = write
	}
	if t.write <= 0 {
		t.write = t.read
	}
	return t
}

// withServerName copies c and fills an empty ServerName with host.
func withServerName(c *tls.Config, host string) *tls.Config {
	c = c.Clone()
	if c.ServerName == "" {
		c.ServerName = host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// urlError reports why a URL did not parse without repeating the URL,
// which may hold a password.
func urlError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("keystore/redis: URL does not parse (not shown): %v", ue.Err)
	}
	if strings.Contains(err.Error(), "://") || strings.Contains(err.Error(), "@") {
		return errors.New("keystore/redis: URL does not parse (not shown)")
	}
	return fmt.Errorf("keystore/redis: URL (not shown): %v", err)
}

// NewFromClient wraps a client the caller configured, such as a
// Sentinel (goredis.NewFailoverClient) or Cluster client
// (goredis.NewUniversalClient with several addresses). The store takes
// ownership: Close closes c. Set MaxRetries to -1 on c so that a write
// whose reply was lost is not applied twice. prefix "" means
// DefaultPrefix. Writes do not wait for replicas (Options.MinReplicasAck
// is Open's).
func NewFromClient(c goredis.UniversalClient, prefix string) (*Store, error) {
	if c == nil {
		return nil, errors.New("keystore/redis: nil client")
	}
	return newStore(c, prefix, nil)
}

func newStore(c goredis.UniversalClient, prefix string, clock func() time.Time) (*Store, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := checkPrefix(prefix); err != nil {
		_ = c.Close()
		return nil, err
	}
	if clock == nil {
		clock = time.Now
	}
	life, stop := context.WithCancel(context.Background())
	cluster, _ := c.(*goredis.ClusterClient)
	return &Store{c: c, cluster: cluster, prefix: prefix, k: newKeys(prefix), now: clock, life: life, stop: stop}, nil
}

func checkPrefix(p string) error {
	if len(p) > maxPrefixLen {
		return fmt.Errorf("keystore/redis: prefix longer than %d bytes", maxPrefixLen)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c > '~' || c == '{' || c == '}' {
			return errors.New("keystore/redis: prefix must be printable ASCII without spaces or braces")
		}
	}
	return nil
}

// Prefix returns the key namespace in use.
func (s *Store) Prefix() string { return s.prefix }

// Ping reports whether the deployment answers: the server, the primary
// that Sentinel names, or every primary of a Cluster (a primary that is
// down leaves its slots unreachable).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if s.cluster != nil {
		return s.fail("ping", s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			return c.Ping(ctx).Err()
		}))
	}
	return s.fail("ping", s.c.Ping(ctx).Err())
}

// Close closes the client and ends revocation subscriptions. Later calls
// return keystore.ErrClosed. Closing twice is harmless.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.stop()
	if err := s.c.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) {
		return fmt.Errorf("keystore/redis: close: %w", err)
	}
	return nil
}

func (s *Store) begin(ctx context.Context) error {
	if s.closed.Load() {
		return keystore.ErrClosed
	}
	return ctx.Err()
}

// fail wraps a client error for operation op; nil stays nil. A client
// closed under a running call becomes keystore.ErrClosed.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, goredis.ErrClosed) || s.closed.Load() {
		return fmt.Errorf("keystore/redis: %s: %w", op, keystore.ErrClosed)
	}
	return fmt.Errorf("keystore/redis: %s: %w", op, err)
}

// Bounds on caller-supplied keys, so no request can make Redis hold or
// hash arbitrarily large names.
const (
	maxDigestLen = 64
	// MaxKeyLen bounds denylist ids, marker keys and counter keys.
	MaxKeyLen = 512
)

func checkID(kind, id string) error {
	if !keystore.ValidID(id) {
		return fmt.Errorf("keystore/redis: %s id must be 1..%d bytes", kind, keystore.MaxIDLen)
	}
	return nil
}

// keys builds key names. Durable records share one Cluster hash tag,
// {state}, so that the Lua scripts that keep indexes, uniqueness and
// cascades atomic touch a single slot; every key they build at run time
// starts with base. Ephemeral keys (denylist, markers, counters) carry no
// tag and spread over the cluster: each command on them touches one key.
type keys struct {
	base     string // <prefix>{state}:
	users    string // ZSET of folded emails, all scores 0
	apiKeys  string // ZSET of key ids, scores 0 (for the sealed walk)
	links    string // ZSET of provider\0subject, scores 0
	passkeys string // ZSET of base64url credential ids, scores 0
	sessExp  string // ZSET hexdigest:userid by ExpiresAt in unix ms
	deny     string // <prefix>deny:
	mark     string // <prefix>mark:
	ctr      string // <prefix>ctr:
	revocate string // channel
}

// Record families under base. No family name is a prefix of another up
// to its colon, so keys of different families never collide.
const (
	famUser      = "user:"
	famEmail     = "email:"
	famSession   = "sess:"
	famUserSess  = "usess:"
	famAPIKey    = "key:"
	famUserKeys  = "ukeys:"
	famLink      = "link:"
	famUserLinks = "ulinks:"
	famPasskey   = "pkey:"
	famUserPkeys = "upkeys:"
)

func newKeys(prefix string) keys {
	base := prefix + "{state}:"
	return keys{
		base:     base,
		users:    base + "users",
		apiKeys:  base + "keys",
		links:    base + "links",
		passkeys: base + "passkeys",
		sessExp:  base + "sessexp",
		deny:     prefix + "deny:",
		mark:     prefix + "mark:",
		ctr:      prefix + "ctr:",
		revocate: prefix + "revocations",
	}
}

func (k *keys) user(id string) string           { return k.base + famUser + id }
func (k *keys) email(folded string) string      { return k.base + famEmail + folded }
func (k *keys) session(hexDigest string) string { return k.base + famSession + hexDigest }
func (k *keys) userSessions(id string) string   { return k.base + famUserSess + id }
func (k *keys) apiKey(id string) string         { return k.base + famAPIKey + id }
func (k *keys) userKeys(id string) string       { return k.base + famUserKeys + id }
func (k *keys) link(member string) string       { return k.base + famLink + member }
func (k *keys) userLinks(id string) string      { return k.base + famUserLinks + id }
func (k *keys) passkey(member string) string    { return k.base + famPasskey + member }
func (k *keys) userPasskeys(id string) string   { return k.base + famUserPkeys + id }

// Script answers. Scripts return a status number; the Go side maps it to
// an error that names only ids.
const (
	stOK       = 0
	stNotFound = 1
	stDup      = 2
	stChanged  = 3 // compare-and-swap lost: re-read and try again
	stDupEmail = 4
)

// casAttempts bounds the re-read loop of a read-modify-write whose
// compare-and-swap keeps losing to other writers.
const casAttempts = 16

var errBusy = fmt.Errorf("keystore/redis: record kept changing: %w", keystore.ErrConflict)

// updateAttempts bounds UpdateUser, UpdateAPIKey, DeleteUser and
// DeleteAPIKey, whose callers are requests that must not fail because
// other requests changed other fields of the same record (over TCP to a
// remote primary, a delete racing steady updates lost all casAttempts
// immediate retries); with casBackoff the whole loop waits at most
// about a quarter of a second.
const updateAttempts = 64

// casBackoff waits a little, growing (up to 2 ms) and jittered, after the
// attempt-th lost compare-and-swap, so writers that keep colliding on one
// hot record spread out instead of exhausting their attempts together.
func casBackoff(ctx context.Context, attempt int) error {
	step := min(time.Duration(attempt+1)*200*time.Microsecond, 2*time.Millisecond)
	t := time.NewTimer(step + time.Duration(rand.Int64N(int64(step))))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// status runs a write script that answers with one status number, and
// waits for replicas when the store asks for that (runScript).
func (s *Store) status(ctx context.Context, op string, sc *goredis.Script, keys []string, args ...any) (int64, error) {
	n, err := s.runScript(ctx, op, sc, keys, args...).Int64()
	if err != nil {
		return 0, s.fail(op, err)
	}
	return n, nil
}

// get reads one string value; found is false when the key is absent.
func (s *Store) get(ctx context.Context, op, key string) (string, bool, error) {
	v, err := s.c.Get(ctx, key).Result()
	if errors.Is(err, goredis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.fail(op, err)
	}
	return v, true, nil
}

func isNil(err error) bool { return errors.Is(err, goredis.Nil) }

func isNotFound(err error) bool { return errors.Is(err, keystore.ErrNotFound) }
