// Package hostname holds the two host rules that several packages apply
// to configured URLs: what a DNS name looks like, and which hosts are
// loopback (where plain http is tolerated in development).
//
// It must never resolve names (a rule on text only; "localhost" is the one
// name taken as loopback without looking it up) and never accept a name
// with escapes, zones, underscores or empty labels.
//
// Callers: config (ValidHostname, loopback URLs), admin (loopback peers),
// internal/jwks (issuer and JWKS URLs).
package hostname
