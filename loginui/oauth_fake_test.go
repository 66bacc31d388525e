package loginui_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeOIDC is an OIDC provider on 127.0.0.1: discovery, JWKS, an
// authorize endpoint that redirects straight back with a code, and a
// token endpoint that checks client authentication and the PKCE verifier
// and returns a signed ID token.
type fakeOIDC struct {
	t   testing.TB
	srv *httptest.Server
	now func() time.Time

	rsaKey *rsa.PrivateKey
	ecKey  *ecdsa.PrivateKey

	mu sync.Mutex
	// Per-test knobs.
	issuerInDiscovery string                       // "" = srv.URL
	claims            func(c jwt.MapClaims)        // edits the ID token claims
	sign              func(c jwt.MapClaims) string // replaces signing
	corruptChallenge  bool                         // store a wrong PKCE challenge
	tokenHits         int                          // token endpoint calls
	discoveryHits     int                          // discovery calls
	jwksKids          []string                     // kids published; default "rsa1","ec1"
	subject           string                       // default "sub-1"
	email             string                       // default "alice@example.test"
	codes             map[string]fakeAuth          // code -> request
	lastAuthorize     url.Values                   // query of the last authorize request
	tokenForm         url.Values                   // last token request form
	extraHandlers     map[string]http.HandlerFunc  // path -> handler
	onToken           func(w http.ResponseWriter) bool
}

type fakeAuth struct {
	challenge, nonce, redirect string
}

const fakeClientID = "client-1"

var fakeClientSecret = "client-secret-0123456789-abcdefghijkl"

func newFakeOIDC(t testing.TB, now func() time.Time) *fakeOIDC {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeOIDC{t: t, now: now, rsaKey: rk, ecKey: ek, codes: map[string]fakeAuth{}, subject: "sub-1", email: "alice@example.test"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (f *fakeOIDC) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	h := f.extraHandlers[r.URL.Path]
	f.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		f.mu.Lock()
		f.discoveryHits++
		iss := f.issuerInDiscovery
		f.mu.Unlock()
		if iss == "" {
			iss = f.srv.URL
		}
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer": iss, "authorization_endpoint": f.srv.URL + "/authorize", "token_endpoint": f.srv.URL + "/token",
			"jwks_uri": f.srv.URL + "/jwks",
		})
	case "/jwks":
		f.mu.Lock()
		kids := f.jwksKids
		f.mu.Unlock()
		if kids == nil {
			kids = []string{"rsa1", "ec1"}
		}
		var keys []map[string]string
		for _, kid := range kids {
			if strings.HasPrefix(kid, "ec") {
				keys = append(keys, map[string]string{"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
					"x": b64(f.ecKey.X.FillBytes(make([]byte, 32))), "y": b64(f.ecKey.Y.FillBytes(make([]byte, 32)))})
				continue
			}
			keys = append(keys, map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
				"n": b64(f.rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(f.rsaKey.E)).Bytes())})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	case "/authorize":
		q := r.URL.Query()
		if q.Get("client_id") != fakeClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
			http.Error(w, "bad authorize request", http.StatusBadRequest)
			return
		}
		code := "code-" + b64(randBytes(12))
		f.mu.Lock()
		f.lastAuthorize = q
		ch := q.Get("code_challenge")
		if f.corruptChallenge {
			ch = b64(randBytes(32))
		}
		f.codes[code] = fakeAuth{challenge: ch, nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
		f.mu.Unlock()
		to, _ := url.Parse(q.Get("redirect_uri"))
		v := url.Values{"code": {code}, "state": {q.Get("state")}}
		to.RawQuery = v.Encode()
		http.Redirect(w, r, to.String(), http.StatusFound)
	case "/token":
		f.token(w, r)
	default:
		http.NotFound(w, r)
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func (f *fakeOIDC) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenHits++
	if f.onToken != nil && f.onToken(w) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.tokenForm = r.PostForm
	id, sec, ok := r.BasicAuth()
	if !ok {
		id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	id, _ = url.QueryUnescape(id)
	sec, _ = url.QueryUnescape(sec)
	if id != fakeClientID || sec != fakeClientSecret {
		writeOAuthErr(w, "invalid_client")
		return
	}
	a, ok := f.codes[r.PostForm.Get("code")]
	delete(f.codes, r.PostForm.Get("code"))
	if !ok || r.PostForm.Get("redirect_uri") != a.redirect {
		writeOAuthErr(w, "invalid_grant")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if b64(sum[:]) != a.challenge {
		writeOAuthErr(w, "invalid_grant")
		return
	}
	now := f.now()
	c := jwt.MapClaims{
		"iss": f.srv.URL, "aud": fakeClientID, "sub": f.subject, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": a.nonce, "email": f.email, "email_verified": true, "name": "Alice",
	}
	if f.claims != nil {
		f.claims(c)
	}
	var idt string
	if f.sign != nil {
		idt = f.sign(c)
	} else {
		idt = f.signRS(c, "rsa1")
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "provider-access-token-xyz", "refresh_token": "provider-refresh-token-xyz",
		"token_type": "Bearer", "expires_in": 3600, "id_token": idt})
}

func writeOAuthErr(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func (f *fakeOIDC) signRS(c jwt.MapClaims, kid string) string {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	t.Header["kid"] = kid
	s, err := t.SignedString(f.rsaKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fakeOIDC) signES(c jwt.MapClaims, kid string) string {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = kid
	s, err := t.SignedString(f.ecKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fakeOIDC) set(fn func(f *fakeOIDC)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// fakeGitHub answers GitHub's OAuth and user API on 127.0.0.1.
type fakeGitHub struct {
	srv *httptest.Server

	mu     sync.Mutex
	userID int64
	emails []map[string]any
	codes  map[string]string // code -> challenge
}

func newFakeGitHub(t testing.TB) *fakeGitHub {
	g := &fakeGitHub{userID: 4242, codes: map[string]string{},
		emails: []map[string]any{{"email": "octo@example.test", "primary": true, "verified": true}}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch r.URL.Path {
	case "/login/oauth/authorize":
		q := r.URL.Query()
		code := "gh-" + b64(randBytes(9))
		g.codes[code] = q.Get("code_challenge")
		to, _ := url.Parse(q.Get("redirect_uri"))
		to.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, to.String(), http.StatusFound)
	case "/login/oauth/access_token":
		_ = r.ParseForm()
		ch, ok := g.codes[r.PostForm.Get("code")]
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || b64(sum[:]) != ch || r.PostForm.Get("client_secret") != fakeClientSecret {
			writeOAuthErr(w, "bad_verification_code")
			return
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = w.Write([]byte("access_token=gho_secrettoken&token_type=bearer&scope=read%3Auser"))
	case "/api/user":
		if r.Header.Get("Authorization") != "Bearer gho_secrettoken" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": g.userID, "login": "octo", "name": "Octo Cat"})
	case "/api/user/emails":
		if r.Header.Get("Authorization") != "Bearer gho_secrettoken" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(g.emails)
	default:
		http.NotFound(w, r)
	}
}
