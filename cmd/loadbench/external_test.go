package main

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/jwks"
)

// TestExternalIssuerTokensVerifyWithItsJWKS: the benchmark's external
// tokens verify against the key set its loopback issuer serves, with the
// iss, aud and kid the instances' external_jwt section expects; a row
// that answers 401 would otherwise measure the deny path.
func TestExternalIssuerTokensVerifyWithItsJWKS(t *testing.T) {
	e, err := startExternalIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	if !strings.HasPrefix(e.issuer, "http://127.0.0.1:") {
		t.Fatalf("issuer %q is not on loopback", e.issuer)
	}
	resp, err := http.Get(e.issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	set, err := jwks.ParseJWKS(body)
	if err != nil {
		t.Fatalf("the served JWKS does not parse: %v\n%s", err, body)
	}
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			tok, err := e.token(alg, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var kid string
			claims := jwt.MapClaims{}
			_, err = jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) {
				kid, _ = tk.Header["kid"].(string)
				k, err := set.Key(kid, alg)
				if err != nil {
					return nil, err
				}
				return k.Public(), nil
			}, jwt.WithValidMethods([]string{alg}), jwt.WithIssuer(e.issuer), jwt.WithAudience(extAudience),
				jwt.WithIssuedAt(), jwt.WithExpirationRequired())
			if err != nil {
				t.Fatalf("token does not verify with the JWKS: %v", err)
			}
			if sub, _ := claims.GetSubject(); sub != extSubject {
				t.Errorf("sub = %q, want %q", sub, extSubject)
			}
		})
	}
	if _, err := e.token("HS256", time.Now()); err == nil {
		t.Error("minted a token for an alg it has no key for")
	}
}

// TestExternalInstanceConfigLoads: the YAML an external instance gets
// (external_jwt, and token_cache off for the no-cache one) is a config
// gatehouse loads with the issuer and the cache setting intended.
func TestExternalInstanceConfigLoads(t *testing.T) {
	e, err := startExternalIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	dir := t.TempDir()
	in, err := newInstance("gatehouse", dir, "ext_nocache", instanceAlgs["ext_nocache"], false, false,
		e.configYAML()+"verifier:\n  token_cache: {max_entries: 0}\n")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(in.cfg, func(string) string { return "" })
	if err != nil {
		b, _ := os.ReadFile(filepath.Clean(in.cfg))
		t.Fatalf("%v\n%s", err, b)
	}
	if _, err := config.EnsureDataDir(cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		var ve *config.ValidationError
		if !errors.As(err, &ve) || len(ve.Errors()) > 0 {
			t.Fatalf("the instance config does not validate: %v", err)
		}
	}
	iss := cfg.ExternalJWT.Issuers
	if len(iss) != 1 || iss[0].Issuer != e.issuer || iss[0].JWKSURL != e.issuer+"/jwks" || len(iss[0].Audiences) != 1 || iss[0].Audiences[0] != extAudience {
		t.Fatalf("external_jwt = %+v", iss)
	}
	if cfg.Verifier.TokenCache.MaxEntries != 0 {
		t.Fatalf("token_cache.max_entries = %d, want 0 (off)", cfg.Verifier.TokenCache.MaxEntries)
	}
}

// TestEveryExternalKindHasAnAlgAndAnInstanceThatTrustsTheIssuer keeps the
// kind table, extAlgs and the instance maps in step.
func TestEveryExternalKindHasAnAlgAndAnInstanceThatTrustsTheIssuer(t *testing.T) {
	for _, k := range kinds {
		if !strings.HasPrefix(k.key, "ext_") {
			continue
		}
		if extAlgs[k.key] == "" {
			t.Errorf("%s: no alg in extAlgs", k.key)
		}
		if !externalInstances[k.inst] {
			t.Errorf("%s: instance %s does not trust the external issuer", k.key, k.inst)
		}
		if strings.HasSuffix(k.key, "_nocache") != noTokenCache[k.inst] {
			t.Errorf("%s: instance %s has the wrong token cache setting", k.key, k.inst)
		}
	}
}
