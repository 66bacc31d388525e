package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/jwks"
)

// JWKSOptions maps one validated external_jwt issuer (presets and
// defaults applied by config.Load) onto its key source's options. Plain
// http to a loopback host is allowed only outside production, as
// config.Validate allows it. client does the fetches.
func JWKSOptions(e config.ExternalIssuer, production bool, client *http.Client) jwks.Options {
	return jwks.Options{
		Issuer:            e.Issuer,
		Discovery:         e.Discovery,
		JWKSURL:           e.JWKSURL,
		Client:            client,
		AllowLoopbackHTTP: !production,
		MaxBody:           e.JWKS.MaxBytes,
		Timeout:           e.JWKS.Timeout,
		MinTTL:            e.JWKS.MinTTL,
		MaxTTL:            e.JWKS.MaxTTL,
		StaleFor:          e.JWKS.StaleFor,
	}
}

// CheckExternalJWKS fetches the key set of every external_jwt issuer once
// (discovery first when configured), within the issuer's jwks.timeout per
// request, and reports an issuer whose key set cannot be fetched or holds
// no signature key, at the issuer's path. An issuer for which skip(path) is
// true (it already failed validation) is not contacted. Nothing is kept.
func CheckExternalJWKS(ctx context.Context, cfg *config.Config, client *http.Client, skip func(path string) bool) []config.Problem {
	var ps []config.Problem
	for i, e := range cfg.ExternalJWT.Issuers {
		path := fmt.Sprintf("external_jwt.issuers[%d]", i)
		if skip != nil && skip(path) {
			continue
		}
		src, err := jwks.New(JWKSOptions(e, cfg.Mode == config.ModeProduction, client))
		if err == nil {
			err = src.Refresh(ctx)
		}
		switch {
		case err != nil:
			ps = append(ps, config.Problem{Path: path, Message: "cannot fetch the key set: " + err.Error()})
		case src.Stats().Keys == 0:
			ps = append(ps, config.Problem{Path: path, Message: "the key set holds no signature key, so no token of this issuer can verify"})
		}
	}
	return ps
}
