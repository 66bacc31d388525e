package oauth

import (
	"context"
	"errors"
	"strconv"

	"golang.org/x/oauth2"
)

// oauthIdentity is what a provider asserts about the person.
type oauthIdentity struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

var errIdentity = errors.New("loginui: provider identity unavailable")

// identity reads the person behind tok: the verified ID token (and the
// userinfo endpoint when the token carries no email) for OIDC providers,
// the user API for GitHub.
func (oa *Feature) identity(ctx context.Context, pr *oauthProvider, tok *oauth2.Token, nonce string) (*oauthIdentity, error) {
	if pr.oidc != nil {
		raw, _ := tok.Extra("id_token").(string)
		cl, err := pr.oidc.verifyIDToken(ctx, raw, nonce)
		if err != nil {
			return nil, err
		}
		id := &oauthIdentity{Subject: cl.Subject, Email: cl.Email, EmailVerified: emailVerifiedClaim(cl.EmailVerified), Name: cl.Name}
		if id.Email == "" {
			d, err := pr.oidc.discover(ctx)
			if err == nil && d.UserinfoEndpoint != "" && tok.AccessToken != "" {
				var ui struct {
					Sub           string `json:"sub"`
					Email         string `json:"email"`
					EmailVerified any    `json:"email_verified"`
				}
				// The userinfo answer counts only for the same subject.
				if getJSON(ctx, oa.client, d.UserinfoEndpoint, tok.AccessToken, maxAPIBytes, &ui) == nil && ui.Sub == id.Subject {
					id.Email, id.EmailVerified = ui.Email, emailVerifiedClaim(ui.EmailVerified)
				}
			}
		}
		return id, nil
	}
	return oa.githubIdentity(ctx, pr, tok)
}

// githubIdentity asks GitHub's API for the user and its primary verified
// email (GET /user, GET /user/emails).
func (oa *Feature) githubIdentity(ctx context.Context, pr *oauthProvider, tok *oauth2.Token) (*oauthIdentity, error) {
	if tok.AccessToken == "" {
		return nil, errIdentity
	}
	var u struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if err := getJSON(ctx, oa.client, pr.cfg.APIBase+"/user", tok.AccessToken, maxAPIBytes, &u); err != nil || u.ID <= 0 {
		return nil, errIdentity
	}
	id := &oauthIdentity{Subject: strconv.FormatInt(u.ID, 10), Name: u.Name}
	if id.Name == "" {
		id.Name = u.Login
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := getJSON(ctx, oa.client, pr.cfg.APIBase+"/user/emails", tok.AccessToken, maxAPIBytes, &emails); err != nil {
		return nil, errIdentity
	}
	for _, e := range emails {
		if e.Primary {
			id.Email, id.EmailVerified = e.Email, e.Verified
			break
		}
	}
	return id, nil
}

// sealTokens seals the provider's tokens when the provider keeps them;
// otherwise both are empty and nothing is stored.
func (oa *Feature) sealTokens(pr *oauthProvider, tok *oauth2.Token) (access, refresh string, err error) {
	if !pr.cfg.StoreTokens {
		return "", "", nil
	}
	ring := oa.tokens.Load()
	if ring == nil {
		return "", "", errIdentity
	}
	if tok.AccessToken != "" {
		if access, err = ring.Seal([]byte(tok.AccessToken)); err != nil {
			return "", "", err
		}
	}
	if tok.RefreshToken != "" {
		if refresh, err = ring.Seal([]byte(tok.RefreshToken)); err != nil {
			return "", "", err
		}
	}
	return access, refresh, nil
}
