package loginui

import "github.com/gatehouse/gatehouse/loginui/sessions"

// The sessions JSON API is the loginui/sessions feature; the core keeps
// the session records, the refresh-chain denylist (its revocation policy
// shares denyChains and deleteSessions) and the /account sessions section
// and forms, and offers listing and revoking through Host.

// initSessions builds the sessions feature.
func (p *Portal) initSessions() {
	p.features = append(p.features, sessions.New())
}
