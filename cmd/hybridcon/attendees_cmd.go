package main

import (
	"bytes"
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
	"github.com/hybridcon/hybridcon/app/web"
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

// ticketsCmd runs "hybridcon tickets": with --out DIR, one QR PNG per
// attendee who is not revoked, named <external_id>.png (or <id>.png
// without one), DIR/index.csv mapping names to files and DIR/tickets.txt;
// with --html sheet|badges, one print-ready HTML document (A4 sheets or
// badges, as the page /e/{slug}/tickets serves) to --out FILE or to
// stdout. --category, --q and --ids choose whose tickets, in either mode.
func ticketsCmd(ctx context.Context, cfg configs.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tickets", flag.ContinueOnError)
	event := fs.String("event", "", "event slug (required)")
	out := fs.String("out", "", "PNG mode: directory to write the PNG files, index.csv and tickets.txt to; created if missing (required).\n--html: the file to write; omitted or - writes to stdout")
	textOnly := fs.Bool("text-only", false, "write index.csv and tickets.txt only, no PNG files (for a mail merge or a print shop that makes its own QR codes, and for load tests)")
	layout := fs.String("html", "", "write one print-ready HTML document instead: \"sheet\" (an A4 page per attendee: event, name, organization, category, QR code, instructions in the event's languages) or \"badges\" (90 × 55 mm name badges, ten to an A4 page)")
	category := fs.String("category", "", "only attendees of this category (official, guest, enterprise, press, academic, …)")
	query := fs.String("q", "", "only attendees whose name or organization contains this text (any case)")
	ids := fs.String("ids", "", "only these attendees: comma-separated attendee ids, printed in this order")
	lang := fs.String("lang", "", "--html: language of the title and labels (zh, en or hu); default the event's first language")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: hybridcon tickets --event SLUG --out DIR [--text-only] [--category C] [--q TEXT] [--ids ID,…]\n"+
			"       hybridcon tickets --event SLUG --html sheet|badges [--out FILE] [--category C] [--q TEXT] [--ids ID,…] [--lang L]\n"+
			"Revoked attendees are never printed; with --html the document names those a filter left out.\n"+
			"Open the HTML file in a browser and print it on A4 (no margins, no headers and footers, 100 %%), or save it as PDF.\n")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	html := *layout != ""
	if *event == "" || !html && *out == "" || len(pos) != 0 || html && *textOnly {
		fs.Usage()
		return errUsage
	}
	if html && *layout != web.LayoutSheet && *layout != web.LayoutBadges {
		fmt.Fprintf(stderr, "hybridcon tickets: --html must be %s or %s, not %q\n", web.LayoutSheet, web.LayoutBadges, *layout)
		return errUsage
	}
	filter := app.TicketFilter{Category: *category, Query: *query}
	for _, id := range strings.Split(*ids, ",") {
		if id = strings.TrimSpace(id); id != "" {
			filter.IDs = append(filter.IDs, id)
		}
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := app.NewService(st, nil, log)
	defer svc.StopAttendance()
	sel, err := svc.SelectTickets(ctx, cliPrincipal, *event, filter)
	if err != nil {
		return err
	}
	if html {
		return writeTicketsHTML(sel, *layout, *lang, *out, stdout, stderr)
	}
	tickets := sel.Tickets
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
	if n := len(sel.Revoked); n > 0 {
		fmt.Fprintf(stdout, "revoked and left out: %d\n", n)
	}
	return nil
}

// writeTicketsHTML writes the printout of sel to the file out, or to
// stdout when out is "" or "-" (the counts then go to stderr, so that
// stdout is the document alone).
func writeTicketsHTML(sel *app.TicketSelection, layout, lang, out string, stdout, stderr io.Writer) error {
	var doc bytes.Buffer
	if err := web.WriteTickets(&doc, sel, web.TicketsOptions{Layout: layout, Lang: lang}); err != nil {
		return err
	}
	say := stdout
	if out == "" || out == "-" {
		if _, err := stdout.Write(doc.Bytes()); err != nil {
			return err
		}
		say, out = stderr, "stdout"
	} else if err := os.WriteFile(out, doc.Bytes(), 0o640); err != nil {
		return err
	}
	what := "ticket sheets (one A4 page each)"
	if layout == web.LayoutBadges {
		what = fmt.Sprintf("badges (%d A4 pages)", (len(sel.Tickets)+web.BadgesPerPage-1)/web.BadgesPerPage)
	}
	fmt.Fprintf(say, "%d %s written to %s", len(sel.Tickets), what, out)
	if n := len(sel.Revoked); n > 0 {
		fmt.Fprintf(say, "; revoked and left out: %d", n)
	}
	fmt.Fprintln(say)
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
