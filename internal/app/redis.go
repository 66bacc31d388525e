package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"reflect"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keystore/redis"
)

// redisOpenTimeout bounds connecting to a Redis deployment at start-up
// and in check-config.
const redisOpenTimeout = 10 * time.Second

// maxTLSFileBytes bounds a CA, certificate or key file read for Redis TLS.
const maxTLSFileBytes = 1 << 20

// RedisOptions maps one validated Redis section onto the store's
// options, reading the TLS files it names. Errors name the key and the
// file, never a password or a file's content.
func RedisOptions(r config.Redis) (redis.Options, error) {
	o := redis.Options{
		URL:          r.URL,
		PoolSize:     r.PoolSize,
		DialTimeout:  r.DialTimeout,
		ReadTimeout:  r.ReadTimeout,
		WriteTimeout: r.WriteTimeout,

		MinReplicasAck:    r.MinReplicasAck,
		ReplicaAckTimeout: r.ReplicaAckTimeout,
	}
	if sn := r.Sentinel; sn != nil {
		o.Sentinel = &redis.Sentinel{
			MasterName: sn.MasterName, Addrs: sn.Addrs,
			Username: sn.Username, Password: string(sn.Password.Bytes()),
			SentinelUsername: sn.SentinelUsername, SentinelPassword: string(sn.SentinelPassword.Bytes()),
		}
	}
	if cl := r.Cluster; cl != nil {
		o.Cluster = &redis.Cluster{Addrs: cl.Addrs, Username: cl.Username, Password: string(cl.Password.Bytes())}
	}
	if r.TLS != nil {
		tc, err := redisTLS(r.TLS)
		if err != nil {
			return redis.Options{}, fmt.Errorf("tls: %w", err)
		}
		o.TLS = tc
	}
	return o, nil
}

// redisTLS builds the TLS client settings from the named files.
func redisTLS(t *config.RedisTLS) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := readTLSFile(t.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		certPEM, err := readTLSFile(t.CertFile)
		if err != nil {
			return nil, err
		}
		keyPEM, err := readTLSFile(t.KeyFile)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			// The parse error names no key material.
			return nil, fmt.Errorf("cert_file %s and key_file %s do not form a key pair: %w", t.CertFile, t.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func readTLSFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxTLSFileBytes {
		return nil, fmt.Errorf("%s is not a regular file of at most 1 MiB", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	return b, nil
}

// OpenRedis connects to the Redis deployment of one section (path
// "state.redis" or "shared.redis") and checks that it answers.
func OpenRedis(path string, r config.Redis) (*redis.Store, error) {
	o, err := RedisOptions(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisOpenTimeout)
	defer cancel()
	st, err := redis.Open(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// SameRedis reports whether two sections name the same deployment with
// the same settings, so that one store serves both (state and shared).
func SameRedis(a, b config.Redis) bool {
	// Config values, not attacker input: a plain comparison is fine.
	return reflect.DeepEqual(a, b)
}

// CheckRedis is check-config's look at the Redis deployments the config
// names (production mode): for each of state.redis and shared.redis in
// use, the problem that stops it from holding gatehouse's state, if any —
// unreachable, refused credentials, not a primary, wrong topology, too
// old (redis.Store.Check). Problems name the section, never a password.
// A section for which skip(path) is true (it already failed validation)
// is not dialled.
func CheckRedis(cfg *config.Config, skip func(path string) bool) []config.Problem {
	type section struct {
		path string
		r    config.Redis
	}
	var sections []section
	if cfg.State.Backend == "redis" {
		sections = append(sections, section{"state.redis", cfg.State.Redis})
	}
	if cfg.Shared.Backend == "redis" && (cfg.State.Backend != "redis" || !SameRedis(cfg.Shared.Redis, cfg.State.Redis)) {
		sections = append(sections, section{"shared.redis", cfg.Shared.Redis})
	}
	var ps []config.Problem
	for _, sec := range sections {
		if skip != nil && skip(sec.path) {
			continue
		}
		if err := checkRedis(sec.r); err != nil {
			ps = append(ps, config.Problem{Path: sec.path, Message: err.Error()})
		}
	}
	return ps
}

func checkRedis(r config.Redis) error {
	o, err := RedisOptions(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisOpenTimeout)
	defer cancel()
	st, err := redis.Open(ctx, o)
	if err != nil {
		return fmt.Errorf("cannot connect: %w", err)
	}
	defer st.Close()
	return st.Check(ctx)
}
