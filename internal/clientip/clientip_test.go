package clientip_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/clientip"
	"github.com/gatehouse/gatehouse/internal/policytest"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// Cases is the shared table: every caller of the rule (the verifier, the
// portal) runs it through its own entry point in its own tests.
func TestResolve(t *testing.T) {
	for _, c := range policytest.ClientIP {
		t.Run(c.Name, func(t *testing.T) {
			var values [][]byte
			for _, v := range c.XFF {
				values = append(values, []byte(v))
			}
			got := clientip.Resolve(netip.MustParseAddr(c.Peer), loopback, values, c.Hops)
			if got.String() != c.Want {
				t.Fatalf("Resolve = %v, want %s", got, c.Want)
			}
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = netip.AddrPortFrom(netip.MustParseAddr(c.Peer), 4321).String()
			for _, v := range c.XFF {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got, _ := clientip.FromRequest(r, loopback, c.Hops); got.String() != c.Want {
				t.Fatalf("FromRequest = %v, want %s", got, c.Want)
			}
		})
	}
}

func TestHopsOutOfRangeIsUnknown(t *testing.T) {
	values := [][]byte{[]byte("203.0.113.9")}
	for _, hops := range []int{-1, 0, clientip.MaxHops + 1} {
		if a := clientip.FromXFF(values, hops); a.IsValid() {
			t.Errorf("hops %d: %v", hops, a)
		}
	}
}

func TestFromXFFZeroAllocs(t *testing.T) {
	values := [][]byte{[]byte("198.51.100.1, 203.0.113.9"), []byte("2001:db8::1")}
	n := testing.AllocsPerRun(200, func() {
		if !clientip.FromXFF(values, 2).IsValid() {
			t.Fatal("unknown")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzFromXFF(f *testing.F) {
	f.Add("1.2.3.4, 5.6.7.8", 1)
	f.Add(", ,", 2)
	f.Add("::ffff:10.0.0.1", 1)
	f.Fuzz(func(t *testing.T, v string, hops int) {
		a := clientip.FromXFF([][]byte{[]byte(v)}, hops)
		if !a.IsValid() {
			return
		}
		if a.Zone() != "" || a.Is4In6() {
			t.Fatalf("%q -> %v", v, a)
		}
		parts := strings.Split(v, ",")
		if hops < 1 || hops > len(parts) || strings.TrimSpace(parts[len(parts)-hops]) == "" {
			t.Fatalf("%q hops %d -> %v", v, hops, a)
		}
	})
}
