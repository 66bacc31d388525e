package login

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"identifier":"a","password":"b"}`))
	f.Add([]byte(`{"identifier":"a","password":"b","x":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(` {"identifier":"a"} `))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		var v loginRequest
		err := web.DecodeJSON(r, &v, false)
		if err == nil && !strings.HasPrefix(strings.TrimLeft(string(body), " \t\r\n"), "{") {
			// Only objects are requests (null would decode as zero values).
			t.Fatalf("non-object body accepted: %q", body)
		}
		if err == nil && strings.Contains(string(body), `"x"`) && !strings.Contains(string(body), `\`) {
			// Unknown members never decode silently.
			var probe map[string]any
			if jsonObj(body, &probe) && probe["x"] != nil {
				t.Fatalf("unknown field accepted: %q", body)
			}
		}
	})
}

func jsonObj(b []byte, v *map[string]any) bool {
	return json.Unmarshal(b, v) == nil
}
