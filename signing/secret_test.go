package signing_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/signing"
)

// The material is distinctive in every form a leak could take: as text, as
// hex and as a Go byte list.
var secretMaterial = []byte("SUPERSECRETMATERIAL-0123456789-xyz")

func secretAssertClean(t *testing.T, what, out string) {
	t.Helper()
	for _, leak := range []string{
		string(secretMaterial),
		"SUPERSECRET",
		fmt.Sprintf("%x", secretMaterial[:6]),
		fmt.Sprintf("%X", secretMaterial[:6]),
		fmt.Sprint(secretMaterial[:4])[1:12], // "83 85 80 69"
	} {
		if strings.Contains(out, leak) {
			t.Fatalf("%s leaks the secret: %q", what, out)
		}
	}
	if !strings.Contains(out, "[REDACTED]") {
		t.Fatalf("%s does not say [REDACTED]: %q", what, out)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	sec := signing.NewSecret(bytes.Clone(secretMaterial))
	type holder struct {
		Name string
		Key  signing.Secret
	}
	h := holder{"x", sec}
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10s", "%-20v"} {
		for _, v := range []any{sec, &sec, h, &h, []signing.Secret{sec}, map[string]signing.Secret{"k": sec}} {
			out := fmt.Sprintf(verb, v)
			secretAssertClean(t, verb, out)
		}
	}
	secretAssertClean(t, "Sprint", fmt.Sprint(sec))
	secretAssertClean(t, "Sprintln", fmt.Sprintln(h))
	secretAssertClean(t, "String", sec.String())
	secretAssertClean(t, "GoString", sec.GoString())
	secretAssertClean(t, "error wrap", fmt.Errorf("loading %v: %w", sec, fmt.Errorf("x")).Error())
}

func TestSecretJSONRedacted(t *testing.T) {
	sec := signing.NewSecret(bytes.Clone(secretMaterial))
	out, err := json.Marshal(struct {
		Key  signing.Secret
		Ptr  *signing.Secret `json:"ptr"`
		List []signing.Secret
		Map  map[string]signing.Secret
	}{sec, &sec, []signing.Secret{sec}, map[string]signing.Secret{"a": sec}})
	if err != nil {
		t.Fatal(err)
	}
	secretAssertClean(t, "json", string(out))
	if strings.Count(string(out), "[REDACTED]") != 4 {
		t.Fatalf("json = %s", out)
	}
	// Through the TextMarshaler too (encoding/xml, yaml and others use it).
	txt, err := sec.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	secretAssertClean(t, "MarshalText", string(txt))
}

func TestSecretZerologRedacted(t *testing.T) {
	sec := signing.NewSecret(bytes.Clone(secretMaterial))
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	cases := map[string]func(){
		"Interface":  func() { log.Info().Interface("s", sec).Msg("m") },
		"Any":        func() { log.Info().Any("s", &sec).Msg("m") },
		"Stringer":   func() { log.Info().Stringer("s", sec).Msg("m") },
		"Msgf":       func() { log.Info().Msgf("secret is %v / %s / %x", sec, sec, sec) },
		"Fields map": func() { log.Info().Fields(map[string]any{"s": sec}).Msg("m") },
		"Struct":     func() { log.Info().Interface("cfg", struct{ Key signing.Secret }{sec}).Msg("m") },
		"Context":    func() { l := log.With().Interface("s", sec).Logger(); l.Info().Msg("m") },
	}
	for name, emit := range cases {
		t.Run(name, func(t *testing.T) {
			buf.Reset()
			emit()
			if buf.Len() == 0 {
				t.Fatal("nothing logged")
			}
			secretAssertClean(t, name, buf.String())
		})
	}
}

func TestSecretAccessors(t *testing.T) {
	a := signing.NewSecret([]byte("same-material"))
	b := signing.NewSecret([]byte("same-material"))
	c := signing.NewSecret([]byte("other-material"))
	if !a.Equal(b) || a.Equal(c) || a.Len() != 13 || a.IsZero() || !(signing.Secret{}).IsZero() {
		t.Fatal("Secret accessors disagree with their material")
	}
	if !bytes.Equal(a.Bytes(), []byte("same-material")) {
		t.Fatal("Bytes")
	}
}
