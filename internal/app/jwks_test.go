package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
)

// TestJWKSOptionsTakeTheIssuersBounds: the jwks section reaches the
// Source; zero values are left for the jwks defaults; plain http to
// loopback only outside production.
func TestJWKSOptionsTakeTheIssuersBounds(t *testing.T) {
	ic := config.ExternalIssuer{Issuer: "https://idp.example.test/", Discovery: true, JWKS: config.JWKSFetch{
		MinTTL: time.Minute, MaxTTL: 2 * time.Hour, StaleFor: 3 * time.Minute, Timeout: 4 * time.Second, MaxBytes: 5000}}
	o := app.JWKSOptions(ic, true, http.DefaultClient)
	if o.Issuer != ic.Issuer || !o.Discovery || o.JWKSURL != "" || o.AllowLoopbackHTTP ||
		o.MinTTL != time.Minute || o.MaxTTL != 2*time.Hour || o.StaleFor != 3*time.Minute || o.Timeout != 4*time.Second || o.MaxBody != 5000 {
		t.Fatalf("options %+v do not carry the config %+v", o, ic)
	}
	z := app.JWKSOptions(config.ExternalIssuer{Issuer: "https://idp.example.test", JWKSURL: "https://idp.example.test/k"}, false, http.DefaultClient)
	if z.MinTTL != 0 || z.MaxTTL != 0 || z.StaleFor != 0 || z.Timeout != 0 || z.MaxBody != 0 || !z.AllowLoopbackHTTP {
		t.Fatalf("zero bounds must stay zero for the jwks defaults: %+v", z)
	}
}
