package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestScanEnvelope(t *testing.T) {
	for _, tt := range []struct {
		name      string
		in        string
		wantEpoch bool
		want      envHead
		wantErr   bool
	}{
		{name: "Announcement", in: `{"seq":42,"epoch":"e1","type":"announcement.posted","at":"2021-04-23T06:15:02.123Z","event":"x","data":{"id":7,"text":{"en":"a}\"{["}}}`,
			want: envHead{seq: 42, typ: ftAnnouncement, id: 7, hasID: true}},
		{name: "AnnouncementWithEpoch", in: `{"seq":42,"epoch":"e1","type":"announcement.posted","data":{"id":7}}`, wantEpoch: true,
			want: envHead{seq: 42, typ: ftAnnouncement, epoch: "e1", id: 7, hasID: true}},
		{name: "QuestionApproved", in: `{"seq":43,"epoch":"e1","type":"question.approved","at":"t","event":"x","data":{"id":12,"session_id":3,"slot_id":4,"text":"why?"}}`,
			want: envHead{seq: 43, typ: ftQuestion, id: 12, hasID: true}},
		{name: "QuestionHiddenNoID", in: `{"seq":44,"epoch":"e1","type":"question.hidden","data":{"id":12,"state":"hidden"}}`,
			want: envHead{seq: 44, typ: ftOther}},
		{name: "Showcase", in: `{"seq":9,"epoch":"e","type":"showcase.updated","at":"t","event":"x","data":{"slots":[{"id":1}]}}`,
			want: envHead{seq: 9, typ: ftShowcase}},
		{name: "ShowcaseTruncatedAfterType", in: `{"seq":9,"epoch":"e","type":"showcase.updated","data":{"slo`,
			want: envHead{seq: 9, typ: ftShowcase}},
		{name: "SnapshotEscapedEpoch", in: ` { "seq" : 10 , "epoch" : "ab\u0063\"" , "type" : "snapshot" , "data" : {} } `, wantEpoch: true,
			want: envHead{seq: 10, typ: ftSnapshot, epoch: `abc"`}},
		{name: "Volatile", in: `{"seq":0,"epoch":"","type":"presence","data":{"cn":1}}`, want: envHead{typ: ftOther}},
		{name: "NoSeq", in: `{"type":"presence","data":{"cn":1}}`, want: envHead{typ: ftOther}},
		{name: "DataFirstNestedID", in: `{"data":{"text":{"id":99},"list":[{"id":98}],"id":5,"z":[1,{"a":"}"}]},"type":"announcement.posted","seq":3}`,
			want: envHead{seq: 3, typ: ftAnnouncement, id: 5, hasID: true}},
		{name: "DataFirstNoID", in: `{"data":{"text":"x"},"type":"announcement.posted","seq":3}`, want: envHead{seq: 3, typ: ftAnnouncement}},
		{name: "DataNull", in: `{"seq":2,"type":"announcement.posted","data":null}`, want: envHead{seq: 2, typ: ftAnnouncement}},
		{name: "StringID", in: `{"seq":2,"type":"announcement.posted","data":{"id":"7"}}`, want: envHead{seq: 2, typ: ftAnnouncement}},
		{name: "DuplicateKeysFirstWins", in: `{"seq":1,"seq":2,"type":"snapshot","type":"x"}`, want: envHead{seq: 1, typ: ftSnapshot}},
		{name: "NegativeSeq", in: `{"seq":-3,"type":"x"}`, want: envHead{seq: -3}},
		{name: "UnknownKeys", in: `{"a":[1,2,{"b":"]"}],"n":null,"t":true,"f":-1.5e3,"seq":4,"type":"showcase.updated"}`, want: envHead{seq: 4, typ: ftShowcase}},
		{name: "Array", in: `[1,2]`, wantErr: true},
		{name: "Empty", in: ``, wantErr: true},
		{name: "FractionalSeq", in: `{"seq":1.5,"type":"x"}`, wantErr: true},
		{name: "ExponentSeq", in: `{"seq":1e3,"type":"x"}`, wantErr: true},
		{name: "StringSeq", in: `{"seq":"1","type":"x"}`, wantErr: true},
		{name: "HugeSeq", in: `{"seq":99999999999999999999,"type":"x"}`, wantErr: true},
		{name: "FractionalID", in: `{"seq":1,"type":"announcement.posted","data":{"id":1.5}}`, wantErr: true},
		{name: "Truncated", in: `{"seq":1`, wantErr: true},
		{name: "MissingColon", in: `{"seq" 1}`, wantErr: true},
		{name: "MissingComma", in: `{"seq":1 "type":"x"}`, wantErr: true},
		{name: "UnterminatedString", in: `{"seq":1,"type":"snap`, wantErr: true},
		{name: "UnterminatedData", in: `{"seq":1,"type":"announcement.posted","data":{"text":{"en":"x"}`, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanEnvelope([]byte(tt.in), tt.wantEpoch)
			if tt.wantErr {
				if err == nil {
					t.Errorf("scanEnvelope = %+v, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("scanEnvelope = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// FuzzScanEnvelope checks the scanner against encoding/json on envelopes
// encoded the way the server does (struct field order) and with sorted
// keys (data before type, text before id).
func FuzzScanEnvelope(f *testing.F) {
	f.Add(int64(42), "announcement.posted", "ep", int64(7), "hello", false)
	f.Add(int64(1), "showcase.updated", "e\"1", int64(-1), `}{"id":3`, true)
	f.Add(int64(0), "presence", "", int64(0), "", false)
	f.Add(int64(5), "question.approved", "ep", int64(12), "why?", true)
	f.Add(int64(9), "snapshot", "\u2028x\\", int64(1<<62), "\x00\xff", true)
	f.Fuzz(func(t *testing.T, seq int64, typ, epoch string, id int64, text string, sorted bool) {
		var b []byte
		if sorted {
			b, _ = json.Marshal(map[string]any{"seq": seq, "epoch": epoch, "type": typ, "at": "t", "event": "e",
				"data": map[string]any{"aaa": text, "id": id}})
		} else {
			b, _ = json.Marshal(struct {
				Seq   int64  `json:"seq"`
				Epoch string `json:"epoch"`
				Type  string `json:"type"`
				At    string `json:"at"`
				Data  any    `json:"data"`
			}{seq, epoch, typ, "t", struct {
				ID   int64  `json:"id"`
				Text string `json:"text"`
			}{id, text}})
		}
		var ref struct {
			Seq   int64  `json:"seq"`
			Epoch string `json:"epoch"`
			Type  string `json:"type"`
		}
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatal(err)
		}
		got, err := scanEnvelope(b, true)
		if err != nil {
			t.Fatalf("scanEnvelope(%s): %v", b, err)
		}
		wantType := classify([]byte(ref.Type))
		if got.seq != ref.Seq || got.typ != wantType || got.epoch != ref.Epoch {
			t.Errorf("scanEnvelope(%s) = %+v, want seq %d type %d epoch %q", b, got, ref.Seq, wantType, ref.Epoch)
		}
		if wantType.hasDataID() && (!got.hasID || got.id != id) {
			t.Errorf("scanEnvelope(%s) = %+v, want id %d", b, got, id)
		}
	})
}

// FuzzScanEnvelopeBytes feeds arbitrary bytes: the scanner must not panic
// and, on valid JSON objects, must agree with encoding/json on seq.
func FuzzScanEnvelopeBytes(f *testing.F) {
	f.Add([]byte(`{"seq":42,"epoch":"e","type":"announcement.posted","data":{"id":7}}`))
	f.Add([]byte(`{"data":{"id":1,"x":[{"}":"]"}]},"seq":3}`))
	f.Add([]byte(`{"seq":"\\"}`))
	f.Add([]byte(`{"a":"\`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := scanEnvelope(b, true)
		var ref map[string]json.RawMessage
		if err != nil || json.Unmarshal(b, &ref) != nil {
			return
		}
		var seq int64
		if raw, ok := ref["seq"]; ok && json.Unmarshal(raw, &seq) == nil && got.seq != seq && countKey(b, "seq") == 1 {
			t.Errorf("scanEnvelope(%s).seq = %d, encoding/json says %d", b, got.seq, seq)
		}
	})
}

// countKey counts the top-level occurrences of key in the JSON object b,
// to skip inputs with duplicated keys (where encoding/json keeps the
// last, the scanner the first).
func countKey(b []byte, key string) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0
	}
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		if tok == key {
			n++
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return n
		}
	}
	return n
}
