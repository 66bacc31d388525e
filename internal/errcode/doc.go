// Package errcode is the one table of error codes that gatehouse answers
// with: the verifier's deny reasons, the portal's JSON and page errors and
// the admin commands' failures all name their code from here, so a code
// means the same thing on every surface.
//
// Every error body is {"code","detail"} with a fixed detail. Each code has
// a default HTTP status; the verifier answers with exactly that status, the
// portal chooses per route where a route documents a different one (for
// example REQUEST_BODY_INVALID is 401 at the verifier, where a signed body
// does not match its digest, and 422 at the portal, where a JSON body does
// not parse). Admin codes travel in the command API's body; their status is
// the admin listener's concern.
//
// The package owns the code strings and their default statuses. It must
// never hold details, messages or anything built per request: those belong
// to the surface that answers.
package errcode
