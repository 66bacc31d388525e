package loginui

import "github.com/gatehouse/gatehouse/loginui/sessions"

// The caller's sessions (JSON API and /account section) are the
// loginui/sessions feature; the core keeps the session records and the
// refresh-chain denylist (its revocation policy shares denyChains and
// deleteSessions) and offers listing and revoking through Host.

// initSessions builds the sessions feature. It is wired first: its framed
// /account section comes before the other features' sections.
func (p *Portal) initSessions() {
	p.features = append(p.features, sessions.New())
}
