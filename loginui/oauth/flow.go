package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
)

// The OAuth flow cookie carries what the callback must check: the state,
// the PKCE verifier, the OIDC nonce, rd, the provider and the flow kind
// (login, or associate with the user id). It is AES-256-GCM sealed under
// an HKDF subkey of the flow-cookie secret, so the browser can neither
// read nor alter it, lives five minutes, is HttpOnly, SameSite=Lax (the
// provider's redirect back is a top-level cross-site GET) and scoped to
// /api/auth/, and is cleared by every callback.

const (
	flowLogin     = "login"
	flowAssociate = "associate"

	flowCookieSuffix = "_oauth"
	flowCookiePath   = "/api/auth/"
	flowLifetime     = 5 * time.Minute
	flowAAD          = "gatehouse/oauth-flow/v1"
	maxFlowCookie    = 2048
)

var errFlowInvalid = errors.New("loginui: oauth flow cookie invalid")

// oauthFlow is the sealed content of the flow cookie.
type oauthFlow struct {
	State    string `json:"s"`
	Verifier string `json:"v"`
	Nonce    string `json:"n"`
	RD       string `json:"r,omitempty"`
	Provider string `json:"p"`
	Kind     string `json:"k"`
	UserID   string `json:"u,omitempty"`
	Expires  int64  `json:"e"`
}

// flowBox seals and opens flow cookies (signing.SealBox: AES-256-GCM,
// the cookie's purpose as additional data).
func (oa *Feature) flowBox() (*signing.SealBox, error) {
	return signing.NewSealBox(oa.flowKey, flowAAD)
}

// sealFlow encrypts f into a cookie value.
func (oa *Feature) sealFlow(f *oauthFlow) (string, error) {
	pt, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	box, err := oa.flowBox()
	if err != nil {
		return "", err
	}
	return box.Seal(pt)
}

// openFlow decrypts and checks a cookie value: authentic, unexpired.
func (oa *Feature) openFlow(v string) (*oauthFlow, error) {
	if !web.IsB64URL(v) {
		return nil, errFlowInvalid
	}
	box, err := oa.flowBox()
	if err != nil {
		return nil, errFlowInvalid
	}
	pt, err := box.Open(v, maxFlowCookie)
	if err != nil {
		return nil, errFlowInvalid
	}
	var f oauthFlow
	if json.Unmarshal(pt, &f) != nil || f.State == "" || f.Verifier == "" || f.Nonce == "" {
		return nil, errFlowInvalid
	}
	if !oa.c.Now().Before(time.Unix(f.Expires, 0)) {
		return nil, errFlowInvalid
	}
	return &f, nil
}

func (oa *Feature) setFlowCookie(w http.ResponseWriter, v string) {
	http.SetCookie(w, &http.Cookie{
		Name: oa.c.CookieName + flowCookieSuffix, Value: v, Path: flowCookiePath,
		MaxAge: int(flowLifetime.Seconds()), HttpOnly: true, Secure: oa.c.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (oa *Feature) clearFlowCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: oa.c.CookieName + flowCookieSuffix, Value: "", Path: flowCookiePath,
		MaxAge: -1, HttpOnly: true, Secure: oa.c.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// newState is 256 random bits, base64url.
func newState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// stateUsedKey is the Markers entry that makes a state single use; it is
// a digest, so the store never holds a usable state.
func stateUsedKey(state string) string {
	s := sha256.Sum256([]byte("gatehouse/oauth-state\x00" + state))
	return "oauth-state:" + hex.EncodeToString(s[:16])
}

// takeFlow checks the callback's state against the flow cookie: the cookie
// must open, belong to this provider and flow kind, carry the same state
// (constant-time) and not have been used (Markers set-if-absent). The
// cookie is cleared whatever the outcome. storeErr reports a Markers
// failure (503), not a bad state.
func (oa *Feature) takeFlow(w http.ResponseWriter, r *http.Request, provider, kind string) (f *oauthFlow, storeErr bool) {
	raw := web.CookieValue(r, oa.c.CookieName+flowCookieSuffix)
	oa.clearFlowCookie(w)
	state := r.URL.Query().Get("state")
	fl, err := oa.openFlow(raw)
	if err != nil || state == "" || len(state) > 128 || fl.Provider != provider || fl.Kind != kind ||
		len(state) != len(fl.State) || !constEq(state, fl.State) {
		return nil, false
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	ok, err := oa.c.Markers.SetIfAbsent(ctx, stateUsedKey(fl.State), flowLifetime+time.Minute)
	if err != nil {
		return nil, true
	}
	if !ok {
		return nil, false
	}
	return fl, false
}
