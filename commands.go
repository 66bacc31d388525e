package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
)

// stateFlags are the flags every state-reading command takes.
type stateFlags struct {
	config  string
	dataDir string
}

func (s *stateFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.config, "config", "", "YAML config file (default: zero-config development)")
	fs.StringVar(&s.dataDir, "data-dir", "", "data directory (env GATEHOUSE_DATA_DIR; default ./gatehouse-data)")
}

// caller runs an admin operation either in this process on the opened
// store or on a running server through its admin listener.
type caller struct {
	ops    *admin.Ops
	client *admin.Client
	close  func()
}

func (c *caller) call(ctx context.Context, op string, req, out any) error {
	if c.client != nil {
		return c.client.Call(ctx, op, req, out)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	res, err := admin.Dispatch(ctx, c.ops, op, body)
	if err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// openCaller loads the config and opens the store, or finds the running
// server that holds it.
func openCaller(env *cmdEnv, sf stateFlags) (*caller, *config.Config, error) {
	cfg, err := loadConfig(env, sf)
	if err != nil {
		return nil, nil, err
	}
	app, err := openApp(cfg, env.stderr, true)
	if errors.Is(err, errStoreLocked) {
		ep, eerr := admin.ReadEndpoint(cfg.DataDir)
		if eerr != nil {
			return nil, nil, fmt.Errorf("the store in %s is locked by another process and no running gatehouse announced its admin listener", cfg.DataDir)
		}
		return &caller{client: &admin.Client{Endpoint: ep}, close: func() {}}, cfg, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// Audit events of commands run on the file directly go to stderr.
	app.ops.Log = newLogger(cfg, env.stderr).With().Str("component", "admin").Logger()
	return &caller{ops: app.ops, close: app.Close}, cfg, nil
}

func readPassword(env *cmdEnv) (string, error) {
	r := bufio.NewReader(io.LimitReader(env.stdin, 4096))
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	s := string(b)
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	if s == "" {
		return "", usagef("--password-stdin: no password on standard input")
	}
	return s, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdUser(env *cmdEnv, args []string) error {
	if len(args) == 0 {
		return usagef("user: missing subcommand (add, list, set-password, set-roles, disable, enable, delete)")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("user " + sub)
	var sf stateFlags
	sf.register(fs)
	email := fs.String("email", "", "the user's email address")
	var (
		pwStdin, superuser, verified, asJSON *bool
		roles, name                          *string
	)
	switch sub {
	case "add":
		pwStdin = fs.Bool("password-stdin", false, "read the password from standard input")
		roles = fs.String("roles", "", "comma-separated roles")
		superuser = fs.Bool("superuser", false, "make the user a superuser")
		verified = fs.Bool("verified", false, "mark the email as verified")
		name = fs.String("name", "", "display name")
	case "set-password":
		pwStdin = fs.Bool("password-stdin", false, "read the password from standard input")
	case "set-roles":
		roles = fs.String("roles", "", "comma-separated roles (empty: none)")
	case "list":
		asJSON = fs.Bool("json", false, "print JSON")
	case "disable", "enable", "delete":
	default:
		return usagef("user: unknown subcommand %q", sub)
	}
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if sub != "list" && *email == "" {
		return usagef("user %s: --email is required", sub)
	}
	if pwStdin != nil && !*pwStdin {
		return usagef("user %s: --password-stdin is required (passwords are never taken as arguments)", sub)
	}
	var password string
	if pwStdin != nil {
		pw, err := readPassword(env)
		if err != nil {
			return err
		}
		password = pw
	}
	c, _, err := openCaller(env, sf)
	if err != nil {
		return err
	}
	defer c.close()
	ctx := context.Background()
	var v admin.UserView
	switch sub {
	case "add":
		err = c.call(ctx, admin.OpUserAdd, admin.UserAddRequest{Email: *email, DisplayName: *name, Password: password,
			Roles: splitList(*roles), Superuser: *superuser, Verified: *verified}, &v)
		if err == nil {
			fmt.Fprintf(env.stdout, "created user %s\n", v.ID)
		}
	case "list":
		var us []admin.UserView
		if err = c.call(ctx, admin.OpUserList, struct{}{}, &us); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.stdout, us)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tROLES\tSUPERUSER\tACTIVE\tVERIFIED")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%t\t%t\n", u.ID, u.Email, strings.Join(u.Roles, ","), u.Superuser, u.Active, u.Verified)
		}
		return tw.Flush()
	case "set-password":
		err = c.call(ctx, admin.OpUserSetPassword, admin.UserUpdateRequest{Email: *email, Password: password}, &v)
		if err == nil {
			fmt.Fprintf(env.stdout, "password changed for user %s; their sessions were revoked\n", v.ID)
		}
	case "set-roles":
		err = c.call(ctx, admin.OpUserSetRoles, admin.UserUpdateRequest{Email: *email, Roles: splitList(*roles)}, &v)
		if err == nil {
			fmt.Fprintf(env.stdout, "roles of user %s: %s\n", v.ID, strings.Join(v.Roles, ","))
		}
	case "disable", "enable":
		active := sub == "enable"
		err = c.call(ctx, admin.OpUserSetActive, admin.UserUpdateRequest{Email: *email, Active: &active}, &v)
		if err == nil {
			fmt.Fprintf(env.stdout, "user %s %sd\n", v.ID, sub)
		}
	case "delete":
		err = c.call(ctx, admin.OpUserDelete, admin.UserUpdateRequest{Email: *email}, &v)
		if err == nil {
			fmt.Fprintf(env.stdout, "deleted user %s\n", v.ID)
		}
	}
	return err
}

func cmdAPIKey(env *cmdEnv, args []string) error {
	if len(args) == 0 {
		return usagef("apikey: missing subcommand (create, list, revoke)")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("apikey " + sub)
	var sf stateFlags
	sf.register(fs)
	ctx := context.Background()
	switch sub {
	case "create":
		user := fs.String("user", "", "owner's email")
		name := fs.String("name", "", "a name for the key")
		scopes := fs.String("scopes", "", "comma-separated scopes")
		expires := fs.Duration("expires", 0, "lifetime, e.g. 720h (default: api_keys.default_lifetime)")
		signed := fs.Bool("signing-required", false, "only accept LSA1-signed requests with this key")
		if _, err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		if *user == "" || *name == "" {
			return usagef("apikey create: --user and --name are required")
		}
		c, _, err := openCaller(env, sf)
		if err != nil {
			return err
		}
		defer c.close()
		var res admin.APIKeyCreated
		if err := c.call(ctx, admin.OpAPIKeyCreate, admin.APIKeyCreateRequest{Email: *user, Name: *name,
			Scopes: splitList(*scopes), Expires: *expires, SigningRequired: *signed}, &res); err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, res.Raw)
		exp := "never"
		if !res.Key.ExpiresAt.IsZero() {
			exp = res.Key.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(env.stderr, "key_id %s for user %s, scopes [%s], expires %s, signing required %t\nThe key above is shown once; store it now.\n",
			res.Key.KeyID, res.Key.UserID, strings.Join(res.Key.Scopes, ","), exp, res.Key.SigningRequired)
		return nil
	case "list":
		user := fs.String("user", "", "owner's email")
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		if *user == "" {
			return usagef("apikey list: --user is required")
		}
		c, _, err := openCaller(env, sf)
		if err != nil {
			return err
		}
		defer c.close()
		var ks []admin.APIKeyView
		if err := c.call(ctx, admin.OpAPIKeyList, admin.APIKeyListRequest{Email: *user}, &ks); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.stdout, ks)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY_ID\tNAME\tSCOPES\tSTATE\tEXPIRES\tLAST_USED")
		for _, k := range ks {
			state := "active"
			if !k.RevokedAt.IsZero() {
				state = "revoked"
			} else if !k.ExpiresAt.IsZero() && time.Now().After(k.ExpiresAt) {
				state = "expired"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.KeyID, k.Name, strings.Join(k.Scopes, ","), state, fmtTime(k.ExpiresAt), fmtTime(k.LastUsedAt))
		}
		return tw.Flush()
	case "revoke":
		pos, err := parseFlags(fs, args, 1)
		if err != nil {
			return err
		}
		c, _, err := openCaller(env, sf)
		if err != nil {
			return err
		}
		defer c.close()
		var k admin.APIKeyView
		if err := c.call(ctx, admin.OpAPIKeyRevoke, admin.APIKeyRevokeRequest{KeyID: pos[0]}, &k); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "revoked %s\n", k.KeyID)
		return nil
	}
	return usagef("apikey: unknown subcommand %q", sub)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func cmdToken(env *cmdEnv, args []string) error {
	if len(args) == 0 || args[0] != "issue" {
		return usagef("token: missing or unknown subcommand (issue)")
	}
	fs := newFlags("token issue")
	var sf stateFlags
	sf.register(fs)
	user := fs.String("user", "", "the user's email")
	life := fs.Duration("lifetime", 0, "token lifetime (default: tokens.access.lifetime)")
	if _, err := parseFlags(fs, args[1:], 0); err != nil {
		return err
	}
	if *user == "" {
		return usagef("token issue: --user is required")
	}
	c, _, err := openCaller(env, sf)
	if err != nil {
		return err
	}
	defer c.close()
	var t admin.TokenIssued
	if err := c.call(context.Background(), admin.OpTokenIssue, admin.TokenIssueRequest{Email: *user, Lifetime: *life}, &t); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, t.Token)
	fmt.Fprintf(env.stderr, "expires %s\n", t.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

func cmdKeys(env *cmdEnv, args []string) error {
	if len(args) == 0 {
		return usagef("keys: missing subcommand (status, rotate, reencrypt)")
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
		return usagef("keys %s: unknown --ring %q", sub, *ring)
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
			fmt.Fprintf(env.stdout, "%s (active %s): ", r.Ring, orDash(r.ActiveKeyID))
			parts := []string{}
			for _, id := range sortedKeys(r.Rows) {
				parts = append(parts, fmt.Sprintf("%s=%d", id, r.Rows[id]))
			}
			if r.Unknown > 0 {
				parts = append(parts, fmt.Sprintf("unreadable=%d", r.Unknown))
			}
			fmt.Fprintf(env.stdout, "%s; %d to re-encrypt\n", strings.Join(parts, " "), r.Remaining)
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
					fmt.Fprintf(env.stderr, "%s: %d/%d rows re-encrypted\n", r, done, total)
				}
			})
		} else {
			fmt.Fprintln(env.stderr, "re-encrypting through the running server...")
			err = c.call(ctx, admin.OpKeysReencrypt, admin.ReencryptRequest{Ring: *ring}, &res)
		}
		for _, r := range res {
			fmt.Fprintf(env.stdout, "%s: %d rewritten, %d unreadable, %d remain outside the active key\n", r.Ring, r.Rewritten, r.Failed, r.Remaining)
		}
		return err
	}
	return usagef("keys: unknown subcommand %q", sub)
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

func keysRotate(env *cmdEnv, sf stateFlags, ring string) error {
	cfg, err := loadConfig(env, sf)
	if err != nil {
		return err
	}
	rings := admin.Rings
	if ring != "" {
		rings = []string{ring}
	}
	if cfg.IsProduction() {
		fmt.Fprintln(env.stderr, "production mode: add these keys to your config's keyrings (keep the old ones until 'keys status' shows zero rows under them), reload, then run 'gatehouse keys reencrypt':")
		for _, r := range rings {
			key, err := newFernetKeyText()
			if err != nil {
				return err
			}
			kr := cfg.Keyrings.Get(r)
			id := nextKeyID(kr.KeyIDs())
			fmt.Fprintf(env.stdout, "keyrings:\n  %s:\n    active_key_id: %s\n    keys:\n      %s: %q\n", r, id, id, key)
		}
		return nil
	}
	for _, r := range rings {
		id, err := config.AddKeyringKey(cfg.DataDir, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s: new active key %s added to %s\n", r, id, filepath.Join(cfg.DataDir, "secrets.yaml"))
	}
	fmt.Fprintln(env.stderr, "A running server picks the new key up on SIGHUP; then run 'gatehouse keys reencrypt'.")
	return nil
}

func cmdBackup(env *cmdEnv, args []string) error {
	fs := newFlags("backup")
	var sf stateFlags
	sf.register(fs)
	pos, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	dst, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("backup: %s exists; refusing to overwrite it", dst)
	}
	c, _, err := openCaller(env, sf)
	if err != nil {
		return err
	}
	defer c.close()
	var res admin.BackupResult
	if err := c.call(context.Background(), admin.OpBackup, admin.BackupRequest{Path: dst}, &res); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "snapshot written to %s\n", res.Path)
	return nil
}

func cmdCheckConfig(env *cmdEnv, args []string) error {
	fs := newFlags("check-config")
	path := fs.String("config", "", "YAML config file")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *path == "" {
		return usagef("check-config: --config is required")
	}
	cfg, err := config.Load(*path, env.getenv)
	if err != nil {
		fmt.Fprintln(env.stdout, err)
		return silentError{}
	}
	if err := cfg.Validate(); err != nil {
		var ve *config.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				kind := "error"
				if p.Warning {
					kind = "warning"
				}
				fmt.Fprintf(env.stdout, "%s: %s: %s\n", kind, p.Path, p.Message)
			}
			if len(ve.Errors()) > 0 {
				return silentError{}
			}
		} else {
			fmt.Fprintln(env.stdout, err)
			return silentError{}
		}
	}
	fmt.Fprintln(env.stdout, "ok")
	return nil
}
