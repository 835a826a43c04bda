package main

import (
	"encoding/json"
	"errors"
	"fmt"
)

// frameType is what a viewer needs to know of an envelope's "type".
type frameType uint8

const (
	ftOther        frameType = iota // any other durable or volatile type
	ftSnapshot                      // "snapshot"
	ftAnnouncement                  // "announcement.posted"
	ftShowcase                      // "showcase.updated"
	ftQuestion                      // "question.approved"
)

// hasDataID reports whether envelopes of type t are matched by data.id.
func (t frameType) hasDataID() bool { return t == ftAnnouncement || t == ftQuestion }

func classify(raw []byte) frameType {
	switch string(raw) { // the compiler does not allocate for this switch
	case "snapshot":
		return ftSnapshot
	case "announcement.posted":
		return ftAnnouncement
	case "showcase.updated":
		return ftShowcase
	case "question.approved":
		return ftQuestion
	}
	return ftOther
}

// envHead is the part of an envelope the load generator looks at.
type envHead struct {
	seq   int64
	typ   frameType
	epoch string // only when asked for
	id    int64  // data.id of an announcement.posted or question.approved envelope
	hasID bool
}

var errNotObject = errors.New("envelope: not a JSON object")

// scanEnvelope reads seq, type, data.id (announcements and approved
// questions only) and, when
// wantEpoch, epoch from one envelope, stopping as soon as it has them.
//
// It replaces json.Unmarshal on the viewers' hot path: with the server's
// field order (seq, epoch, type, at, event, data) a showcase.updated frame
// of several KiB is decided after its first 60 bytes, where encoding/json
// would scan all of it, 10,000 times per broadcast. Any key order is
// understood; only first occurrences of duplicated keys count; it checks
// as much syntax as it reads and no more.
func scanEnvelope(b []byte, wantEpoch bool) (envHead, error) {
	var h envHead
	s := scanner{b: b}
	s.ws()
	if !s.eat('{') {
		return h, errNotObject
	}
	var haveSeq, haveType, haveEpoch bool
	done := func() bool {
		return haveSeq && haveType && (haveEpoch || !wantEpoch) && (!h.typ.hasDataID() || h.hasID)
	}
	for first := true; ; first = false {
		s.ws()
		if s.eat('}') {
			return h, nil
		}
		if !first && !s.eat(',') {
			return h, s.errorf("want ',' or '}'")
		}
		s.ws()
		key, _, err := s.colonKey()
		if err != nil {
			return h, err
		}
		switch string(key) {
		case "seq":
			if haveSeq {
				err = s.skip()
				break
			}
			h.seq, err = s.integer()
			haveSeq = true
		case "type":
			if haveType {
				err = s.skip()
				break
			}
			var raw []byte
			if raw, _, err = s.str(); err == nil {
				h.typ, haveType = classify(raw), true
			}
		case "epoch":
			if !wantEpoch || haveEpoch {
				err = s.skip()
				break
			}
			h.epoch, err = s.decodedStr()
			haveEpoch = true
		case "data":
			if h.hasID || (haveType && !h.typ.hasDataID()) {
				err = s.skip()
				break
			}
			// Stop inside data only if nothing else is needed after it.
			rest := !(haveSeq && haveType && (haveEpoch || !wantEpoch))
			h.id, h.hasID, err = s.objectID(rest)
		default:
			err = s.skip()
		}
		if err != nil {
			return h, err
		}
		if done() {
			return h, nil
		}
	}
}

// scanner walks JSON bytes. It never allocates except for an escaped
// string that must be decoded.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("envelope: offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// eat consumes c if it is the next byte.
func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// colonKey reads `"key" :` and the whitespace after it.
func (s *scanner) colonKey() ([]byte, bool, error) {
	key, esc, err := s.str()
	if err != nil {
		return nil, false, err
	}
	s.ws()
	if !s.eat(':') {
		return nil, false, s.errorf("want ':' after a key")
	}
	s.ws()
	return key, esc, nil
}

// str reads a string and returns its raw contents (escapes not decoded)
// and whether it holds any escape.
func (s *scanner) str() ([]byte, bool, error) {
	if !s.eat('"') {
		return nil, false, s.errorf("want a string")
	}
	start, esc := s.i, false
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			esc = true
			s.i += 2
			continue
		case '"':
			raw := s.b[start:s.i]
			s.i++
			return raw, esc, nil
		}
		s.i++
	}
	return nil, false, s.errorf("unterminated string")
}

// decodedStr reads a string and decodes its escapes.
func (s *scanner) decodedStr() (string, error) {
	start := s.i
	raw, esc, err := s.str()
	if err != nil || !esc {
		return string(raw), err
	}
	var out string
	if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
		return "", s.errorf("bad string: %v", err)
	}
	return out, nil
}

// integer reads a JSON number that must be a whole int64.
func (s *scanner) integer() (int64, error) {
	neg := s.eat('-')
	start := s.i
	var n int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		d := int64(s.b[s.i] - '0')
		if n > (1<<63-1-d)/10 {
			return 0, s.errorf("integer out of range")
		}
		n = n*10 + d
		s.i++
	}
	if s.i == start {
		return 0, s.errorf("want an integer")
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, s.errorf("want a whole number")
		}
	}
	if neg {
		n = -n
	}
	return n, nil
}

// objectID reads a value and, when it is an object with a whole-number
// "id", returns that id. Unless finish is set it stops reading at the id,
// leaving the rest of the object unread: for a caller that has all it
// wants by then.
func (s *scanner) objectID(finish bool) (id int64, found bool, err error) {
	if !s.eat('{') {
		return 0, false, s.skip()
	}
	for first := true; ; first = false {
		s.ws()
		if s.eat('}') {
			return id, found, nil
		}
		if !first && !s.eat(',') {
			return 0, false, s.errorf("want ',' or '}'")
		}
		s.ws()
		key, _, err := s.colonKey()
		if err != nil {
			return 0, false, err
		}
		if !found && string(key) == "id" && s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
			if id, err = s.integer(); err != nil {
				return 0, false, err
			}
			found = true
			if !finish {
				return id, true, nil
			}
			continue
		}
		if err := s.skip(); err != nil {
			return 0, false, err
		}
	}
}

// skip reads over one value of any kind. Inside objects and arrays it only
// tracks strings and nesting.
func (s *scanner) skip() error {
	if s.i >= len(s.b) {
		return s.errorf("want a value")
	}
	switch s.b[s.i] {
	case '"':
		_, _, err := s.str()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, _, err := s.str(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return s.errorf("unterminated object or array")
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if s.i == start {
				return s.errorf("want a value")
			}
			return nil
		}
		s.i++
	}
	return nil
}
