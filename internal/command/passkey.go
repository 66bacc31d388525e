package command

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/internal/accounts"
)

// Passkey runs `gatehouse passkey list|remove`: an operator's view of a
// user's passkeys, as the portal's admin page shows them.
func Passkey(env *Env, args []string) error {
	if len(args) == 0 {
		return Usagef("passkey: missing subcommand (list, remove)")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("passkey " + sub)
	var sf stateFlags
	sf.register(fs)
	user := fs.String("user", "", "owner's email")
	ctx := context.Background()
	switch sub {
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		if *user == "" {
			return Usagef("passkey list: --user is required")
		}
		c, _, err := openCaller(env, sf)
		if err != nil {
			return err
		}
		defer c.close()
		var ps []accounts.PasskeyView
		if err := c.call(ctx, admin.OpPasskeyList, admin.PasskeyListRequest{Email: *user}, &ps); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.Stdout, ps)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST_USED\tBACKUP\tTRANSPORTS\tSIGN_COUNT")
		for _, p := range ps {
			backup := "no"
			switch {
			case p.BackupState:
				backup = "synced"
			case p.BackupEligible:
				backup = "eligible"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", p.ID, p.Name, fmtTime(p.CreatedAt), fmtTime(p.LastUsedAt), backup, strings.Join(p.Transports, ","), p.SignCount)
		}
		return tw.Flush()
	case "remove":
		pos, err := parseFlags(fs, args, 1)
		if err != nil {
			return err
		}
		if *user == "" {
			return Usagef("passkey remove: --user is required")
		}
		c, _, err := openCaller(env, sf)
		if err != nil {
			return err
		}
		defer c.close()
		var res admin.PasskeyRemoved
		if err := c.call(ctx, admin.OpPasskeyRemove, admin.PasskeyRemoveRequest{Email: *user, CredentialID: pos[0]}, &res); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "removed passkey %s of user %s\n", res.ID, res.UserID)
		return nil
	}
	return Usagef("passkey: unknown subcommand %q", sub)
}
