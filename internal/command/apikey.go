package command

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse/gatehouse/admin"
)

// APIKey runs `gatehouse apikey create|list|revoke`.
func APIKey(env *Env, args []string) error {
	if len(args) == 0 {
		return Usagef("apikey: missing subcommand (create, list, revoke)")
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
			return Usagef("apikey create: --user and --name are required")
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
		fmt.Fprintln(env.Stdout, res.Raw)
		exp := "never"
		if !res.Key.ExpiresAt.IsZero() {
			exp = res.Key.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(env.Stderr, "key_id %s for user %s, scopes [%s], expires %s, signing required %t\nThe key above is shown once; store it now.\n",
			res.Key.KeyID, res.Key.UserID, strings.Join(res.Key.Scopes, ","), exp, res.Key.SigningRequired)
		return nil
	case "list":
		user := fs.String("user", "", "owner's email")
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		if *user == "" {
			return Usagef("apikey list: --user is required")
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
			return printJSON(env.Stdout, ks)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
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
		fmt.Fprintf(env.Stdout, "revoked %s\n", k.KeyID)
		return nil
	}
	return Usagef("apikey: unknown subcommand %q", sub)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
