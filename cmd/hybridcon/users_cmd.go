package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/configs"
)

// The users commands manage the accounts that log in to the pages
// straight on the database the configuration names, as the API would
// (same rules, audited as cliActor): the way back in when the last admin
// password is lost. They work whether or not HYBRIDCON_ADMIN_TOKEN is
// set; that token is for automation and does not log in to the console.

// errHelp marks a command line that asked for help: the usage was
// printed to stdout and the exit status is 0.
var errHelp = errors.New("help requested")

const usersUsage = `usage: hybridcon users COMMAND [flags] [USERNAME]

Manage the users who log in to the pages, directly on the database the
configuration names (no server needed; run it where the server's
configuration and environment are):

  users list                         list every user
  users create [flags] USERNAME      create a user; the password is generated
                                     and printed once unless --password-file
  users reset-password [flags] USERNAME
                                     set a new password (generated and printed
                                     once unless --password-file) and end the
                                     user's logins

Run "hybridcon users COMMAND --help" for a command's flags. Every change is
in the audit trail (actor hybridcon-cli).
`

// usersCmd runs "hybridcon users …".
func usersCmd(ctx context.Context, cfg configs.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usersUsage)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usersUsage)
		return errHelp
	case "list":
		return usersList(ctx, cfg, log, args[1:], stdout, stderr)
	case "create":
		return usersCreate(ctx, cfg, log, args[1:], stdout, stderr)
	case "reset-password":
		return usersResetPassword(ctx, cfg, log, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "hybridcon users: unknown command %q\n\n%s", args[0], usersUsage)
	return errUsage
}

// parseSub parses a users subcommand's flags. --help prints the usage to
// stdout and returns errHelp, before anything is opened or written.
func parseSub(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, usage)
		fs.PrintDefaults()
		return nil, errHelp
	}
	if err != nil {
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "hybridcon users %s: %v\n%s", fs.Name(), err, usage)
		fs.PrintDefaults()
		return nil, errUsage
	}
	return pos, nil
}

// usersService opens the store and a service acting on it.
func usersService(ctx context.Context, cfg configs.Config, log *slog.Logger) (*app.Service, func(), error) {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	svc := app.NewService(st, nil, log)
	svc.SetPasswordHashes(cfg.PasswordHashes)
	return svc, func() {
		svc.StopAttendance()
		st.Close()
	}, nil
}

func usersList(ctx context.Context, cfg configs.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	pos, err := parseSub(fs, args, "usage: hybridcon users list\n", stdout, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fmt.Fprint(stderr, "usage: hybridcon users list (no arguments)\n")
		return errUsage
	}
	svc, done, err := usersService(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer done()
	users, err := svc.Users(ctx, cliPrincipal)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tUSERNAME\tROLE\tEVENT\tSTATE\tDISPLAY NAME")
	for _, u := range users {
		state := "active"
		if u.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Role, dash(u.Event), state, dash(u.DisplayName))
	}
	return w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// passwordFlag is the --password-file flag of create and reset-password.
func passwordFlag(fs *flag.FlagSet) *string {
	return fs.String("password-file", "", "read the password from the first line of this file (- for standard input) instead of generating one")
}

// choosePassword reads the password from file ("-": standard input), or
// generates one when file is empty; generated reports which.
func choosePassword(file string) (password string, generated bool, err error) {
	if file == "" {
		p, err := app.NewPassword()
		return p, err == nil, err
	}
	var r io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", false, err
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, err
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

// passwordCommand is what create and reset-password share: the flags
// parsed, one USERNAME, the password chosen and the service opened.
type passwordCommand struct {
	username, password string
	generated          bool
	svc                *app.Service
	done               func()
}

// startPasswordCommand parses args with fs (pwFile being its
// --password-file), chooses the password and opens the service; the
// caller runs done when finished.
func startPasswordCommand(ctx context.Context, cfg configs.Config, log *slog.Logger, fs *flag.FlagSet, pwFile *string, args []string, usage string, stdout, stderr io.Writer) (*passwordCommand, error) {
	pos, err := parseSub(fs, args, usage, stdout, stderr)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, usage)
		return nil, errUsage
	}
	pc := &passwordCommand{username: pos[0]}
	if pc.password, pc.generated, err = choosePassword(*pwFile); err != nil {
		return nil, err
	}
	if pc.svc, pc.done, err = usersService(ctx, cfg, log); err != nil {
		return nil, err
	}
	return pc, nil
}

// printPassword shows a generated password, once.
func (pc *passwordCommand) printPassword(w io.Writer) {
	if pc.generated {
		fmt.Fprintf(w, "password: %s\n(shown only this once)\n", pc.password)
	}
}

func usersCreate(ctx context.Context, cfg configs.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	role := fs.String("role", app.RoleAdmin, "admin, organizer or checker")
	event := fs.String("event", "", "the event (slug) of a checker")
	display := fs.String("display-name", "", "the name the public sees where the user is named (announcements); empty shows the role")
	pwFile := passwordFlag(fs)
	const usage = "usage: hybridcon users create [--role ROLE] [--event SLUG] [--display-name NAME] [--password-file FILE] USERNAME\n"
	pc, err := startPasswordCommand(ctx, cfg, log, fs, pwFile, args, usage, stdout, stderr)
	if err != nil {
		return err
	}
	defer pc.done()
	u, err := pc.svc.CreateUser(ctx, cliPrincipal, app.UserInput{Username: pc.username, Password: pc.password, Role: *role, Event: *event, DisplayName: *display})
	if err != nil {
		return errors.New(app.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "created %s user %q (id %d)\n", u.Role, u.Username, u.ID)
	pc.printPassword(stdout)
	return nil
}

func usersResetPassword(ctx context.Context, cfg configs.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reset-password", flag.ContinueOnError)
	enable := fs.Bool("enable", false, "also enable the user if they are disabled")
	pwFile := passwordFlag(fs)
	const usage = "usage: hybridcon users reset-password [--enable] [--password-file FILE] USERNAME\n"
	pc, err := startPasswordCommand(ctx, cfg, log, fs, pwFile, args, usage, stdout, stderr)
	if err != nil {
		return err
	}
	defer pc.done()
	u, err := pc.svc.Store().UserByName(ctx, pc.username)
	if err != nil {
		return errors.New(app.ErrorMessage(err))
	}
	in := app.UserUpdate{Password: &pc.password}
	if *enable {
		f := false
		in.Disabled = &f
	}
	if u, err = pc.svc.UpdateUser(ctx, cliPrincipal, u.ID, in); err != nil {
		return errors.New(app.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "new password set for %q; their logins have ended\n", u.Username)
	pc.printPassword(stdout)
	if u.Disabled {
		fmt.Fprintf(stdout, "note: %q is disabled and cannot log in; add --enable to enable them\n", u.Username)
	}
	return nil
}
