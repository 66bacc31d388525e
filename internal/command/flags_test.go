package command

import (
	"errors"
	"reflect"
	"testing"
)

// TestDoubleDashEndsFlagsForPositionalArguments: "--" makes every later
// argument positional, even one that begins with '-', while a "--" that
// is a flag's value is only that value.
func TestDoubleDashEndsFlagsForPositionalArguments(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		nargs   int
		wantPos []string
		wantStr string // value of --name
		wantErr bool
	}{
		{"flag then positional", []string{"--name", "x", "id"}, 1, []string{"id"}, "x", false},
		{"positional then flag", []string{"id", "--name", "x"}, 1, []string{"id"}, "x", false},
		{"dash id after --", []string{"--", "-abc"}, 1, []string{"-abc"}, "", false},
		{"flag, --, dash id", []string{"--name", "x", "--", "-abc"}, 1, []string{"-abc"}, "x", false},
		{"-- then flag-looking words", []string{"--", "-abc", "--name"}, 2, []string{"-abc", "--name"}, "", false},
		{"bool flag before --", []string{"--json", "--", "-abc"}, 1, []string{"-abc"}, "", false},
		{"-- as a flag value", []string{"--name", "--", "id", "--json"}, 1, []string{"id"}, "--", false},
		{"-- as a flag value, then a real --", []string{"--name", "--", "--", "-id"}, 1, []string{"-id"}, "--", false},
		{"dash id without --", []string{"-abc"}, 1, nil, "", true},
		{"unknown flag", []string{"--nope", "id"}, 1, nil, "", true},
		{"too many after --", []string{"--", "a", "b"}, 1, nil, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFlags("test")
			name := fs.String("name", "", "")
			fs.Bool("json", false, "")
			pos, err := parseFlags(fs, tc.args, tc.nargs)
			if tc.wantErr {
				var ue usageError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(pos, tc.wantPos) || *name != tc.wantStr {
				t.Fatalf("pos %q name %q err %v; want %q %q", pos, *name, err, tc.wantPos, tc.wantStr)
			}
		})
	}
}
