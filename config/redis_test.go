package config_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidateRedisTopologies: each section takes exactly one of url,
// sentinel and cluster, and every problem names its path.
func TestValidateRedisTopologies(t *testing.T) {
	const sn = "sentinel: {master_name: mymaster, addrs: ['10.0.0.1:26379', '10.0.0.2:26379']}"
	const cl = "cluster: {addrs: ['10.0.0.1:6379']}"
	cases := []struct {
		name string
		yml  string
		path string // "" when the section is valid
	}{
		{"url", "state: {backend: redis, redis: {url: 'redis://10.0.0.1:6379/0'}}", ""},
		{"sentinel", "state: {backend: redis, redis: {" + sn + "}}", ""},
		{"cluster", "shared: {backend: redis, redis: {" + cl + "}}", ""},
		{"sentinel with tls and auth", "state: {backend: redis, redis: {" + sn[:len(sn)-1] + ", username: gh, password: pw, sentinel_password: spw}, tls: {ca_file: ca.pem, server_name: redis.internal}, pool_size: 50, dial_timeout: 1s, read_timeout: 500ms, write_timeout: 500ms}}", ""},
		{"rediss with tls", "state: {backend: redis, redis: {url: 'rediss://10.0.0.1:6380/0', tls: {ca_file: ca.pem}}}", ""},
		{"none", "state: {backend: redis}", "state.redis.url"},
		{"url and sentinel", "state: {backend: redis, redis: {url: 'redis://10.0.0.1:6379/0', " + sn + "}}", "state.redis"},
		{"sentinel and cluster", "shared: {backend: redis, redis: {" + sn + ", " + cl + "}}", "shared.redis"},
		{"sentinel without master", "state: {backend: redis, redis: {sentinel: {addrs: ['10.0.0.1:26379']}}}", "state.redis.sentinel.master_name"},
		{"sentinel master with space", "state: {backend: redis, redis: {sentinel: {master_name: 'a b', addrs: ['10.0.0.1:26379']}}}", "state.redis.sentinel.master_name"},
		{"sentinel without addrs", "state: {backend: redis, redis: {sentinel: {master_name: m}}}", "state.redis.sentinel.addrs"},
		{"sentinel addr without port", "state: {backend: redis, redis: {sentinel: {master_name: m, addrs: ['10.0.0.1']}}}", "state.redis.sentinel.addrs[0]"},
		{"sentinel addr twice", "state: {backend: redis, redis: {sentinel: {master_name: m, addrs: ['10.0.0.1:1', '10.0.0.1:1']}}}", "state.redis.sentinel.addrs[1]"},
		{"sentinel username without password", "state: {backend: redis, redis: {sentinel: {master_name: m, addrs: ['10.0.0.1:1'], sentinel_username: u}}}", "state.redis.sentinel.sentinel_username"},
		{"cluster without addrs", "shared: {backend: redis, redis: {cluster: {}}}", "shared.redis.cluster.addrs"},
		{"cluster addr without host", "shared: {backend: redis, redis: {cluster: {addrs: [':6379']}}}", "shared.redis.cluster.addrs[0]"},
		{"cluster addr port", "shared: {backend: redis, redis: {cluster: {addrs: ['h:99999']}}}", "shared.redis.cluster.addrs[0]"},
		{"tls with redis://", "state: {backend: redis, redis: {url: 'redis://10.0.0.1:6379/0', tls: {ca_file: ca.pem}}}", "state.redis.tls"},
		{"tls cert without key", "state: {backend: redis, redis: {" + cl + ", tls: {cert_file: c.pem}}}", "state.redis.tls"},
		{"negative pool", "state: {backend: redis, redis: {" + cl + ", pool_size: -1}}", "state.redis.pool_size"},
		{"huge pool", "state: {backend: redis, redis: {" + cl + ", pool_size: 100000}}", "state.redis.pool_size"},
		{"negative dial timeout", "state: {backend: redis, redis: {" + cl + ", dial_timeout: -1s}}", "state.redis.dial_timeout"},
		{"long read timeout", "state: {backend: redis, redis: {" + cl + ", read_timeout: 2m}}", "state.redis.read_timeout"},
		{"long write timeout", "shared: {backend: redis, redis: {" + cl + ", write_timeout: 1h}}", "shared.redis.write_timeout"},
		{"ack: one replica", "state: {backend: redis, redis: {" + cl + ", min_replicas_ack: 1}}", ""},
		{"ack: timeout set", "shared: {backend: redis, redis: {" + cl + ", min_replicas_ack: 2, replica_ack_timeout: 500ms, read_timeout: 1s}}", ""},
		{"ack: negative", "state: {backend: redis, redis: {" + cl + ", min_replicas_ack: -1}}", "state.redis.min_replicas_ack"},
		{"ack: too many", "shared: {backend: redis, redis: {" + cl + ", min_replicas_ack: 17}}", "shared.redis.min_replicas_ack"},
		{"ack: negative timeout", "state: {backend: redis, redis: {" + cl + ", replica_ack_timeout: -1s}}", "state.redis.replica_ack_timeout"},
		{"ack: long timeout", "state: {backend: redis, redis: {" + cl + ", min_replicas_ack: 1, replica_ack_timeout: 1m}}", "state.redis.replica_ack_timeout"},
		{"ack: timeout not below read timeout", "state: {backend: redis, redis: {" + cl + ", min_replicas_ack: 1, replica_ack_timeout: 1s, read_timeout: 1s}}", "state.redis.replica_ack_timeout"},
		{"ack: default timeout beyond read timeout", "state: {backend: redis, redis: {" + cl + ", min_replicas_ack: 1, read_timeout: 500ms}}", "state.redis.replica_ack_timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := problems(t, load(t, tc.yml+"\n").Validate())
			if tc.path == "" {
				for _, p := range ps {
					if !p.Warning && (strings.HasPrefix(p.Path, "state.redis") || strings.HasPrefix(p.Path, "shared.redis")) {
						t.Errorf("valid section refused:%s", dump(ps))
					}
				}
				return
			}
			if !hasError(ps, tc.path) {
				t.Errorf("no error at %s:%s", tc.path, dump(ps))
			}
		})
	}
}

// TestRedisPasswordsFromFileAndEnv: sentinel and cluster passwords come
// from _file or the environment like every secret, TLS paths are
// relative to the config file, and the environment adds no topology.
func TestRedisPasswordsFromFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "redis-pw"), []byte("pw-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := `
state:
  backend: redis
  redis:
    sentinel:
      master_name: mymaster
      addrs: ["10.0.0.1:26379"]
      password_file: redis-pw
    tls: {ca_file: ca.pem, cert_file: /abs/c.pem, key_file: k.pem}
    dial_timeout: 3s
shared:
  backend: redis
  redis:
    cluster: {addrs: ["10.0.0.1:6379"]}
`
	env := envMap(map[string]string{
		"GATEHOUSE_STATE_REDIS_SENTINEL_SENTINEL_PASSWORD": "spw-from-env",
		"GATEHOUSE_SHARED_REDIS_CLUSTER_PASSWORD":          "cpw-from-env",
		"GATEHOUSE_SHARED_REDIS_SENTINEL_PASSWORD":         "no sentinel block: unused",
	})
	c := loadIn(t, dir, yml, env)
	st, sh := c.State.Redis, c.Shared.Redis
	checks := []struct{ name, got, want string }{
		{"password from file", string(st.Sentinel.Password.Bytes()), "pw-from-file"},
		{"sentinel password from env", string(st.Sentinel.SentinelPassword.Bytes()), "spw-from-env"},
		{"cluster password from env", string(sh.Cluster.Password.Bytes()), "cpw-from-env"},
		{"relative ca_file", st.TLS.CAFile, filepath.Join(dir, "ca.pem")},
		{"absolute cert_file", st.TLS.CertFile, "/abs/c.pem"},
		{"relative key_file", st.TLS.KeyFile, filepath.Join(dir, "k.pem")},
		{"shared topology", sh.Topology(), "cluster"},
		{"dial timeout", st.DialTimeout.String(), (3 * time.Second).String()},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	if sh.Sentinel != nil {
		t.Error("an environment variable created a sentinel block")
	}
	ps := problems(t, c.Validate())
	for _, p := range ps {
		if strings.HasPrefix(p.Path, "state.redis") || strings.HasPrefix(p.Path, "shared.redis") {
			t.Errorf("unexpected problem: %s", p)
		}
	}
}

// TestRedisPasswordsNeverPrint: no Redis password shows in any printed,
// marshalled or validated form of the config.
func TestRedisPasswordsNeverPrint(t *testing.T) {
	const pw = "redis-pw-do-not-print"
	yml := `
state:
  backend: redis
  redis: {sentinel: {master_name: m, addrs: ["h:1", "h:1"], username: u, password: "` + pw + `1", sentinel_password: "` + pw + `2"}}
shared:
  backend: redis
  redis: {cluster: {addrs: ["h:1"], password: "` + pw + `3"}, url: "redis://:` + pw + `4@h:1/0"}
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte(pw+"5"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := loadIn(t, dir, yml, nil)
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", *c), "%#v": fmt.Sprintf("%#v", *c),
		"sentinel %#v": fmt.Sprintf("%#v", *c.State.Redis.Sentinel), "json": string(j),
	}
	if err := c.Validate(); err != nil {
		outs["validate"] = err.Error()
	}
	for name, out := range outs {
		if strings.Contains(out, pw) {
			t.Errorf("%s shows a Redis password: %s", name, out)
		}
	}
	both := loadIn(t, dir, "state: {backend: redis, redis: {cluster: {addrs: ['h:1'], password: x, password_file: pw}}}\n", nil)
	if ps := problems(t, both.Validate()); !hasError(ps, "state.redis.cluster.password") {
		t.Errorf("password inline and as _file accepted:%s", dump(ps))
	}
}
