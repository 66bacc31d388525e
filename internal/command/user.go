package command

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gatehouse/gatehouse/admin"
)

// User runs `gatehouse user add|list|set-password|set-roles|disable|enable|delete`.
func User(env *Env, args []string) error {
	if len(args) == 0 {
		return Usagef("user: missing subcommand (add, list, set-password, set-roles, disable, enable, delete)")
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
		return Usagef("user: unknown subcommand %q", sub)
	}
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if sub != "list" && *email == "" {
		return Usagef("user %s: --email is required", sub)
	}
	if pwStdin != nil && !*pwStdin {
		return Usagef("user %s: --password-stdin is required (passwords are never taken as arguments)", sub)
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
			fmt.Fprintf(env.Stdout, "created user %s\n", v.ID)
		}
	case "list":
		var us []admin.UserView
		if err = c.call(ctx, admin.OpUserList, struct{}{}, &us); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.Stdout, us)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tROLES\tSUPERUSER\tACTIVE\tVERIFIED")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%t\t%t\n", u.ID, u.Email, strings.Join(u.Roles, ","), u.Superuser, u.Active, u.Verified)
		}
		return tw.Flush()
	case "set-password":
		err = c.call(ctx, admin.OpUserSetPassword, admin.UserUpdateRequest{Email: *email, Password: password}, &v)
		if err == nil {
			fmt.Fprintf(env.Stdout, "password changed for user %s; their sessions were revoked\n", v.ID)
		}
	case "set-roles":
		err = c.call(ctx, admin.OpUserSetRoles, admin.UserUpdateRequest{Email: *email, Roles: splitList(*roles)}, &v)
		if err == nil {
			fmt.Fprintf(env.Stdout, "roles of user %s: %s\n", v.ID, strings.Join(v.Roles, ","))
		}
	case "disable", "enable":
		active := sub == "enable"
		err = c.call(ctx, admin.OpUserSetActive, admin.UserUpdateRequest{Email: *email, Active: &active}, &v)
		if err == nil {
			fmt.Fprintf(env.Stdout, "user %s %sd\n", v.ID, sub)
		}
	case "delete":
		err = c.call(ctx, admin.OpUserDelete, admin.UserUpdateRequest{Email: *email}, &v)
		if err == nil {
			fmt.Fprintf(env.Stdout, "deleted user %s\n", v.ID)
		}
	}
	return err
}

func readPassword(env *Env) (string, error) {
	r := bufio.NewReader(io.LimitReader(env.Stdin, 4096))
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	s := string(b)
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	if s == "" {
		return "", Usagef("--password-stdin: no password on standard input")
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
