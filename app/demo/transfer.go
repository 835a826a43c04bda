package demo

import (
	"fmt"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// The demo's technology-transfer SAMPLE data: a meeting session in the
// programme's matchmaking session (day two), a team for every achievement (its presenter and a
// contact), and interests and meeting requests of enterprise guests — all
// invented and marked so (Sample, "(sample)" in names and notes). Kept in
// this file of its own so the programme can change without touching it.

// meetingSlotMinutes, meetingTables and meetingRooms shape the sample
// meeting session.
const (
	meetingSlotMinutes = 20
	meetingTables      = 12
	meetingRooms       = 3
)

// Transfer returns the sample technology-transfer data of c: a meeting
// session starting an hour after the last session of the showcase's day
// (rounded up to the half hour), teams for every achievement, and
// interests and requests from the first enterprise guests, cycling over
// the achievements and the four purposes. Deterministic, like Build.
func Transfer(c Conference) app.TransferSeed {
	out := app.TransferSeed{MeetingSession: meetingSession(c)}
	for _, a := range c.Achievements {
		out.Teams = append(out.Teams, app.TeamSeed{AchievementRef: a.Ref, Name: a.Presenter + " (sample team)",
			Members: []app.TeamMember{
				{Name: a.Presenter, Role: "presenter"},
				{Name: "Technology transfer office (sample)", Role: "contact", Email: a.Contact},
			}})
	}
	var guests []app.Attendee
	for _, a := range c.Attendees {
		if a.Category == app.CategoryEnterprise && a.Email != "" {
			guests = append(guests, a)
		}
	}
	notes := []string{
		"We would like to license this for our plant. (sample)",
		"Looking for a stake in a spin-off. (sample)",
		"Interested in a joint project with our R&D centre. (sample)",
		"We could test a prototype on our line. (sample)",
	}
	n := len(c.Achievements)
	for i := 0; i < 12 && i < len(guests) && n > 0; i++ {
		a := c.Achievements[(i*5)%n]
		out.Interests = append(out.Interests, app.InterestSeed{Email: guests[i].Email, AchievementRef: a.Ref,
			Purpose: app.Purposes[i%len(app.Purposes)], Note: notes[i%len(notes)], Consent: i%3 != 2})
		if i%2 == 0 {
			mode := app.MeetingOnsite
			if guests[i].Country == "HU" {
				mode = app.MeetingOnline
			}
			out.Requests = append(out.Requests, app.RequestSeed{Email: guests[i].Email, AchievementRef: a.Ref, Mode: mode,
				Note: "Could we meet after the showcase? (sample)", Accepted: i%4 == 0})
		}
	}
	return out
}

// meetingSession places the sample meetings in the programme's
// matchmaking session (day two), as many slots as fit in it.
func meetingSession(c Conference) *app.MeetingSessionInput {
	if IdxMatchmaking >= len(c.Sessions) {
		return nil
	}
	mm := c.Sessions[IdxMatchmaking]
	start := mm.PlannedStart
	slots := int(mm.PlannedEnd.Sub(start) / (meetingSlotMinutes * time.Minute))
	if slots < 1 {
		return nil
	}
	rooms := make([]app.MeetingRoom, meetingRooms)
	for i := range rooms {
		rooms[i] = app.MeetingRoom{Name: fmt.Sprintf("Online room %d (sample)", i+1), Link: fmt.Sprintf("https://meet.example.com/%s/room-%d", Slug, i+1)}
	}
	return &app.MeetingSessionInput{
		Title:    app.Text{ZH: "一对一洽谈（示例数据）", EN: "One-to-one meetings (sample data)", HU: "Kétoldalú találkozók (mintaadat)"},
		StartsAt: start, EndsAt: start.Add(time.Duration(slots) * meetingSlotMinutes * time.Minute), SlotMinutes: meetingSlotMinutes,
		Tables: meetingTables, Rooms: rooms,
	}
}
