package loginui

import "github.com/gatehouse/gatehouse/loginui/sessions"

// The caller's sessions (JSON API and /account section) are the
// loginui/sessions feature; the records, the refresh-chain denylist and
// the revocation policy are loginui/internal/session, which the core
// offers through Host (Sessions, RevokeSession, RevokeOtherSessions).

// initSessions builds the sessions feature. It is wired first: its framed
// /account section comes before the other features' sections.
func (p *Portal) initSessions() {
	p.features = append(p.features, sessions.New())
}
