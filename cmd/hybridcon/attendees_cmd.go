package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/qrcode"
	"github.com/hybridcon/hybridcon/configs"
)

// The attendee commands open the store from the same configuration as
// serve and act as an administrator named cliActor in the audit trail.

const cliActor = "hybridcon-cli"

var cliPrincipal = app.Principal{Name: cliActor, Role: app.RoleAdmin}

// parseInterspersed parses flags wherever they appear among the
// positional arguments (flag stops at the first positional one) and
// returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// errUsage marks a command line the usage text was printed for.
var errUsage = errors.New("bad command line (see usage above)")

// parseFlags parses a command's flags wherever they stand and returns the
// positional arguments. --help prints fs.Usage to stdout and returns
// errHelp; a bad flag prints the error and the usage to stderr and
// returns errUsage. Either way nothing has been opened yet.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return nil, errHelp
	case err != nil:
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "hybridcon %s: %v\n", fs.Name(), err)
		fs.Usage()
		return nil, errUsage
	}
	fs.SetOutput(stderr)
	return pos, nil
}

// importAttendeesCmd runs "hybridcon import-attendees --event SLUG
// FILE.csv": the API's all-or-nothing import, printing "imported N/M"
// every app.ImportProgressEvery rows, then the counts. A bad file prints
// every row error and fails, importing nothing.
func importAttendeesCmd(ctx context.Context, cfg configs.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import-attendees", flag.ContinueOnError)
	event := fs.String("event", "", "slug of the event the attendees register for (required)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: hybridcon import-attendees --event SLUG FILE.csv\n"+
			"  FILE.csv: UTF-8 (with or without BOM), header row with columns %v;\n"+
			"  name is required, and every row needs an email or an external_id.\n", app.AttendeeColumns)
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if *event == "" || len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := app.NewService(st, nil, log)
	defer svc.StopAttendance()
	res, err := svc.ImportAttendees(ctx, cliPrincipal, *event, data, func(done, total int) {
		fmt.Fprintf(stdout, "imported %d/%d\n", done, total)
	})
	if err != nil {
		printImportErrors(stderr, err)
		return fmt.Errorf("%s: %s", pos[0], app.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "%s: %d created, %d updated, %d unchanged\n", pos[0], res.Created, res.Updated, res.Unchanged)
	return nil
}

// printImportErrors lists the row errors of a refused import.
func printImportErrors(w io.Writer, err error) {
	var ae *app.Error
	if !errors.As(err, &ae) {
		return
	}
	details, ok := ae.Details.(app.ImportErrors)
	if !ok {
		return
	}
	for _, e := range details.Errors {
		if e.Column != "" {
			fmt.Fprintf(w, "row %d, column %s: %s\n", e.Row, e.Column, e.Message)
		} else {
			fmt.Fprintf(w, "row %d: %s\n", e.Row, e.Message)
		}
	}
}

// safeFileName is what a ticket file may be named after: the shape of an
// external id (app validates it on the way in) or of an attendee id.
var safeFileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ticketsCmd runs "hybridcon tickets --event SLUG --out DIR": one QR PNG
// per attendee who is not revoked, named <external_id>.png (or <id>.png
// without one), and DIR/index.csv mapping names to files.
func ticketsCmd(ctx context.Context, cfg configs.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tickets", flag.ContinueOnError)
	event := fs.String("event", "", "event slug (required)")
	out := fs.String("out", "", "directory to write the PNG files and index.csv to; created if missing (required)")
	textOnly := fs.Bool("text-only", false, "write index.csv and tickets.txt only, no PNG files (for a mail merge or a print shop that makes its own QR codes, and for load tests)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: hybridcon tickets --event SLUG --out DIR [--text-only]\n")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if *event == "" || *out == "" || len(pos) != 0 {
		fs.Usage()
		return errUsage
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := app.NewService(st, nil, log)
	defer svc.StopAttendance()
	tickets, err := svc.Tickets(ctx, cliPrincipal, *event)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o750); err != nil {
		return err
	}
	index := [][]string{{"file", "attendee_id", "external_id", "name", "organization", "category", "ticket"}}
	var texts strings.Builder
	used := map[string]bool{}
	for i, tk := range tickets {
		a := tk.Attendee
		name := a.ExternalID
		if name == "" || !safeFileName.MatchString(name) || used[name] {
			name = a.ID
		}
		used[name] = true
		file := ""
		if !*textOnly {
			file = name + ".png"
			png, err := qrcode.PNG(tk.Ticket)
			if err != nil {
				return fmt.Errorf("QR code for attendee %s: %w", a.ID, err)
			}
			if err := os.WriteFile(filepath.Join(*out, file), png, 0o640); err != nil {
				return err
			}
		}
		index = append(index, []string{file, a.ID, a.ExternalID, app.SafeCell(a.Name), app.SafeCell(a.Organization), app.SafeCell(a.Category), tk.Ticket})
		texts.WriteString(tk.Ticket + "\n")
		if n := i + 1; n%app.ImportProgressEvery == 0 {
			fmt.Fprintf(stdout, "wrote %d/%d\n", n, len(tickets))
		}
	}
	if err := writeIndex(filepath.Join(*out, "index.csv"), index); err != nil {
		return err
	}
	// One ticket text per line, for scanners' test rigs and cmd/loadgen.
	if err := os.WriteFile(filepath.Join(*out, "tickets.txt"), []byte(texts.String()), 0o640); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d tickets written to %s (index.csv lists them, tickets.txt has the texts)\n", len(tickets), *out)
	return nil
}

// writeIndex writes rows as CSV, UTF-8 with a byte-order mark so that
// spreadsheet programs show Chinese and Hungarian names.
func writeIndex(path string, rows [][]string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("\xef\xbb\xbf"); err != nil {
		f.Close()
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
