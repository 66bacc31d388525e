package command

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/signing"
)

// Keys runs `gatehouse keys status|rotate|reencrypt`.
func Keys(env *Env, args []string) error {
	if len(args) == 0 {
		return Usagef("keys: missing subcommand (status, rotate, reencrypt)")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("keys " + sub)
	var sf stateFlags
	sf.register(fs)
	ring := fs.String("ring", "", "keyring: totp_secrets, oauth_tokens or api_key_signing (default: all)")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *ring != "" && !knownRing(*ring) {
		return Usagef("keys %s: unknown --ring %q", sub, *ring)
	}
	ctx := context.Background()
	switch sub {
	case "status":
		c, _, err := openCaller(env, sf)
		if err != nil {
			return err
		}
		defer c.close()
		var st []admin.RingStatus
		if err := c.call(ctx, admin.OpKeysStatus, struct{}{}, &st); err != nil {
			return err
		}
		for _, r := range st {
			if *ring != "" && r.Ring != *ring {
				continue
			}
			fmt.Fprintf(env.Stdout, "%s (active %s): ", r.Ring, orDash(r.ActiveKeyID))
			parts := []string{}
			for _, id := range slices.Sorted(maps.Keys(r.Rows)) {
				parts = append(parts, fmt.Sprintf("%s=%d", id, r.Rows[id]))
			}
			if r.Unknown > 0 {
				parts = append(parts, fmt.Sprintf("unreadable=%d", r.Unknown))
			}
			fmt.Fprintf(env.Stdout, "%s; %d to re-encrypt\n", strings.Join(parts, " "), r.Remaining)
		}
		return nil
	case "rotate":
		return keysRotate(env, sf, *ring)
	case "reencrypt":
		c, _, err := openCaller(env, sf)
		if err != nil {
			return err
		}
		defer c.close()
		var res []admin.ReencryptResult
		if c.ops != nil {
			last := time.Time{}
			res, err = c.ops.Reencrypt(ctx, admin.ReencryptRequest{Ring: *ring}, func(r string, done, total int) {
				if done == total || time.Since(last) > time.Second {
					last = time.Now()
					fmt.Fprintf(env.Stderr, "%s: %d/%d rows re-encrypted\n", r, done, total)
				}
			})
		} else {
			fmt.Fprintln(env.Stderr, "re-encrypting through the running server...")
			err = c.call(ctx, admin.OpKeysReencrypt, admin.ReencryptRequest{Ring: *ring}, &res)
		}
		for _, r := range res {
			fmt.Fprintf(env.Stdout, "%s: %d rewritten, %d unreadable, %d remain outside the active key\n", r.Ring, r.Rewritten, r.Failed, r.Remaining)
		}
		return err
	}
	return Usagef("keys: unknown subcommand %q", sub)
}

func knownRing(r string) bool {
	for _, k := range admin.Rings {
		if k == r {
			return true
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func keysRotate(env *Env, sf stateFlags, ring string) error {
	cfg, err := sf.load(env)
	if err != nil {
		return err
	}
	rings := admin.Rings
	if ring != "" {
		rings = []string{ring}
	}
	if cfg.IsProduction() {
		fmt.Fprintln(env.Stderr, "production mode: add these keys to your config's keyrings (keep the old ones until 'keys status' shows zero rows under them), reload, then run 'gatehouse keys reencrypt':")
		for _, r := range rings {
			key, err := signing.GenerateFernetKey()
			if err != nil {
				return err
			}
			kr := cfg.Keyrings.Get(r)
			id := config.NextKeyID(kr.KeyIDs())
			fmt.Fprintf(env.Stdout, "keyrings:\n  %s:\n    active_key_id: %s\n    keys:\n      %s: %q\n", r, id, id, key)
		}
		return nil
	}
	for _, r := range rings {
		id, err := config.AddKeyringKey(cfg.DataDir, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: new active key %s added to %s\n", r, id, filepath.Join(cfg.DataDir, "secrets.yaml"))
	}
	fmt.Fprintln(env.Stderr, "A running server picks the new key up on SIGHUP; then run 'gatehouse keys reencrypt'.")
	return nil
}
