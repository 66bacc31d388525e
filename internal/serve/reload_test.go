package serve

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
)

// TestReloadSwapsRulesAndKeyrings: a valid config on SIGHUP puts its
// rules and keyrings in force.
func TestReloadSwapsRulesAndKeyrings(t *testing.T) {
	ts := newTestServer(t, everyoneRule, "")
	if code := ask(ts.Server, "/blocked/x"); code != 401 {
		t.Fatalf("before reload: %d, want 401 (no credential)", code)
	}
	before := ts.core.Ops.Ring(keystore.RingAPIKeySigning)
	ts.writeConfig(t, blockedRule+everyoneRule, "")
	ts.reload()
	if code := ask(ts.Server, "/blocked/x"); code != 403 {
		t.Fatalf("after reload: %d, want 403 from the new deny rule\n%s", code, ts.logs)
	}
	if !strings.Contains(ts.logs.String(), "reloaded access rules and keyrings") {
		t.Fatalf("reload not logged:\n%s", ts.logs)
	}
	after := ts.core.Ops.Ring(keystore.RingAPIKeySigning)
	if after == nil {
		t.Fatal("the new keyrings lack api_key_signing")
	}
	if after == before {
		t.Fatal("the admin operations kept the old keyrings")
	}
}

// TestFailedReloadChangesNothing: a reload that fails at any stage (the
// file, validation, key material) keeps every running piece, even when
// the new file's rules alone would have compiled.
func TestFailedReloadChangesNothing(t *testing.T) {
	cases := []struct {
		name  string
		rules string
		extra string
	}{
		{"unparsable file", everyoneRule, "tokens: [\n"},
		{"invalid rule", everyoneRule + "  - policy: maybe\n", ""},
		{"unreadable access key", everyoneRule, "tokens:\n  access:\n    algorithm: EdDSA\n    keys:\n      k1: /nonexistent/k1.pem\n    active_kid: k1\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, blockedRule+everyoneRule, "")
			before := ts.core.Ops.Ring(keystore.RingAPIKeySigning)
			// The new file drops the deny rule; if the rules were swapped
			// in despite the failure, /blocked/ would answer 401.
			ts.writeConfig(t, tc.rules, tc.extra)
			ts.reload()
			if !strings.Contains(ts.logs.String(), "reload refused; keeping the running configuration") {
				t.Fatalf("the failed reload was not reported:\n%s", ts.logs)
			}
			if strings.Contains(ts.logs.String(), "reloaded access rules") {
				t.Fatalf("a failed reload reported success:\n%s", ts.logs)
			}
			if code := ask(ts.Server, "/blocked/x"); code != 403 {
				t.Fatalf("after a failed reload: %d, want the old deny rule's 403", code)
			}
			if ts.core.Ops.Ring(keystore.RingAPIKeySigning) != before {
				t.Fatal("a failed reload replaced the admin operations' keyrings")
			}
		})
	}
}

// TestReloadSkipsKeyringsOfFeaturesOffAtStart: a feature switched on in
// the new file (here OAuth, whose keyring the portal only takes when
// OAuth was on at start) needs a restart; the reload still applies the
// rest instead of failing half-way.
func TestReloadSkipsKeyringsOfFeaturesOffAtStart(t *testing.T) {
	ts := newTestServer(t, everyoneRule, "")
	p, err := ts.prepareReload()
	if err != nil {
		t.Fatal(err)
	}
	if p.oauth != nil {
		t.Fatal("OAuth was off at start, but the plan swaps its keyring")
	}
	if p.signing == nil || p.totp == nil {
		t.Fatalf("signing and TOTP were on at start, but the plan skips their keyrings: %+v", p)
	}
	ts.apply(p)
	if strings.Contains(ts.logs.String(), "swap refused") {
		t.Fatalf("a prepared swap was refused:\n%s", ts.logs)
	}
}

// TestReloadRefusesAChangedExternalJWT: external_jwt is restart-only; a
// reload that changes it (an issuer added, removed or edited) is refused
// as a whole and says to restart, while one that leaves it as it was
// still applies its rules.
func TestReloadRefusesAChangedExternalJWT(t *testing.T) {
	a := jwksServer(t, ed25519JWKS(t, "a"), nil)
	b := jwksServer(t, ed25519JWKS(t, "b"), nil)
	running := externalYAML("gatehouse", a.URL+"/jwks")
	cases := []struct {
		name, extra string
	}{
		{"audience changed", externalYAML("other", a.URL+"/jwks")},
		{"issuer added", externalYAML("gatehouse", a.URL+"/jwks", b.URL+"/jwks")},
		{"section removed", ""},
		{"key-set bounds changed", running + "      jwks: {min_ttl: 10m}\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, blockedRule+everyoneRule, running)
			ts.writeConfig(t, everyoneRule, tc.extra)
			ts.reload()
			logs := ts.logs.String()
			if !strings.Contains(logs, "reload refused; keeping the running configuration") || !strings.Contains(logs, "restart to change external_jwt") {
				t.Fatalf("the reload was not refused with the restart hint:\n%s", logs)
			}
			if code := ask(ts.Server, "/blocked/x"); code != 403 {
				t.Fatalf("after the refused reload: %d, want the old deny rule's 403", code)
			}
		})
	}
	t.Run("unchanged", func(t *testing.T) {
		ts := newTestServer(t, blockedRule+everyoneRule, running)
		ts.writeConfig(t, everyoneRule, running)
		ts.reload()
		if logs := ts.logs.String(); strings.Contains(logs, "restart to change external_jwt") || !strings.Contains(logs, "reloaded access rules") {
			t.Fatalf("an unchanged external_jwt blocked the reload:\n%s", logs)
		}
		if code := ask(ts.Server, "/blocked/x"); code != 401 {
			t.Fatalf("after the reload: %d, want 401 (the deny rule is gone)", code)
		}
	})
}
