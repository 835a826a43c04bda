package app

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// RowError is one problem of a CSV import, as shown to the organizer.
// Row 1 is the header; data starts at row 2, as a spreadsheet numbers it.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// ImportErrors is the Details of a failed import: every bad row, and
// the file's first rows as they were read (when the file could be read),
// so that a preview shows both.
type ImportErrors struct {
	Errors  []RowError     `json:"errors"`
	Preview *ImportPreview `json:"preview,omitempty"`
}

// ImportPreview is the start of an import file as it was read: its
// separator, header and first rows (cells as written, untrimmed).
type ImportPreview struct {
	Separator string     `json:"separator"`
	Header    []string   `json:"header"`
	Rows      [][]string `json:"rows"`
	// Lines are the rows' line numbers in the file (row 1 is the header).
	Lines []int `json:"lines"`
}

// previewRows is how many data rows an ImportPreview holds.
const previewRows = 5

// separatorOf picks the separator of a CSV file from its first line: a
// semicolon when that line has more semicolons than commas (the default
// of spreadsheet programs in locales whose decimal mark is a comma, e.g.
// Hungarian Excel), else a comma.
func separatorOf(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		return ';'
	}
	return ','
}

// previewCSV reads the header and the first previewRows rows of data
// (UTF-8, BOM dropped, separator detected); nil when it cannot be read.
func previewCSV(data []byte) *ImportPreview {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil
	}
	sep := separatorOf(data)
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = sep, -1, true
	header, err := r.Read()
	if err != nil {
		return nil
	}
	p := &ImportPreview{Separator: string(sep), Header: header, Rows: [][]string{}, Lines: []int{}}
	for len(p.Rows) < previewRows {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		line, _ := r.FieldPos(0)
		p.Rows, p.Lines = append(p.Rows, rec), append(p.Lines, line)
	}
	return p
}

// withPreview adds the file's preview to the row errors of a refused
// import, so that the organizer sees the rows beside the problems.
func withPreview(err error, data []byte) error {
	var ae *Error
	if !errors.As(err, &ae) {
		return err
	}
	if d, ok := ae.Details.(ImportErrors); ok && d.Preview == nil {
		d.Preview = previewCSV(data)
		ae.Details = d
	}
	return err
}

// maxImportErrors bounds the errors reported for one file.
const maxImportErrors = 500

// csvTable is a parsed CSV file with named columns.
type csvTable struct {
	cols map[string]int
	rows [][]string
	line []int // the line each row starts on (for error reports)
}

// get returns the trimmed value of column name in row i ("" if absent).
func (t *csvTable) get(i int, name string) string {
	c, ok := t.cols[name]
	if !ok || c >= len(t.rows[i]) {
		return ""
	}
	return strings.TrimSpace(t.rows[i][c])
}

// readCSV parses a UTF-8 CSV file (with or without a byte-order mark)
// whose first row names the columns. Header names are matched without
// case and surrounding space. Unknown columns are an error, so that a
// typo in a header does not silently drop a column; required columns
// must be present. At most maxRows data rows.
func readCSV(data []byte, known, required []string, maxRows int) (*csvTable, error) {
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return nil, &Error{Code: EInvalid, Message: "the file is UTF-16 text (\"Unicode text\"); save it as \"CSV UTF-8\"",
			Details: ImportErrors{Errors: []RowError{{Row: 1, Message: "UTF-16 byte-order mark"}}}}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, &Error{Code: EInvalid, Message: "the file is not UTF-8 text (GBK or another legacy encoding?); save it as \"CSV UTF-8\"",
			Details: ImportErrors{Errors: []RowError{{Row: firstInvalidLine(data), Message: "invalid UTF-8"}}}}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = separatorOf(data)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, Errorf(EInvalid, "the file is empty; expected a header row with columns %s", strings.Join(required, ", "))
	}
	if err != nil {
		return nil, csvError(err)
	}
	t := &csvTable{cols: map[string]int{}}
	// Bounded like row errors: a header of a million empty columns must
	// not become a million errors (found by fuzzing the importers).
	var errs rowErrors
	knownSet := map[string]bool{}
	for _, k := range known {
		knownSet[k] = true
	}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		col := truncateRunes(h, 64)
		switch {
		case name == "":
			errs.add(1, fmt.Sprintf("#%d", i+1), "empty column name")
		case !knownSet[name]:
			errs.add(1, col, "unknown column (known: %s)", strings.Join(known, ", "))
		default:
			if _, dup := t.cols[name]; dup {
				errs.add(1, col, "column appears twice")
			}
			t.cols[name] = i
		}
	}
	for _, req := range required {
		if _, ok := t.cols[req]; !ok {
			errs.add(1, req, "required column is missing")
		}
	}
	if len(errs.list) > 0 {
		return nil, &Error{Code: EInvalid, Message: "the header row has problems", Details: ImportErrors{Errors: errs.list}}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := r.FieldPos(0) // of the record Read just returned
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(t.rows) >= maxRows {
			return nil, Errorf(EInvalid, "the file has more than %d rows; split it", maxRows)
		}
		if len(rec) > len(header) {
			return nil, &Error{Code: EInvalid, Message: "a row has more fields than the header",
				Details: ImportErrors{Errors: []RowError{{Row: line, Message: fmt.Sprintf("%d fields, header has %d", len(rec), len(header))}}}}
		}
		t.rows = append(t.rows, rec)
		t.line = append(t.line, line)
	}
	if len(t.rows) == 0 {
		return nil, Errorf(EInvalid, "the file has a header but no rows")
	}
	return t, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Code: EInvalid, Message: "the file is not valid CSV",
			Details: ImportErrors{Errors: []RowError{{Row: pe.StartLine, Message: pe.Err.Error()}}}}
	}
	return Errorf(EInvalid, "the file is not valid CSV")
}

func firstInvalidLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}

// rowErrors collects per-row problems up to a bound.
type rowErrors struct{ list []RowError }

func (e *rowErrors) add(row int, col, format string, args ...any) {
	if len(e.list) < maxImportErrors {
		e.list = append(e.list, RowError{Row: row, Column: col, Message: fmt.Sprintf(format, args...)})
	}
}

func (e *rowErrors) err(what string) error {
	if len(e.list) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: fmt.Sprintf("%s: %d problem(s); nothing was imported", what, len(e.list)),
		Details: ImportErrors{Errors: e.list}}
}
