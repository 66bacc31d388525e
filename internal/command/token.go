package command

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/admin"
)

// Token runs `gatehouse token issue`: an access JWT for a user.
func Token(env *Env, args []string) error {
	if len(args) == 0 || args[0] != "issue" {
		return Usagef("token: missing or unknown subcommand (issue)")
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
		return Usagef("token issue: --user is required")
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
	fmt.Fprintln(env.Stdout, t.Token)
	fmt.Fprintf(env.Stderr, "expires %s\n", t.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}
