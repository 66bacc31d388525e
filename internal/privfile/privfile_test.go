package privfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/internal/privfile"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	cases := []struct {
		name    string
		data    string
		replace bool
		wantErr error
		want    string
	}{
		{"create", "one", false, nil, "one"},
		{"create-only refuses an existing file", "two", false, os.ErrExist, "one"},
		{"replace", "three", true, nil, "three"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := privfile.Write(p, []byte(tc.data), tc.replace)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			b, _ := os.ReadFile(p)
			if string(b) != tc.want {
				t.Fatalf("content %q, want %q", b, tc.want)
			}
			fi, _ := os.Stat(p)
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v", fi.Mode())
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 {
				t.Fatalf("temporary files left behind: %v", ents)
			}
		})
	}
	if err := privfile.Write(filepath.Join(dir, "missing", "f"), nil, true); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}
