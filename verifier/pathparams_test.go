package verifier_test

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// pathCase is an original request path and the answer every dialect must
// give it under the example configuration's rules (bypass /public/, roles on /admin/).
type pathCase struct {
	path   string
	status int
	code   string
}

func runPathCases(t *testing.T, cases []pathCase, withToken bool) {
	t.Helper()
	e := newEnv(t, nil)
	bob := e.jwt(bobID) // authenticated, not an admin
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			for _, d := range dialects {
				req := fwd(d, "GET", "https://"+appHost+c.path)
				if withToken {
					req = bearer(req, bob)
				}
				a := e.do(req)
				if a.status != c.status || (c.code != "" && a.code() != c.code) {
					t.Fatalf("%s: %s → %d %s, want %d %s", d, c.path, a.status, a.code(), c.status, c.code)
				}
			}
		})
	}
}

// Tomcat, Jetty and Spring strip ";params" from each segment before they
// resolve dot segments: "/public/..;/admin/users" is /admin/users to them,
// a path under /public/ to a matcher that keeps the parameter.
func TestSemicolonPathParamsNeverEscapeRules(t *testing.T) {
	runPathCases(t, []pathCase{
		{"/public/..;/admin/users", 400, "REQUEST_INVALID"},
		{"/public/%2e%2e;/admin/users", 400, "REQUEST_INVALID"},
		{"/public/..;x=1/admin/users", 400, "REQUEST_INVALID"},
		{"/public/x;jsessionid=ABC", 400, "REQUEST_INVALID"},
		{"/public/x%3bjsessionid=ABC", 400, "REQUEST_INVALID"},
		{"/public/x%3B", 400, "REQUEST_INVALID"},
		{"/public/;/../admin/users", 400, "REQUEST_INVALID"},
		{"/public/x?a=1;b=2", 200, ""}, // ';' in the query is not a path parameter
	}, false)
	runPathCases(t, []pathCase{
		{"/admin/users", 403, "INSUFFICIENT_ROLES"},
		{"/admin;x/users", 400, "REQUEST_INVALID"},
		{"/admin;/users", 400, "REQUEST_INVALID"},
		{"/admin%3Bx/users", 400, "REQUEST_INVALID"},
		{"/ADMIN;/users", 400, "REQUEST_INVALID"},
	}, true)
}

// Go's path.Clean and servlet containers merge "//" before resolving
// "..", RFC 3986 (WHATWG URL, Node) keeps the empty segment:
// "/admin//../public/x" is /public/x to the first and /admin/public/x to
// the second.
func TestDotSegmentsAfterEmptySegmentsAreRefused(t *testing.T) {
	runPathCases(t, []pathCase{
		{"/admin//../public/x", 400, "REQUEST_INVALID"},
		{"/admin//./public/x", 400, "REQUEST_INVALID"},
		{"/admin/x//../../public/x", 400, "REQUEST_INVALID"},
		{"/admin//x/../../public/x", 400, "REQUEST_INVALID"}, // the ".." is not next to the "//"
		{"//../public/x", 400, "REQUEST_INVALID"},
		{"/public//x", 200, ""}, // empty segments alone are merged as before
		{"/public/../public/x", 200, ""},
	}, false)
}

// "%2e%2e" is ".." to stacks that decode before they resolve and a plain
// name to those that resolve first: a dot segment with an escape is
// refused rather than read one way.
func TestEncodedDotSegmentsAreRefused(t *testing.T) {
	runPathCases(t, []pathCase{
		{"/public/%2e%2e/admin/x", 400, "REQUEST_INVALID"},
		{"/public/%2E./admin/x", 400, "REQUEST_INVALID"},
		{"/public/.%2e/admin/x", 400, "REQUEST_INVALID"},
		{"/public/%2e/x", 400, "REQUEST_INVALID"},
		{"/public/%2e%2e", 400, "REQUEST_INVALID"},
		{"/public/%2ex/y", 200, ""}, // ".x" is a name, not a dot segment
	}, false)
}

// An escape of '%' followed by hex digits decodes to another escape: a
// chain that decodes twice (nginx rewriting to a decoding upstream) reads
// "/%2561dmin" as "/admin".
func TestDoubleEncodedEscapesAreRefused(t *testing.T) {
	runPathCases(t, []pathCase{
		{"/%2561dmin/users", 400, "REQUEST_INVALID"},
		{"/public/%252e%252e/admin", 400, "REQUEST_INVALID"},
		{"/%25%41%41/x", 400, "REQUEST_INVALID"}, // unreserved escapes decode to "%25AA"
		{"/public/%25zz", 200, ""},               // a literal percent sign stays allowed
	}, false)
}

// A '#' in the path part of the forwarded URI is no fragment to an
// upstream that parses the request target as a path: Go's
// ParseRequestURI keeps "/public#/../../admin" whole and ServeMux
// cleans it to /admin.
func TestFragmentInForwardedPathIsRefused(t *testing.T) {
	runPathCases(t, []pathCase{
		{"/public/x#/../../admin/users", 400, "REQUEST_INVALID"},
		{"/public/x?q=1#frag", 200, ""},
	}, false)
}

// A second session cookie (planted by a sibling host on the parent
// domain, or sent in a second Cookie header) must not let the verifier
// pick one while the portal refuses both: a name seen twice is refused.
func TestDuplicateSessionCookiesAreRefused(t *testing.T) {
	e := newEnv(t, nil)
	good := e.session(aliceID, nil)
	other := e.session(bobID, nil)
	for name, set := range map[string]func(r *fasthttp.Request){
		"one header, valid first": func(r *fasthttp.Request) {
			r.Header.Set("Cookie", "gatehouse_session="+good+"; gatehouse_session=planted")
		},
		"one header, valid second": func(r *fasthttp.Request) {
			r.Header.Set("Cookie", "gatehouse_session=planted; gatehouse_session="+good)
		},
		"two valid sessions": func(r *fasthttp.Request) {
			r.Header.Set("Cookie", "gatehouse_session="+other+"; gatehouse_session="+good)
		},
		"two headers": func(r *fasthttp.Request) {
			r.Header.Add("Cookie", "gatehouse_session="+good)
			r.Header.Add("Cookie", "gatehouse_session=planted")
		},
	} {
		t.Run(name, func(t *testing.T) {
			for _, d := range dialects {
				r := fwd(d, "GET", "https://app.example.test/portal/x")
				set(r)
				wantDeny(t, e.do(r), 401, "AUTHENTICATION_FAILED")
			}
		})
	}
	// One session cookie among other cookies still works.
	r := fwd("traefik", "GET", "https://app.example.test/portal/x")
	r.Header.Set("Cookie", "a=1; gatehouse_session="+good+"; b=2")
	if a := e.do(r); a.status != 200 {
		t.Fatalf("single cookie: %d %s", a.status, a.code())
	}
}
