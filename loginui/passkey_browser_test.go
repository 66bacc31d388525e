package loginui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/webauthntest"
	"github.com/gatehouse/gatehouse/loginui"
)

// pkBrowserHarness is a portal with passkeys whose public URL is
// http://localhost:PORT: WebAuthn refuses IP addresses as RP IDs, and
// localhost is a secure context over plain http.
func pkBrowserHarness(t *testing.T) (*harness, string) {
	t.Helper()
	var pub string
	// TOTP is configured (and off for the user) so that /account shows
	// whether the session is a password session: only one may set it up.
	h := newHarness(t, withTOTP(t, withPasskeys(t, func(o *loginui.Options) {
		o.Now = time.Now
		o.PublicURL = strings.Replace(o.PublicURL, "127.0.0.1", "localhost", 1)
		pub = o.PublicURL
		o.Passkey.Origins = []string{pub}
	})))
	return h, pub
}

// consoleWatch keeps the console messages (console API calls, uncaught
// exceptions, the browser log) of a tab.
type consoleWatch struct {
	mu   sync.Mutex
	msgs []string
}

func watchConsole(t *testing.T, ctx context.Context) *consoleWatch {
	t.Helper()
	w := &consoleWatch{}
	add := func(s string) { w.mu.Lock(); w.msgs = append(w.msgs, s); w.mu.Unlock() }
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			add(string(ev.Entry.Level) + " " + string(ev.Entry.Source) + ": " + ev.Entry.Text + " " + ev.Entry.URL)
		case *runtime.EventConsoleAPICalled:
			var b strings.Builder
			for _, a := range ev.Args {
				b.WriteString(string(a.Value))
				b.WriteString(a.Description)
				b.WriteByte(' ')
			}
			add("console." + string(ev.Type) + ": " + b.String())
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			s := d.Text
			if d.Exception != nil {
				s += " " + d.Exception.Description
			}
			add("exception: " + s)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// csp returns the messages about Content Security Policy violations.
func (w *consoleWatch) csp() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, m := range w.msgs {
		if strings.Contains(m, "Content Security Policy") {
			out = append(out, m)
		}
	}
	return out
}

func (w *consoleWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

// virtualAuthenticator adds a CTAP2 platform authenticator with resident
// keys and user verification that answers at once.
func virtualAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
		Transport:      webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	if err != nil {
		t.Fatalf("adding a virtual authenticator: %v", err)
	}
	return res.AuthenticatorID
}

func authenticatorCredentials(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		t.Fatalf("reading the authenticator's credentials: %v", err)
	}
	return res.Credentials
}

func signCount(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) float64 {
	t.Helper()
	creds := authenticatorCredentials(t, ctx, id)
	if len(creds) != 1 {
		t.Fatalf("%d credentials on the authenticator", len(creds))
	}
	return creds[0].SignCount
}

// onNewDocuments runs source in every later document of the tab, before
// the page's scripts; the returned func stops it for the documents after
// (it takes the test that calls it: a subtest may undo what its parent
// did).
func onNewDocuments(t *testing.T, ctx context.Context, source string) func(*testing.T) {
	t.Helper()
	res, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: source})
	if err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T) {
		t.Helper()
		if _, err := chromedp.Call(ctx, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: res.Identifier}); err != nil {
			t.Fatal(err)
		}
	}
}

// recordCredentialGets makes the next documents of the tab record the
// mediation of each navigator.credentials.get call in window.__pkGets (the
// call itself is the browser's); the returned func stops it.
func recordCredentialGets(t *testing.T, ctx context.Context) func(*testing.T) {
	t.Helper()
	return onNewDocuments(t, ctx, `(() => { const get = navigator.credentials.get.bind(navigator.credentials); window.__pkGets = [];
			navigator.credentials.get = (o) => { window.__pkGets.push((o && o.mediation) || "modal"); return get(o); }; })();`)
}

// restoreCredential puts a credential read with GetCredentials back on the
// authenticator. The parameters are written by hand: cdproto's Credential
// always sends generateCmtgKeyOnNextOperation, which an authenticator
// without CMTG refuses.
func restoreCredential(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID, c *webauthn.Credential) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		return tg.Call(ctx, webauthn.CommandAddCredential, map[string]any{"authenticatorId": id, "credential": map[string]any{
			"credentialId": c.CredentialID, "isResidentCredential": c.IsResidentCredential, "rpId": c.RpID,
			"privateKey": c.PrivateKey, "userHandle": c.UserHandle, "signCount": c.SignCount}}, nil)
	}))
	if err != nil {
		t.Fatalf("restoring the credential: %v", err)
	}
}

// browserCookie is the value of the portal's cookie name in the tab, "" when
// there is none.
func browserCookie(t *testing.T, ctx context.Context, pub, name string) string {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{pub + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// step runs actions with a 10 s bound.
func step(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// poll waits (at most 10 s) until the page expression is true.
func poll(t *testing.T, ctx context.Context, desc, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", desc, err)
	}
}

// noConditionalUI makes every later document of the tab run in a browser
// without conditional mediation (the passkey script then offers only the
// button); the returned func undoes it for the documents after.
func noConditionalUI(t *testing.T, ctx context.Context) func(*testing.T) {
	t.Helper()
	return onNewDocuments(t, ctx, `if (window.PublicKeyCredential) { PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false); }`)
}

// TestBrowserPasskeyFlow drives passkeys in headless Chromium with the
// DevTools virtual authenticator, every ceremony run by the portal's own
// script from the page's buttons (the test never calls the WebAuthn API):
// register a passkey on /account; log out and log in with the passkey
// alone, by the button (conditional mediation off, back to rd), by the
// button while the page's conditional request waits (the script aborts it)
// and by the conditional UI (nothing clicked), each a password session
// (passkey+uv);
// password then the passkey on /2fa; step up with it and remove it; the
// removed passkey, and a second authenticator's passkey whose registration
// was cut off before the finish, are refused at login. No page may report
// a Content Security Policy violation.
func TestBrowserPasskeyFlow(t *testing.T) {
	b := browser(t)
	h, pub := pkBrowserHarness(t)
	const email = "passkey@browser.test"
	u := h.addUser(email, false)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>app</title><p id=app>APP OK</p>")
	}))
	defer app.Close()
	ctx := isolated(t, b)
	console := watchConsole(t, ctx)
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{EnableUI: new(false)}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	auth := virtualAuthenticator(t, ctx)
	// Chromium's virtual authenticator answers a conditional request at
	// once, with no gesture, so every login page (the one a logout lands
	// on too) would log in by itself. The tab runs as a browser without
	// conditional mediation except in the subtest that tests it.
	allowConditional := noConditionalUI(t, ctx)

	// Each subtest starts where the one before left the tab.
	stage := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	logout := func(t *testing.T) {
		t.Helper()
		step(t, ctx,
			chromedp.Navigate(pub+"/logout"),
			chromedp.WaitVisible(chromedp.ID("logout-submit")),
			chromedp.Click(chromedp.ID("logout-submit")),
		)
		waitURL(t, ctx, "the login page", func(l string) bool { return strings.HasPrefix(l, pub+"/login?done=logged_out") })
		if c := browserCookie(t, ctx, pub, "gatehouse_session"); c != "" {
			t.Fatal("the session cookie outlived the logout")
		}
	}

	stage("register a passkey on /account", func(t *testing.T) {
		step(t, ctx,
			passwordLogin(pub+"/login", email, testPassword),
			chromedp.WaitVisible(chromedp.ID("passkey-add")),
		)
		if _, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("passkey-none"))); err != nil {
			t.Fatalf("no empty passkey list: %v", err)
		}
		step(t, ctx,
			chromedp.SendKeys(chromedp.ID("passkey-name"), "Laptop"),
			chromedp.Click(chromedp.ID("passkey-add")),
			chromedp.WaitVisible(chromedp.ID("passkey-list")),
		)
		if got := text(t, ctx, chromedp.CSS("#passkey-row-0 .passkey-name")); got != "Laptop" {
			t.Fatalf("listed name %q", got)
		}
		creds := authenticatorCredentials(t, ctx, auth)
		if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
			t.Fatalf("authenticator credentials %+v", creds)
		}
		pks, err := h.store.ListUserPasskeys(context.Background(), u.ID)
		if err != nil || len(pks) != 1 || pks[0].Name != "Laptop" || string(pks[0].CredentialID) != string(creds[0].CredentialID) {
			t.Fatalf("stored passkeys %v %v", pks, err)
		}
	})

	// sessionMethod is the auth method of the tab's session, through
	// GET /api/auth/sessions with the browser's cookie.
	sessionMethod := func(t *testing.T) string {
		t.Helper()
		c := h.client()
		req, _ := http.NewRequest("GET", pub+"/api/auth/sessions", nil)
		req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: browserCookie(t, ctx, pub, "gatehouse_session")})
		res, err := c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var list struct {
			Sessions []struct {
				AuthMethod string `json:"auth_method"`
				Current    bool   `json:"current"`
			} `json:"sessions"`
		}
		if err := json.NewDecoder(res.Body).Decode(&list); err != nil || res.StatusCode != 200 {
			t.Fatalf("sessions: %d %v", res.StatusCode, err)
		}
		for _, s := range list.Sessions {
			if s.Current {
				return s.AuthMethod
			}
		}
		t.Fatal("no current session")
		return ""
	}

	// passwordSessionPage: the /account page of a password session offers
	// to set up TOTP (a session that is not one is told to log in with
	// its password).
	passwordSessionPage := func(t *testing.T) {
		t.Helper()
		// Setting up TOTP needs a password session. (Adding another
		// passkey needs a step-up proof too, now that the user has one.)
		step(t, ctx, chromedp.WaitVisible(chromedp.ID("enable-submit")))
	}

	stage("log in with the passkey: the button", func(t *testing.T) {
		logout(t)
		// Without conditional mediation the page offers the button only:
		// this covers the click path.
		// The login goes back to rd, as a password login does.
		rd := app.URL + "/after-passkey"
		step(t, ctx,
			chromedp.Navigate(pub+"/login?rd="+url.QueryEscape(rd)),
			chromedp.WaitVisible(chromedp.ID("passkey-login")),
		)
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`PublicKeyCredential.isConditionalMediationAvailable()`, chromedp.EvalAwaitPromise)); err != nil || ok {
			t.Fatalf("conditional mediation still available (%v, %v)", ok, err)
		}
		before := signCount(t, ctx, auth)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil || !strings.HasPrefix(loc, pub+"/login") || signCount(t, ctx, auth) != before {
			t.Fatalf("the passkey was used before the click: %q %v", loc, err)
		}
		step(t, ctx, chromedp.Click(chromedp.ID("passkey-login")))
		waitURL(t, ctx, "the rd target", func(l string) bool { return l == rd })
		if got := text(t, ctx, chromedp.ID("app")); got != "APP OK" {
			t.Fatalf("landed on %q", got)
		}
		n := signCount(t, ctx, auth)
		if n != before+1 {
			t.Fatalf("sign count %v after the click, want %v", n, before+1)
		}
		// The portal keeps the counter it verified.
		if pks, err := h.store.ListUserPasskeys(context.Background(), u.ID); err != nil || len(pks) != 1 || float64(pks[0].SignCount) != n || pks[0].LastUsedAt.IsZero() {
			t.Fatalf("stored passkey after the login: %+v %v", pks, err)
		}
		step(t, ctx, chromedp.Navigate(pub+"/account"))
		passwordSessionPage(t)
		if m := sessionMethod(t); m != "passkey+uv" {
			t.Fatalf("auth method %q, want passkey+uv", m)
		}
	})

	stage("log in with the passkey: the button while a conditional request waits", func(t *testing.T) {
		logout(t)
		// As in a browser with conditional mediation: the page's
		// conditional request is pending (the authenticator holds no
		// passkey when it begins) when the button is clicked, so the
		// script aborts it and asks again.
		cred := authenticatorCredentials(t, ctx, auth)[0]
		if _, err := chromedp.Call(ctx, webauthn.ClearCredentials, webauthn.ClearCredentialsParams{AuthenticatorID: auth}); err != nil {
			t.Fatal(err)
		}
		allowConditional(t)
		defer func() { allowConditional = noConditionalUI(t, ctx) }()
		stopRecording := recordCredentialGets(t, ctx)
		step(t, ctx, chromedp.Navigate(pub+"/login"), chromedp.WaitVisible(chromedp.ID("passkey-login")))
		poll(t, ctx, "the conditional request", `window.__pkGets.join() === "conditional"`)
		step(t, ctx, chromedp.Sleep(100*time.Millisecond)) // the browser has looked for passkeys
		restoreCredential(t, ctx, auth, cred)
		step(t, ctx, chromedp.Sleep(100*time.Millisecond))
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasPrefix(loc, pub+"/login") || signCount(t, ctx, auth) != cred.SignCount {
			t.Fatalf("the conditional request answered: %q %v", loc, err)
		}
		step(t, ctx, chromedp.Click(chromedp.ID("passkey-login")))
		waitURL(t, ctx, "the account page", func(l string) bool { return strings.HasPrefix(l, pub+"/account") })
		stopRecording(t)
		if n := signCount(t, ctx, auth); n != cred.SignCount+1 {
			t.Fatalf("sign count %v after the click, want %v", n, cred.SignCount+1)
		}
		if m := sessionMethod(t); m != "passkey+uv" {
			t.Fatalf("auth method %q, want passkey+uv", m)
		}
	})

	stage("log in with the passkey: conditional UI", func(t *testing.T) {
		logout(t)
		// The identifier field asks for passkeys (autocomplete "username
		// webauthn"); the virtual authenticator answers the conditional
		// request as soon as the page makes it: nothing is clicked.
		allowConditional(t)
		step(t, ctx, chromedp.Navigate(pub+"/login"))
		waitURL(t, ctx, "the account page", func(l string) bool { return strings.HasPrefix(l, pub+"/account") })
		allowConditional = noConditionalUI(t, ctx)
		passwordSessionPage(t)
		if m := sessionMethod(t); m != "passkey+uv" {
			t.Fatalf("auth method %q, want passkey+uv", m)
		}
	})

	stage("password, then the passkey as the second step on /2fa", func(t *testing.T) {
		logout(t)
		step(t, ctx,
			passwordLogin(pub+"/login", email, testPassword),
		)
		waitURL(t, ctx, "the /2fa page", func(l string) bool { return strings.HasPrefix(l, pub+"/2fa") })
		step(t, ctx, chromedp.WaitVisible(chromedp.ID("passkey-second")))
		step(t, ctx, chromedp.Click(chromedp.ID("passkey-second")))
		waitURL(t, ctx, "the account page", func(l string) bool { return strings.HasPrefix(l, pub+"/account") })
		passwordSessionPage(t)
		if m := sessionMethod(t); m != "password+passkey" {
			t.Fatalf("auth method %q, want password+passkey", m)
		}
	})

	stage("step up with the passkey and remove it", func(t *testing.T) {
		step(t, ctx, chromedp.Navigate(pub+"/account"), chromedp.WaitVisible(chromedp.ID("passkey-stepup")))
		// Without a step-up the removal is refused.
		step(t, ctx, chromedp.Click(chromedp.ID("passkey-remove-0")), chromedp.WaitVisible(chromedp.ID("form-error")))
		if n := h.passkeyCount(u.ID); n != 1 {
			t.Fatalf("%d passkeys after a removal without step-up", n)
		}
		step(t, ctx,
			chromedp.WaitVisible(chromedp.ID("passkey-stepup")),
			chromedp.Click(chromedp.ID("passkey-stepup")),
		)
		poll(t, ctx, "the step-up confirmation", `document.getElementById("passkey-status").textContent.startsWith("Confirmed")`)
		step(t, ctx, chromedp.Click(chromedp.ID("passkey-remove-0")))
		waitURL(t, ctx, "the account page", func(l string) bool { return l == pub+"/account?done=passkey_removed" })
		step(t, ctx, chromedp.WaitVisible(chromedp.ID("passkey-none")))
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#passkey-list").length`)); err != nil || n != 0 {
			t.Fatalf("the list is still shown (%d, %v)", n, err)
		}
		if n := h.passkeyCount(u.ID); n != 0 {
			t.Fatalf("%d passkeys left in the store", n)
		}
		h.wantAudit(t, "step_up", "passkey_removed")
	})

	// refusedAtLogin: after a logout, the login page's button offers the
	// tab's authenticator, whose credential the portal does not hold; the
	// page shows the refusal, the portal audits it, and no session cookie
	// is set.
	refusedAtLogin := func(t *testing.T) {
		t.Helper()
		logout(t)
		failed := strings.Count(h.logs.String(), `"audit":"passkey_login_failed"`)
		// The page that shows the refusal offers the passkey again (with
		// conditional mediation the virtual authenticator would answer it
		// over and over, up to the rate limit).
		step(t, ctx,
			chromedp.Navigate(pub+"/login"),
			chromedp.WaitVisible(chromedp.ID("passkey-login")),
			chromedp.Click(chromedp.ID("passkey-login")),
			chromedp.WaitVisible(chromedp.ID("form-error")),
		)
		if msg := text(t, ctx, chromedp.ID("form-error")); !strings.Contains(msg, "not registered") {
			t.Fatalf("refusal shown: %q", msg)
		}
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || loc != pub+"/login/passkey" {
			t.Fatalf("the refusal is at %q (%v)", loc, err)
		}
		if c := browserCookie(t, ctx, pub, "gatehouse_session"); c != "" {
			t.Fatal("a refused passkey login set a session cookie")
		}
		if n := strings.Count(h.logs.String(), `"audit":"passkey_login_failed"`); n != failed+1 {
			t.Fatalf("%d passkey_login_failed audits for one refusal", n-failed)
		}
	}

	stage("a removed passkey is refused", func(t *testing.T) {
		if n := len(authenticatorCredentials(t, ctx, auth)); n != 1 {
			t.Fatalf("the authenticator holds %d credentials", n)
		}
		refusedAtLogin(t)
		// Without passkeys the password alone logs in again.
		step(t, ctx,
			passwordLogin(pub+"/login", email, testPassword),
			chromedp.WaitVisible(chromedp.ID("passkey-add")),
		)
	})

	stage("a passkey the portal never recorded is refused", func(t *testing.T) {
		if _, err := chromedp.Call(ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: auth}); err != nil {
			t.Fatal(err)
		}
		second := virtualAuthenticator(t, ctx)
		// A fresh registration on /account (the tab still has its password
		// session) whose finish never reaches the portal: the
		// authenticator holds a resident credential for localhost, the
		// store nothing.
		paused := chromedp.Events(ctx, fetch.RequestPaused)
		if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/auth/webauthn/register/finish"}}}); err != nil {
			t.Fatal(err)
		}
		cut := make(chan string, 1)
		go func() {
			for ev, err := range paused {
				if err != nil {
					return
				}
				_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionFailed})
				cut <- ev.Request.URL
				return
			}
		}()
		step(t, ctx,
			chromedp.Navigate(pub+"/account"),
			chromedp.WaitVisible(chromedp.ID("passkey-add")),
			chromedp.SendKeys(chromedp.ID("passkey-name"), "Never finished"),
			chromedp.Click(chromedp.ID("passkey-add")),
		)
		select {
		case <-cut:
		case <-time.After(10 * time.Second):
			t.Fatal("the registration's finish was never sent")
		}
		poll(t, ctx, "the add button back", `!document.getElementById("passkey-add").disabled`)
		if st := text(t, ctx, chromedp.ID("passkey-status")); st == "" || strings.HasPrefix(st, "Follow") {
			t.Fatalf("the page does not say the passkey was not added: %q", st)
		}
		if _, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		creds := authenticatorCredentials(t, ctx, second)
		if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
			t.Fatalf("second authenticator credentials %+v", creds)
		}
		if n := h.passkeyCount(u.ID); n != 0 {
			t.Fatalf("%d passkeys stored by a registration that did not finish", n)
		}
		refusedAtLogin(t)
	})

	if v := console.csp(); len(v) != 0 {
		t.Fatalf("CSP violations during the flow:\n%s", strings.Join(v, "\n"))
	}
	// The watch sees violations: an inline image the page's img-src
	// refuses is reported.
	step(t, ctx, chromedp.Evaluate[chromedp.Void](`document.body.appendChild(Object.assign(document.createElement("img"), {src: "data:image/gif;base64,R0lGODlhAQABAAAAACw="}))`))
	deadline := time.Now().Add(5 * time.Second)
	for len(console.csp()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a CSP violation was not seen; console:\n%s", console)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowserPasskeyButtonDoesNotFailSilently: when the browser's ceremony
// of a passkey button fails (here: the device holds no passkey for the
// site, so no answer ever reaches the portal), the login page and /2fa say
// so on their status line, and nothing logs in.
func TestBrowserPasskeyButtonDoesNotFailSilently(t *testing.T) {
	b := browser(t)
	h, pub := pkBrowserHarness(t)
	const email = "silent@browser.test"
	h.addUser(email, false)
	// The user's passkey lives on another device (a Go authenticator), so
	// /2fa offers a passkey this browser does not have.
	c := h.client()
	c.login(email, testPassword)
	other := webauthntest.New()
	reg := c.begin("/api/auth/webauthn/register/begin", map[string]string{"name": "Phone"})
	ans, _, err := other.Create(reg.Options, webauthntest.Options{Origin: pub})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, c.do("POST", "/api/auth/webauthn/register/finish", map[string]any{"state": reg.State, "credential": json.RawMessage(ans), "name": "Phone"}), 201, "")

	ctx := isolated(t, b)
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{EnableUI: new(false)}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	empty := virtualAuthenticator(t, ctx)
	noConditionalUI(t, ctx)
	for _, tc := range []struct {
		name, page, button, status string
		open                       chromedp.Action[chromedp.Void]
	}{
		{"login", "/login", "passkey-login", "passkey-login-status", chromedp.Navigate(pub + "/login")},
		{"2fa", "/2fa", "passkey-second", "passkey-second-status", passwordLogin(pub+"/login", email, testPassword)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step(t, ctx, tc.open, chromedp.WaitVisible(chromedp.ID(tc.button)), chromedp.Click(chromedp.ID(tc.button)))
			poll(t, ctx, "the status line", `(() => { const s = document.getElementById(`+strconv.Quote(tc.status)+`); return !!s && s.textContent.startsWith("No passkey was used") })()`)
			if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasPrefix(loc, pub+tc.page) {
				t.Fatalf("left %s: %q %v", tc.page, loc, err)
			}
			if browserCookie(t, ctx, pub, "gatehouse_session") != "" {
				t.Fatal("a session cookie is set")
			}
		})
	}
	if n := len(authenticatorCredentials(t, ctx, empty)); n != 0 {
		t.Fatalf("the empty authenticator holds %d credentials", n)
	}
}
