package integration

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLoginThroughNginx is the whole browser flow: visit the app
// behind nginx, get sent to the portal's login page, log in with the HTML
// form, land back on the app page and see the identity the upstream got.
func TestBrowserLoginThroughNginx(t *testing.T) {
	needGatehouse(t)
	needBinary(t, "nginx")
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		unavailable(t, "chromium not installed (apt-get install -y chromium)")
	}

	g := startGatehouse(t)
	up := startUpstream(t)
	base := startNginx(t, cliRenderer(g), up.srv.URL)

	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("no-sandbox", os.Geteuid() == 0),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-proxy-server", true),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	target := base + "/app/dashboard?tab=1"
	if err := chromedp.Do(bctx,
		chromedp.Navigate(target),
		chromedp.WaitVisible(`#identifier`),
	); err != nil {
		t.Fatalf("open the app: %v", err)
	}
	loginURL, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	lu, err := url.Parse(loginURL)
	if err != nil || lu.Host != g.portal || lu.Path != "/login" || lu.Query().Get("rd") != target {
		t.Fatalf("landed on %q, want the portal login with rd=%s", loginURL, target)
	}

	if err := chromedp.Do(bctx,
		chromedp.SendKeys(`#identifier`, userEmail),
		chromedp.SendKeys(`#password`, userPassword),
		chromedp.Click(`#login-submit`),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
	// The form post redirects twice (portal, then the app through nginx);
	// poll the location from outside the page so the navigations cannot
	// cut an in-page wait short.
	var finalURL string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		loc, err := chromedp.Run(bctx, chromedp.Location())
		if err == nil && strings.HasPrefix(loc, base) {
			if err := chromedp.Do(bctx, chromedp.WaitReady(`body`)); err == nil {
				finalURL = loc
				break
			}
		}
	}
	if finalURL != target {
		t.Fatalf("after login the browser is at %q, want %q", finalURL, target)
	}
	page, err := chromedp.Run(bctx, chromedp.Text(`body`))
	if err != nil {
		t.Fatal(err)
	}
	var e echoed
	if err := json.Unmarshal([]byte(strings.TrimSpace(page)), &e); err != nil {
		t.Fatalf("the app page is not the echo upstream's JSON: %.300q", page)
	}
	wantOnly(t, &e, "Remote-User", userEmail)
	wantOnly(t, &e, "Remote-Auth-Method", "cookie")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
