package ceremony

import (
	"encoding/base64"
	"encoding/json"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func b64Decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
