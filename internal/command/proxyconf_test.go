package command

import (
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/proxyconf"
)

// TestProxyconfCLIListsEveryDefaultIdentityHeader: for a default config
// `gatehouse proxyconf` hands the templates exactly proxyconf's default
// identity headers (Remote-Issuer included), so the printed config strips
// and copies every header the verifier sends.
func TestProxyconfCLIListsEveryDefaultIdentityHeader(t *testing.T) {
	got := identityHeaderList(config.Default().Verifier.Headers)
	if want := proxyconf.DefaultIdentityHeaders(); !slices.Equal(got, want) {
		t.Fatalf("the CLI lists %q, want proxyconf.DefaultIdentityHeaders %q", got, want)
	}
}
