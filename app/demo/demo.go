// Package demo builds the demo conference cn-hu-2021, modelled on the
// China (Chengdu-Chongqing Region) – Hungary Innovation Cooperation
// Conference held in Chongqing on 23 April 2021: an opening, a showcase of
// 27 scientific and technological achievements, the signing of a
// cooperation agreement and a closing, streamed live in China and Hungary.
//
// Everything here is data in code: nothing is fetched, nothing is random
// and nothing is stored. The achievements and attendees are invented
// SAMPLE data and are marked so (Sample = true, "(Sample data.)" in the
// summaries). The package depends only on app; storage, ids, keys and
// timestamps are filled by whoever stores the result (app.Service.Seed).
package demo

import (
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// Slug is the demo conference's event slug.
const Slug = "cn-hu-2021"

// venueTZ is the conference's own time zone; budapestTZ the other viewer zone.
const (
	venueTZ    = "Asia/Shanghai"
	budapestTZ = "Europe/Budapest"
)

// slotSeconds is the planned length of every achievement's showcase slot.
const slotSeconds = 300

// stage is the only stage of the demo: everything happens in the main hall.
const stage = "main"

// Conference is the demo conference, ready to be stored. Its fields match
// app.ConferenceSeed. IDs, keys, the live log (LastSeq, Epoch) and
// CreatedAt/UpdatedAt are left zero for storage to fill; every time is in
// UTC.
type Conference struct {
	Event app.Event
	// Sessions are the agenda items in agenda order, all in state
	// "scheduled" on stage "main".
	Sessions []app.Session
	// ShowcaseIdx is the index in Sessions of the showcase session, whose
	// slots are Achievements in order.
	ShowcaseIdx int
	// Achievements are the 27 showcase items in run-of-show order.
	Achievements []app.Achievement
	// SlotSeconds holds the planned seconds of each achievement's slot, in
	// the order of Achievements; they add up to the showcase session's
	// planned length.
	SlotSeconds []int64
	// Attendees are the registered guests, ids left empty.
	Attendees []app.Attendee
	// Announcements are the welcome messages, the first one pinned.
	Announcements []app.Announcement
}

// Build returns the demo conference held on the calendar date of now in
// Asia/Shanghai (so 2026-11-26T20:00Z, already 27 November in Chongqing,
// gives a conference on 27 November). The programme runs 09:00–12:30
// Shanghai time. Build is deterministic: equal dates give equal results,
// and every call returns fresh slices and maps that the caller may modify.
func Build(now time.Time) Conference {
	loc := shanghai()
	y, m, d := now.In(loc).Date()
	at := func(hour, min int) time.Time {
		return time.Date(y, m, d, hour, min, 0, 0, loc).UTC()
	}

	sessions := agenda(at)
	achievements := achievements()
	slots := make([]int64, len(achievements))
	presenters := make([]string, len(achievements))
	for i, a := range achievements {
		slots[i] = slotSeconds
		presenters[i] = a.Presenter
	}
	return Conference{
		Event: app.Event{
			Slug: Slug,
			Title: app.Text{
				ZH: "中国（成渝地区）—匈牙利创新合作大会",
				EN: "China (Chengdu-Chongqing Region) – Hungary Innovation Cooperation Conference",
				HU: "Kína (Csengtu–Csungking régió) – Magyarország Innovációs Együttműködési Konferencia",
			},
			Summary: app.Text{
				ZH: "大会在重庆以“线上+线下”相结合的方式举办，在中国和匈牙利同步直播：集中展示推介27项科技成果，并签署《协同推进中匈技术交流与合作协议》。",
				EN: "A hybrid conference held in Chongqing online and onsite, broadcast live in China and Hungary: 27 scientific and technological achievements are showcased, and the Agreement on Collaborative Promotion of China-Hungary Technology Exchange and Cooperation is signed.",
				HU: "Csungkingban online és helyszíni formában megrendezett hibrid konferencia, élő közvetítéssel Kínában és Magyarországon: 27 tudományos és technológiai eredmény bemutatása, valamint a kínai–magyar technológiai csere és együttműködés összehangolt előmozdításáról szóló megállapodás aláírása.",
			},
			Venue: app.Text{
				ZH: "重庆，主会场",
				EN: "Chongqing, main hall",
				HU: "Csungking, nagyterem",
			},
			VenueTZ:   venueTZ,
			ViewerTZs: []string{venueTZ, budapestTZ},
			Languages: append([]string(nil), app.Languages...),
			StartsAt:  sessions[0].PlannedStart,
			EndsAt:    sessions[len(sessions)-1].PlannedEnd,
		},
		Sessions:      sessions,
		ShowcaseIdx:   showcaseIdx,
		Achievements:  achievements,
		SlotSeconds:   slots,
		Attendees:     attendees(presenters),
		Announcements: announcements(),
	}
}

// shanghai returns the venue's zone. Without a time zone database it falls
// back to a fixed UTC+8, which is exact for China since 1991 (no summer
// time).
func shanghai() *time.Location {
	if loc, err := time.LoadLocation(venueTZ); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// showcaseIdx is the index of the showcase in the agenda built by agenda.
const showcaseIdx = 1

// agenda returns the four sessions; at gives the UTC instant of a
// Shanghai wall-clock time on the conference day.
func agenda(at func(hour, min int) time.Time) []app.Session {
	session := func(title app.Text, kind, mode string, start, end time.Time, fixed bool) app.Session {
		return app.Session{
			Title:        title,
			Kind:         kind,
			Stage:        stage,
			Mode:         mode,
			PlannedStart: start,
			PlannedEnd:   end,
			FixedStart:   fixed,
			State:        app.StateScheduled,
			StreamLinks: map[string]string{
				"cn":      "https://live.example.com/cn-hu-2021/cn",
				"hu":      "https://live.example.com/cn-hu-2021/hu",
				"default": "https://live.example.com/cn-hu-2021/intl",
			},
		}
	}
	return []app.Session{
		session(app.Text{
			ZH: "开幕式",
			EN: "Opening ceremony",
			HU: "Megnyitó",
		}, app.KindOpening, app.ModeHybrid, at(9, 0), at(9, 30), false),
		// 27 slots of 300 s: 135 minutes.
		session(app.Text{
			ZH: "科技成果展示推介",
			EN: "Showcase of scientific and technological achievements",
			HU: "Tudományos és technológiai eredmények bemutatója",
		}, app.KindShowcase, app.ModeHybrid, at(9, 30), at(11, 45), false),
		session(app.Text{
			ZH: "《协同推进中匈技术交流与合作协议》签约仪式",
			EN: "Signing of the Agreement on Collaborative Promotion of China-Hungary Technology Exchange and Cooperation",
			HU: "A kínai–magyar technológiai csere és együttműködés összehangolt előmozdításáról szóló megállapodás aláírása",
		}, app.KindSigning, app.ModeOnsite, at(11, 50), at(12, 10), true),
		session(app.Text{
			ZH: "闭幕致辞",
			EN: "Closing remarks",
			HU: "Zárszó",
		}, app.KindClosing, app.ModeHybrid, at(12, 10), at(12, 30), false),
	}
}

// announcements returns the pinned welcome and a practical note.
func announcements() []app.Announcement {
	return []app.Announcement{
		{
			Text: app.Text{
				ZH: "欢迎参加中国（成渝地区）—匈牙利创新合作大会！大会以线上线下相结合的方式举办，在中国和匈牙利同步直播。本页面同时以北京时间和布达佩斯时间显示各环节的计划时间和预计时间。",
				EN: "Welcome to the China (Chengdu-Chongqing Region) – Hungary Innovation Cooperation Conference! The conference is held online and onsite and broadcast live in China and Hungary. This page shows the planned and expected time of every item in both Beijing and Budapest time.",
				HU: "Üdvözöljük a Kína (Csengtu–Csungking régió) – Magyarország Innovációs Együttműködési Konferencián! A konferencia online és helyszíni formában zajlik, élő közvetítéssel Kínában és Magyarországon. Ez az oldal minden programpont tervezett és várható idejét pekingi és budapesti idő szerint is mutatja.",
			},
			Pinned: true,
			Author: "organizers",
		},
		{
			Text: app.Text{
				ZH: "温馨提示：主会场无线网络名称为“CNHU-2021”，密码印在参会证背面。直播设有中国频道、匈牙利频道和国际频道，页面会根据您所在地区自动选择，也可在播放器下方切换。",
				EN: "Practical note: the Wi-Fi network in the main hall is “CNHU-2021”; the password is printed on the back of your badge. The live stream has a China channel, a Hungary channel and an international channel: the page picks the one for your region, and you can switch below the player.",
				HU: "Gyakorlati tudnivaló: a nagyterem wifihálózatának neve „CNHU-2021”, a jelszó a belépőkártya hátoldalán található. Az élő közvetítésnek kínai, magyar és nemzetközi csatornája van: az oldal a régiójának megfelelőt választja, de a lejátszó alatt bármikor válthat.",
			},
			Author: "organizers",
		},
	}
}
