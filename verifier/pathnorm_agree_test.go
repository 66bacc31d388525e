package verifier

import (
	"math/rand"
	"path"
	"strings"
	"testing"
)

// Reference normalisers of the three families upstreams use. Each works
// in the same encoded domain as normalizePath (only unreserved escapes
// are decoded: other escapes never change where segments begin or end).

// decodeUnreservedRef decodes %XX escapes of unreserved characters (RFC
// 3986 §6.2.2.2) and leaves every other byte as it is.
func decodeUnreservedRef(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			hi, ok1 := unhex(p[i+1])
			lo, ok2 := unhex(p[i+2])
			if ok1 && ok2 && isUnreserved(hi<<4|lo) {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// keepTrailing restores the trailing '/' that path.Clean drops when the
// last segment was empty or a dot segment, as RFC 3986 and servlet
// containers keep it.
func keepTrailing(orig, cleaned string) string {
	last := orig[strings.LastIndexByte(orig, '/')+1:]
	if (last == "" || last == "." || last == "..") && !strings.HasSuffix(cleaned, "/") {
		return cleaned + "/"
	}
	return cleaned
}

// goCleanRef is Go's path.Clean (net/http.ServeMux, many Go routers).
func goCleanRef(p string) string {
	d := decodeUnreservedRef(p)
	return keepTrailing(d, path.Clean(d))
}

// rfc3986Ref is remove_dot_segments of RFC 3986 §5.2.4, which keeps
// empty segments (WHATWG URL, Node, many non-Go stacks).
func rfc3986Ref(p string) string {
	in := decodeUnreservedRef(p)
	var out string
	removeLast := func() {
		if i := strings.LastIndexByte(out, '/'); i >= 0 {
			out = out[:i]
		} else {
			out = ""
		}
	}
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			removeLast()
		case in == "/..":
			in = "/"
			removeLast()
		case in == "." || in == "..":
			in = ""
		default:
			j := strings.IndexByte(in[1:], '/')
			if j < 0 {
				out += in
				in = ""
			} else {
				out += in[:j+1]
				in = in[j+1:]
			}
		}
	}
	return out
}

// servletRef is what Tomcat, Jetty and Spring do: strip ";params" from
// every segment, decode, merge "//", then resolve dot segments.
func servletRef(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if j := strings.IndexByte(s, ';'); j >= 0 {
			segs[i] = s[:j]
		}
	}
	d := decodeUnreservedRef(strings.Join(segs, "/"))
	for strings.Contains(d, "//") {
		d = strings.ReplaceAll(d, "//", "/")
	}
	return keepTrailing(d, path.Clean(d))
}

var pathRefs = []struct {
	name string
	fn   func(string) string
}{
	{"path.Clean", goCleanRef},
	{"RFC 3986", rfc3986Ref},
	{"servlet", servletRef},
}

// checkNormalizersAgree fails when normalizePath accepts p but one of
// the reference normalisers, applied first, leads to another normal form
// (and so, possibly, to another rule).
func checkNormalizersAgree(t *testing.T, p string) {
	t.Helper()
	want, _, ok := normalizePath(nil, nil, []byte(p))
	if !ok {
		return
	}
	for _, r := range pathRefs {
		q := r.fn(p)
		if q == "" || q[0] != '/' {
			q = "/" + q
		}
		got, _, ok := normalizePath(nil, nil, []byte(q))
		if !ok || string(got) != string(want) {
			t.Fatalf("%q: verifier matches %q, %s gives %q → %q (accepted %v)", p, want, r.name, q, got, ok)
		}
	}
}

// The paths of the review that found the bypasses: each one must either
// be refused or agree under all three readings.
func TestNormalizersAgreeOnReviewPaths(t *testing.T) {
	for _, p := range []string{
		"/public/..;/admin/users", "/public/%2e%2e;/admin/users", "/admin;x/users",
		"/admin//../public/x", "/a//b/../../c", "/a/b//../c", "/a/..//b", "//../a",
		"/a/%2e%2e/b", "/a/.%2E/b", "/a/%2e/b", "/a/b/..", "/a/b/.", "/a/./b/", "/..", "/../../x",
		"/%2561dmin", "/a/b%3b/../c", "/a/...", "/a/.../../b", "/a/..../b", "/a/.b/../c",
	} {
		checkNormalizersAgree(t, p)
	}
}

// A seeded random walk over path pieces that mix every construct the
// normalisers treat differently.
func TestNormalizersAgreeOnGeneratedPaths(t *testing.T) {
	pieces := []string{"/", "//", "/.", "/..", "/a", "/admin", "/public", ";", ";x=1", "%2e", "%2E", ".",
		"..", "%2f", "%25", "%2541", "%3b", "%41", "%C3%A9", "é", "?", "#", "x", "/..;", "/.;", "%252e"}
	rng := rand.New(rand.NewSource(1))
	n := 200000
	if testing.Short() {
		n = 20000
	}
	for i := 0; i < n; i++ {
		var b strings.Builder
		b.WriteByte('/')
		for k := rng.Intn(8); k >= 0; k-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		checkNormalizersAgree(t, b.String())
	}
}

func FuzzNormalizersAgreeOnAcceptedPaths(f *testing.F) {
	for _, s := range []string{"/", "/a//../b", "/a/..;/b", "/a/%2e%2e/b", "/a/b/../../c", "//x/./y/", "/%2541"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if len(p) > 512 {
			return
		}
		checkNormalizersAgree(t, p)
	})
}
