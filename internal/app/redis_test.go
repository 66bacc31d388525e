package app

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/signing"
)

// TestRedisOptionsMapEveryTopology: each config key lands in its store
// option, and passwords reach the client as given.
func TestRedisOptionsMapEveryTopology(t *testing.T) {
	pw := config.SecretText{Secret: signing.NewSecret([]byte("pw"))}
	spw := config.SecretText{Secret: signing.NewSecret([]byte("spw"))}
	o, err := RedisOptions(config.Redis{
		Sentinel: &config.RedisSentinel{MasterName: "m", Addrs: []string{"h:1", "h:2"}, Username: "u", Password: pw,
			SentinelUsername: "su", SentinelPassword: spw},
		TLS:      &config.RedisTLS{ServerName: "redis.internal"},
		PoolSize: 7, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 3 * time.Second,
		MinReplicasAck: 2, ReplicaAckTimeout: 700 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	sn := o.Sentinel
	if sn == nil || sn.MasterName != "m" || len(sn.Addrs) != 2 || sn.Username != "u" || sn.Password != "pw" ||
		sn.SentinelUsername != "su" || sn.SentinelPassword != "spw" || o.URL != "" || o.Cluster != nil {
		t.Errorf("sentinel options: %+v", sn)
	}
	if o.TLS == nil || o.TLS.ServerName != "redis.internal" || o.PoolSize != 7 ||
		o.DialTimeout != time.Second || o.ReadTimeout != 2*time.Second || o.WriteTimeout != 3*time.Second ||
		o.MinReplicasAck != 2 || o.ReplicaAckTimeout != 700*time.Millisecond {
		t.Errorf("common options: %+v", o)
	}
	o, err = RedisOptions(config.Redis{Cluster: &config.RedisCluster{Addrs: []string{"h:1"}, Username: "u", Password: pw}})
	if err != nil || o.Cluster == nil || o.Cluster.Password != "pw" || o.Cluster.Username != "u" || o.TLS != nil {
		t.Errorf("cluster options: %+v, %v", o, err)
	}
	if !SameRedis(config.Redis{URL: "redis://h:1/0"}, config.Redis{URL: "redis://h:1/0"}) ||
		SameRedis(config.Redis{URL: "redis://h:1/0"}, config.Redis{URL: "redis://h:1/0", PoolSize: 3}) {
		t.Error("SameRedis")
	}
}

// TestRedisTLSFromConfig connects to a TLS-only redis-server that wants
// client certificates, through the tls block: the CA, the client pair
// and the server name all matter, and file problems name the file.
func TestRedisTLSFromConfig(t *testing.T) {
	dir, files := tlsFiles(t)
	files.AuthClients = true
	srv, err := redistest.NewServer(redistest.Config{Dir: dir, TLS: files})
	if err != nil {
		t.Fatalf("start TLS redis-server: %v", err)
	}
	t.Cleanup(srv.Stop)
	full := &config.RedisTLS{CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey}
	named := *full
	named.ServerName = files.ServerName
	wrongName := *full
	wrongName.ServerName = "other.test"
	noClient := &config.RedisTLS{CAFile: files.CA}
	missing := &config.RedisTLS{CAFile: dir + "/nope.pem"}
	mismatch := &config.RedisTLS{CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ServerKey}
	cases := []struct {
		name string
		tls  *config.RedisTLS
		want string // "" for success, else a part of the error
	}{
		{"CA and client pair", full, ""},
		{"server name", &named, ""},
		{"wrong server name", &wrongName, "state.redis"},
		{"no client certificate", noClient, "state.redis"},
		{"system roots only", nil, "state.redis"},
		{"missing CA file", missing, "nope.pem"},
		{"certificate and key of different pairs", mismatch, "do not form a key pair"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := OpenRedis("state.redis", config.Redis{URL: srv.URL, TLS: tc.tls, DialTimeout: time.Second, ReadTimeout: time.Second})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("OpenRedis: %v", err)
				}
				defer st.Close()
				if err := st.Check(t.Context()); err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil {
				st.Close()
				t.Fatal("OpenRedis succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

// TestRedisTLSSentinelAndClusterFromConfig: a sentinel or cluster block
// with tls reaches a deployment whose every process (sentinels, cluster
// bus, replication) speaks only TLS; without the block it does not.
func TestRedisTLSSentinelAndClusterFromConfig(t *testing.T) {
	dir, files := tlsFiles(t)
	ca := &config.RedisTLS{CAFile: files.CA}
	withClientCert := &config.RedisTLS{CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey}
	cases := []struct {
		name  string
		start func(dir string) (config.Redis, func(), error)
	}{
		{"Sentinel", func(dir string) (config.Redis, func(), error) {
			d, err := redistest.NewTLSSentinel(dir, files)
			if err != nil {
				return config.Redis{}, nil, err
			}
			return config.Redis{Sentinel: &config.RedisSentinel{MasterName: d.MasterName, Addrs: d.SentinelAddrs}, TLS: ca}, d.Stop, nil
		}},
		{"Cluster", func(dir string) (config.Redis, func(), error) {
			cl, err := redistest.NewTLSCluster(dir, 3, files)
			if err != nil {
				return config.Redis{}, nil, err
			}
			return config.Redis{Cluster: &config.RedisCluster{Addrs: cl.Addrs}, TLS: withClientCert}, cl.Stop, nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, stop, err := tc.start(filepath.Join(dir, tc.name))
			if err != nil {
				t.Fatalf("start TLS %s: %v", tc.name, err)
			}
			t.Cleanup(stop)
			st, err := OpenRedis("state.redis", r)
			if err != nil {
				t.Fatalf("OpenRedis: %v", err)
			}
			defer st.Close()
			if err := st.Check(t.Context()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if ok, err := st.SetIfAbsent(t.Context(), "tls-nonce", time.Minute); err != nil || !ok {
				t.Fatalf("SetIfAbsent = %v, %v", ok, err)
			}
			r.TLS = nil
			if st, err := OpenRedis("state.redis", r); err == nil {
				st.Close()
				t.Fatal("a plain-TCP client reached the TLS deployment")
			}
		})
	}
}

// tlsFiles skips without redis-server and makes certificates in a fresh
// directory, which it returns too.
func tlsFiles(t *testing.T) (string, *redistest.TLSFiles) {
	t.Helper()
	redistest.Need(t)
	dir := t.TempDir()
	files, err := redistest.NewTLSFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, files
}
