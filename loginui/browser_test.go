package loginui_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/loginui"
)

// chromiumPath finds a Chromium binary, or skips the test (fails with
// GATEHOUSE_REQUIRE_INTEGRATION=1).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("GATEHOUSE_REQUIRE_INTEGRATION") == "1" {
		t.Fatal("chromium not found and GATEHOUSE_REQUIRE_INTEGRATION=1")
	}
	t.Skip("chromium not found (apt-get install chromium); browser tests skipped")
	return ""
}

// browser starts a headless Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelB := chromedp.NewContext(alloc)
	t.Cleanup(cancelB)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return bctx
}

// isolated opens a new browser context (its own cookie jar) in b.
func isolated(t *testing.T, b context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// text reads the visible text of the first element matching sel.
func text[S chromedp.Selectable](t *testing.T, ctx context.Context, sel S) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("browser: reading text: %v", err)
	}
	return v
}

// passwordLogin opens the login page at loginURL and submits the password
// form.
func passwordLogin(loginURL, identifier, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(loginURL),
		chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), identifier),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
	)
}

// waitURL waits until the tab's location satisfies ok.
func waitURL(t *testing.T, ctx context.Context, desc string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var loc string
	for time.Now().Before(deadline) {
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil {
			loc = l
			if ok(loc) {
				return loc
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("location %q never became %s", loc, desc)
	return ""
}

// devLinks extracts the links the development mailer logged.
func devLinks(t *testing.T, buf *syncBuffer, event string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(buf.String()))
	for sc.Scan() {
		var line struct {
			Component string `json:"component"`
			Event     string `json:"mail_event"`
			Link      string `json:"link"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Component == "mail_dev" && line.Event == event {
			out = append(out, line.Link)
		}
	}
	return out
}

func waitDevLink(t *testing.T, buf *syncBuffer, event string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if l := devLinks(t, buf, event); len(l) > 0 {
			return l[len(l)-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s link from the dev mailer", event)
	return ""
}

// TestBrowserPortalFlows drives the portal in headless Chromium: first-start
// setup, register → verify → login back to a valid rd, a hostile rd, logout,
// and a password change that logs out another browser context. At the end
// no secret, password, token or email may appear in the portal's log.
func TestBrowserPortalFlows(t *testing.T) {
	b := browser(t)
	const setupToken = "first-start-token-0123456789abcdef"
	devLog := &syncBuffer{}
	h := newHarness(t, func(o *loginui.Options) {
		o.Now = time.Now
		o.SetupToken = setupToken
		o.SetupTokenExpires = time.Now().Add(time.Hour)
		o.Mailer = loginui.NewDevMailer(zerolog.New(devLog))
	})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>app</title><p id=app>APP OK</p>")
	}))
	defer app.Close()
	pub := h.srv.URL
	const (
		adminEmail = "admin@browser.test"
		adminPW    = "admin password 123"
		userEmail  = "user@browser.test"
		userPW     = "user password 456"
		userPW2    = "user password 789"
	)
	var secrets []string

	t.Run("first-start setup creates the admin", func(t *testing.T) {
		ctx := isolated(t, b)
		var email string
		run(t, ctx,
			chromedp.Navigate(pub+"/setup?token="+setupToken),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), adminEmail),
			chromedp.SendKeys(chromedp.ID("password"), adminPW),
			chromedp.Click(chromedp.ID("setup-submit")),
			chromedp.WaitVisible(chromedp.ID("account-email")),
		)
		email = text(t, ctx, chromedp.ID("account-email"))
		if email != adminEmail {
			t.Fatalf("account shows %q", email)
		}
		u, err := h.store.GetUserByEmail(context.Background(), adminEmail)
		if err != nil || !u.Superuser {
			t.Fatal("setup did not create a superuser")
		}
		// The setup link is spent.
		var body string
		run(t, ctx, chromedp.Navigate(pub+"/setup?token="+setupToken), chromedp.WaitVisible(chromedp.CSS("main")))
		body = text(t, ctx, chromedp.CSS("main"))
		if !strings.Contains(body, "not available") {
			t.Fatalf("setup page still usable: %q", body)
		}
		run(t, ctx, chromedp.Navigate(pub+"/admin"), chromedp.WaitVisible(chromedp.ID("q")))
	})

	rd := app.URL + "/landing?x=1"
	t.Run("register, verify, login back to a valid rd", func(t *testing.T) {
		ctx := isolated(t, b)
		var msg string
		run(t, ctx,
			chromedp.Navigate(pub+"/register"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), userEmail),
			chromedp.SendKeys(chromedp.ID("password"), userPW),
			chromedp.Click(chromedp.ID("register-submit")),
			chromedp.WaitVisible(chromedp.CSS("p.notice")),
		)
		msg = text(t, ctx, chromedp.CSS("p.notice"))
		if !strings.Contains(msg, "verification link") {
			t.Fatalf("register answer %q", msg)
		}
		link := waitDevLink(t, devLog, loginui.EventVerify)
		if strings.Contains(devLog.String(), userEmail) {
			t.Fatal("dev mailer logged the email address")
		}
		lu, _ := url.Parse(link)
		secrets = append(secrets, lu.Query().Get("token"))
		run(t, ctx,
			chromedp.Navigate(link),
			chromedp.WaitVisible(chromedp.ID("verify-submit")),
			chromedp.Click(chromedp.ID("verify-submit")),
			chromedp.WaitVisible(chromedp.CSS("p.notice")),
		)
		msg = text(t, ctx, chromedp.CSS("p.notice"))
		if !strings.Contains(msg, "confirmed") {
			t.Fatalf("verify answer %q", msg)
		}
		run(t, ctx,
			passwordLogin(pub+"/login?rd="+url.QueryEscape(rd), userEmail, userPW),
		)
		waitURL(t, ctx, "the rd target", func(l string) bool { return l == rd })
		app := text(t, ctx, chromedp.ID("app"))
		if app != "APP OK" {
			t.Fatalf("landed on %q", app)
		}
	})

	t.Run("hostile rd lands on the portal home", func(t *testing.T) {
		ctx := isolated(t, b)
		run(t, ctx,
			passwordLogin(pub+"/login?rd="+url.QueryEscape("https://evil.test/steal"), userEmail, userPW),
		)
		loc := waitURL(t, ctx, "the account page", func(l string) bool { return strings.HasPrefix(l, pub+"/account") })
		if strings.Contains(loc, "evil") {
			t.Fatalf("landed on %q", loc)
		}
	})

	t.Run("logout", func(t *testing.T) {
		ctx := isolated(t, b)
		run(t, ctx,
			passwordLogin(pub+"/login", userEmail, userPW),
			chromedp.WaitVisible(chromedp.ID("account-email")),
			chromedp.Navigate(pub+"/logout"),
			chromedp.WaitVisible(chromedp.ID("logout-submit")),
			chromedp.Click(chromedp.ID("logout-submit")),
		)
		waitURL(t, ctx, "the login page", func(l string) bool { return strings.HasPrefix(l, pub+"/login?done=logged_out") })
		run(t, ctx, chromedp.Navigate(pub+"/account"))
		waitURL(t, ctx, "the login page", func(l string) bool { return strings.HasPrefix(l, pub+"/login?rd=") })
	})

	t.Run("change password logs out another browser context", func(t *testing.T) {
		a, other := isolated(t, b), isolated(t, b)
		for _, ctx := range []context.Context{a, other} {
			run(t, ctx,
				passwordLogin(pub+"/login", userEmail, userPW),
				chromedp.WaitVisible(chromedp.ID("account-email")),
			)
		}
		run(t, a,
			chromedp.SendKeys(chromedp.ID("current_password"), userPW),
			chromedp.SendKeys(chromedp.ID("new_password"), userPW2),
			chromedp.Click(chromedp.ID("password-submit")),
		)
		waitURL(t, a, "the account page", func(l string) bool { return strings.HasSuffix(l, "/account?done=password") })
		run(t, other, chromedp.Navigate(pub+"/account"))
		waitURL(t, other, "the login page", func(l string) bool { return strings.HasPrefix(l, pub+"/login") })
		run(t, a, chromedp.Navigate(pub+"/account"), chromedp.WaitVisible(chromedp.ID("account-email")))
	})

	logs := h.logs.String()
	if !strings.Contains(logs, `"audit":"login_ok"`) || !strings.Contains(logs, `"audit":"password_changed"`) {
		t.Fatalf("audit events missing:\n%s", logs)
	}
	for _, s := range append(secrets, adminEmail, userEmail, "browser.test", adminPW, userPW, userPW2, setupToken) {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("portal log contains %q", s)
		}
	}
}
