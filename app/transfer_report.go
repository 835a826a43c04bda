package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reports for the transfer center's follow-up, and what a participant
// gave: to see it all and to delete it (the event is partly in the EU).

// AchievementReport is one achievement's technology-transfer results.
// Interest counts interests by purpose; MeetingsRequested counts every
// request, the others those now in that state (scheduled and held count
// meetings). Questions counts every question asked to its items,
// QuestionsShown those approved or answered. Sample counts the sample
// records (demo data) among the interests and requests counted.
type AchievementReport struct {
	AchievementID     int64            `json:"achievement_id"`
	Ref               string           `json:"ref"`
	Title             Text             `json:"title"`
	Team              string           `json:"team"`
	Interest          map[string]int64 `json:"interest"`
	InterestTotal     int64            `json:"interest_total"`
	InterestConsented int64            `json:"interest_consented"`
	MeetingsRequested int64            `json:"meetings_requested"`
	MeetingsAccepted  int64            `json:"meetings_accepted"`
	MeetingsDeclined  int64            `json:"meetings_declined"`
	MeetingsScheduled int64            `json:"meetings_scheduled"`
	MeetingsHeld      int64            `json:"meetings_held"`
	Questions         int64            `json:"questions"`
	QuestionsShown    int64            `json:"questions_shown"`
	QuestionsAnswered int64            `json:"questions_answered"`
	Sample            int64            `json:"sample"`
}

// TransferReport is the event's report, one row per achievement of the
// catalogue in catalogue order.
type TransferReport struct {
	Event        string              `json:"event"`
	GeneratedAt  time.Time           `json:"generated_at"`
	Achievements []AchievementReport `json:"achievements"`
}

// transferData is everything of an event's technology transfer, read for
// a report.
type transferData struct {
	event        *Event
	achievements []Achievement
	teams        map[int64]*Team
	interests    []Interest
	requests     []MeetingRequest
	meetings     []Meeting
	questions    []Question
}

func (s *Service) loadTransfer(ctx context.Context, p Principal, slug string) (*transferData, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	d := &transferData{teams: map[int64]*Team{}}
	f := TransferFilter{EventID: eventID}
	err = s.store.ReadTx(ctx, func(r Repo) error {
		var err error
		if d.event, err = r.EventByID(ctx, eventID); err != nil {
			return err
		}
		if d.achievements, err = r.ListAchievements(ctx, eventID); err != nil {
			return err
		}
		teams, err := r.ListTeams(ctx, eventID)
		if err != nil {
			return err
		}
		for i := range teams {
			d.teams[teams[i].AchievementID] = &teams[i]
		}
		if d.interests, err = r.ListInterests(ctx, f); err != nil {
			return err
		}
		if d.requests, err = r.ListMeetingRequests(ctx, f); err != nil {
			return err
		}
		if d.meetings, err = r.ListMeetings(ctx, f); err != nil {
			return err
		}
		d.questions, err = r.ListQuestions(ctx, QuestionFilter{EventID: eventID})
		return err
	})
	return d, err
}

// report counts d by achievement.
func (d *transferData) report(now time.Time) *TransferReport {
	rep := &TransferReport{Event: d.event.Slug, GeneratedAt: now, Achievements: []AchievementReport{}}
	idx := map[int64]int{}
	for _, a := range d.achievements {
		row := AchievementReport{AchievementID: a.ID, Ref: a.Ref, Title: a.Title, Interest: map[string]int64{}}
		for _, p := range Purposes {
			row.Interest[p] = 0
		}
		if t := d.teams[a.ID]; t != nil {
			row.Team = t.Name
		}
		idx[a.ID] = len(rep.Achievements)
		rep.Achievements = append(rep.Achievements, row)
	}
	at := func(id int64) *AchievementReport {
		if i, ok := idx[id]; ok {
			return &rep.Achievements[i]
		}
		return nil
	}
	for _, in := range d.interests {
		if r := at(in.AchievementID); r != nil {
			r.Interest[in.Purpose]++
			r.InterestTotal++
			if in.Consent {
				r.InterestConsented++
			}
			if in.Sample {
				r.Sample++
			}
		}
	}
	for _, rq := range d.requests {
		if r := at(rq.AchievementID); r != nil {
			r.MeetingsRequested++
			switch rq.State {
			case RequestAccepted:
				r.MeetingsAccepted++
			case RequestDeclined:
				r.MeetingsDeclined++
			}
			if rq.Sample {
				r.Sample++
			}
		}
	}
	for _, m := range d.meetings {
		if r := at(m.AchievementID); r != nil {
			r.MeetingsScheduled++
			if m.State == MeetingHeld {
				r.MeetingsHeld++
			}
		}
	}
	for _, q := range d.questions {
		if r := at(q.AchievementID); r != nil {
			r.Questions++
			switch q.State {
			case QuestionApproved:
				r.QuestionsShown++
			case QuestionAnswered:
				r.QuestionsShown++
				r.QuestionsAnswered++
			}
		}
	}
	return rep
}

// TransferReport returns the event's report (organizers).
func (s *Service) TransferReport(ctx context.Context, p Principal, slug string) (*TransferReport, error) {
	d, err := s.loadTransfer(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	return d.report(s.Now()), nil
}

// TransferReportColumns are the columns of report.csv.
var TransferReportColumns = []string{"achievement_id", "ref", "title_en", "title_zh", "team",
	"interest_licensing", "interest_investment", "interest_joint_research", "interest_pilot_customer", "interest_total", "interest_consented",
	"meetings_requested", "meetings_accepted", "meetings_declined", "meetings_scheduled", "meetings_held",
	"questions", "questions_shown", "questions_answered", "sample_records"}

// TransferLeadsColumns are the columns of leads.csv.
var TransferLeadsColumns = []string{"achievement_id", "ref", "title_en", "team",
	"contact", "name", "organization", "country", "email",
	"interest_purpose", "interest_note", "interest_at", "meeting_request", "meeting_mode", "meeting_at", "meeting_place", "meeting_held", "sample"}

// TransferReportCSV returns report.csv (organizers): the report, one row
// per achievement (TransferReportColumns), UTF-8 with a byte-order mark.
// It holds counts only, no personal data.
func (s *Service) TransferReportCSV(ctx context.Context, p Principal, slug string) ([]byte, error) {
	d, err := s.loadTransfer(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	return writeCSV(TransferReportColumns, func(w *csv.Writer) {
		for _, r := range d.report(s.Now()).Achievements {
			_ = w.Write([]string{n(r.AchievementID), SafeCell(r.Ref), SafeCell(r.Title.EN), SafeCell(r.Title.ZH), SafeCell(r.Team),
				n(r.Interest[PurposeLicensing]), n(r.Interest[PurposeInvestment]), n(r.Interest[PurposeJointResearch]), n(r.Interest[PurposePilotCustomer]),
				n(r.InterestTotal), n(r.InterestConsented),
				n(r.MeetingsRequested), n(r.MeetingsAccepted), n(r.MeetingsDeclined), n(r.MeetingsScheduled), n(r.MeetingsHeld),
				n(r.Questions), n(r.QuestionsShown), n(r.QuestionsAnswered), n(r.Sample)})
		}
	})
}

// writeCSV writes a header and rows as spreadsheet programs like them:
// UTF-8 with a byte-order mark, CRLF.
func writeCSV(header []string, rows func(w *csv.Writer)) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(header)
	rows(w)
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// lead is one participant's contact with one achievement: their interest,
// their meeting request and its meeting, each when there is one.
type lead struct {
	who      *Attendee
	interest *Interest
	request  *MeetingRequest
	meeting  *Meeting
}

// TransferLeadsCSV returns leads.csv (organizers), for the transfer
// center's follow-up: one row per participant and achievement they showed
// interest in or asked to meet (TransferLeadsColumns), by achievement.
// Name, organization and e-mail are filled only where the participant
// consented to share them with the team or the team accepted their
// meeting request (contact "full"); otherwise the row says "withheld"
// and holds only the country. Times are in the venue's time zone.
func (s *Service) TransferLeadsCSV(ctx context.Context, p Principal, slug string) ([]byte, error) {
	d, err := s.loadTransfer(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(d.event.VenueTZ)
	if err != nil {
		loc = time.UTC
	}
	type key struct {
		achievement int64
		attendee    string
	}
	leads := map[key]*lead{}
	get := func(a int64, who *Attendee, id string) *lead {
		k := key{a, id}
		if leads[k] == nil {
			leads[k] = &lead{who: who}
		}
		return leads[k]
	}
	for i := range d.interests {
		in := &d.interests[i]
		get(in.AchievementID, in.Who, in.AttendeeID).interest = in
	}
	byRequest := map[int64]*Meeting{}
	for i := range d.meetings {
		byRequest[d.meetings[i].RequestID] = &d.meetings[i]
	}
	for i := range d.requests {
		rq := &d.requests[i]
		l := get(rq.AchievementID, rq.Who, rq.AttendeeID)
		if l.request == nil || rq.State == RequestAccepted {
			l.request, l.meeting = rq, byRequest[rq.ID]
		}
	}
	at := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	return writeCSV(TransferLeadsColumns, func(w *csv.Writer) {
		for _, a := range d.achievements {
			team := ""
			if t := d.teams[a.ID]; t != nil {
				team = t.Name
			}
			var rows []*lead
			for k, l := range leads {
				if k.achievement == a.ID {
					rows = append(rows, l)
				}
			}
			sortLeads(rows)
			for _, l := range rows {
				level := ContactWithheld
				if l.interest != nil && l.interest.Consent || l.request != nil && l.request.State == RequestAccepted {
					level = ContactFull
				}
				c := contactOf(l.who, level)
				country := ""
				if l.who != nil {
					country = l.who.Country
				}
				row := []string{strconv.FormatInt(a.ID, 10), SafeCell(a.Ref), SafeCell(a.Title.EN), SafeCell(team),
					c.Level, SafeCell(c.Name), SafeCell(c.Organization), SafeCell(country), SafeCell(c.Email),
					"", "", "", "", "", "", "", "", "false"}
				sample := false
				if in := l.interest; in != nil {
					row[9], row[10], row[11] = in.Purpose, SafeCell(in.Note), at(in.CreatedAt)
					sample = in.Sample
				}
				if rq := l.request; rq != nil {
					row[12], row[13] = rq.State, rq.Mode
					sample = sample || rq.Sample
				}
				if m := l.meeting; m != nil {
					row[14], row[15], row[16] = at(m.StartsAt), SafeCell(placeLabel(m)), strconv.FormatBool(m.State == MeetingHeld)
				}
				row[17] = strconv.FormatBool(sample)
				_ = w.Write(row)
			}
		}
	})
}

// sortLeads orders leads by the participant's name, then id.
func sortLeads(rows []*lead) {
	name := func(l *lead) string {
		if l.who != nil {
			return l.who.Name + "\x00" + l.who.ID
		}
		return ""
	}
	slices.SortFunc(rows, func(a, b *lead) int { return strings.Compare(name(a), name(b)) })
}

// placeLabel names a meeting's place for people: "Table 3", or the room.
func placeLabel(m *Meeting) string {
	if m.Mode == MeetingOnline {
		return m.Room
	}
	return "Table " + strconv.Itoa(m.Table)
}

// MyTransferData is everything a participant gave the event's technology
// transfer, and what the event holds about them: their registration (read
// only: the organizers keep it), interests, meeting requests, meetings,
// questions and votes.
type MyTransferData struct {
	Attendee        Attendee             `json:"attendee"`
	Interests       []Interest           `json:"interests"`
	MeetingRequests []MeetingRequestView `json:"meeting_requests"`
	Meetings        []MeetingView        `json:"meetings"`
	Questions       []Question           `json:"questions"`
	Votes           []Vote               `json:"votes"`
}

// MyData returns the calling participant's data.
func (s *Service) MyData(ctx context.Context, p Principal, slug string) (*MyTransferData, error) {
	a, eventID, err := s.participantEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	out := &MyTransferData{Attendee: *a}
	f := TransferFilter{EventID: eventID, AttendeeID: a.ID}
	if out.Interests, err = s.store.ListInterests(ctx, f); err != nil {
		return nil, err
	}
	if out.MeetingRequests, err = s.MeetingRequests(ctx, p, slug); err != nil {
		return nil, err
	}
	if out.Meetings, err = s.meetingViews(ctx, p, eventID); err != nil {
		return nil, err
	}
	if out.Questions, err = s.store.ListQuestions(ctx, QuestionFilter{EventID: eventID, AttendeeID: a.ID}); err != nil {
		return nil, err
	}
	if out.Votes, err = s.store.ListVotes(ctx, a.ID); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteMyData deletes everything the calling participant gave (their
// registration stays with the organizers): interests, meeting requests
// and their meetings, questions and votes. Questions viewers saw are taken
// back (question.hidden, text redacted from the live log) in the same
// transaction.
func (s *Service) DeleteMyData(ctx context.Context, p Principal, slug string) (*TransferDeletion, error) {
	a, eventID, err := s.participantEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	var del TransferDeletion
	var envs []Envelope
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.LockEvent(ctx, eventID); err != nil {
			return err
		}
		qs, err := r.ListQuestions(ctx, QuestionFilter{EventID: eventID, AttendeeID: a.ID})
		if err != nil {
			return err
		}
		for i := range qs {
			if len(qs[i].LogSeqs) == 0 {
				continue
			}
			env, err := takeBack(ctx, r, &qs[i])
			if err != nil {
				return err
			}
			envs = append(envs, env)
		}
		del, err = r.DeleteParticipantData(ctx, a.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, envs...)
	s.transferChanged(slug, bellInterest|bellVotes|bellPrivate)
	return &del, nil
}
