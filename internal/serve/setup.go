package serve

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// setupLinkLifetime is how long the first-administrator link works.
const setupLinkLifetime = 24 * time.Hour

// setupToken returns a one-time first-administrator token while the store
// holds no user at all; empty otherwise. A store error fails the start.
func (s *Server) setupToken() (string, error) {
	us, err := s.core.Store.ListUsers(context.Background(), 0, 1)
	if err != nil || len(us) > 0 {
		return "", err
	}
	return signing.NewOpaqueToken()
}

// announceSetup prints the first-administrator instructions on a store
// without users. The setup link is printed to the terminal, not the log.
func (s *Server) announceSetup() {
	tok := s.setup
	if tok == "" {
		return
	}
	base := strings.TrimSuffix(s.cfg.PublicURL, "/")
	fmt.Fprintf(s.opts.Stderr, "\nNo users yet. Create the first administrator in the browser (link valid 24h, once):\n  %s/setup?token=%s\nor on the command line:\n  gatehouse user add --email you@example.com --superuser --verified --password-stdin --data-dir %s\n\n",
		base, tok, s.cfg.DataDir)
}
