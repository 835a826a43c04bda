package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/configs"
)

const tokensUsage = `usage: hybridcon tokens create [--role ROLE] [--event SLUG] [--expires DURATION] NAME

Issue an API token straight on the database the configuration names (a
running server accepts it at once; no restart) and print only its secret,
so that a shell can keep it:

  T=$(hybridcon tokens create --role organizer my-script)
  curl -H "Authorization: Bearer $T" ...

The secret is shown only this once. List and revoke tokens with the API
(/api/v1/tokens) or the console. The token is in the audit trail (actor
hybridcon-cli).

Flags:
`

// tokensCmd runs "hybridcon tokens create …".
func tokensCmd(ctx context.Context, cfg configs.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokens create", flag.ContinueOnError)
	role := fs.String("role", app.RoleAdmin, "admin, organizer or checker")
	event := fs.String("event", "", "the event (slug) of a checker token")
	expires := fs.Duration("expires", 0, "end the token after this long (e.g. 720h); 0: until it is revoked")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), tokensUsage)
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		fs.SetOutput(stderr)
		fs.Usage()
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fs.SetOutput(stdout)
		fs.Usage()
		return errHelp
	case "create":
	default:
		fmt.Fprintf(stderr, "hybridcon tokens: unknown command %q\n", args[0])
		fs.SetOutput(stderr)
		fs.Usage()
		return errUsage
	}
	pos, err := parseFlags(fs, args[1:], stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *expires < 0 {
		fs.Usage()
		return errUsage
	}
	in := app.TokenInput{Name: pos[0], Role: *role, Event: *event}
	if *expires > 0 {
		at := time.Now().Add(*expires)
		in.ExpiresAt = &at
	}
	svc, done, err := usersService(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer done()
	tok, err := svc.IssueToken(ctx, cliPrincipal, in)
	if err != nil {
		return errors.New(app.ErrorMessage(err))
	}
	fmt.Fprintln(stdout, tok.Secret)
	return nil
}
