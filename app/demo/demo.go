// Package demo builds the demo conference cn-hu-2021, modelled on the
// China (Chengdu-Chongqing Region) – Hungary Innovation Cooperation
// Conference held in Chongqing on 23 April 2021: an opening, a showcase of
// 27 scientific and technological achievements and the signing of a
// cooperation agreement in the main hall, a university forum beside the
// showcase on a second stage, and a second day of a technology-transfer
// panel, matchmaking and the closing, streamed live in China and Hungary.
//
// The programme is scheduled relative to when it is built (the server's
// first start): the opening begins a few minutes later, so a newcomer
// finds the conference about to start whatever the hour, and day two runs
// 24 hours after day one.
//
// Everything here is data in code: nothing is fetched, nothing is random
// and nothing is stored. The achievements, talks and attendees are
// invented SAMPLE data and are marked so (Sample = true, "(Sample data.)"
// in the summaries, "(sample)" after institutions). The package depends
// only on app; storage, ids, keys and timestamps are filled by whoever
// stores the result (app.Service.Seed).
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

// The demo's stages.
const (
	StageMain  = "main"
	StageForum = "forum"
)

// Lead is how long after Build's now the opening starts, at least; the
// start is then rounded up to a multiple of five minutes.
const Lead = 5 * time.Minute

// Conference is the demo conference, ready to be stored. Its fields match
// app.ConferenceSeed. IDs, keys, the live log (LastSeq, Epoch) and
// CreatedAt/UpdatedAt are left zero for storage to fill; every time is in
// UTC.
type Conference struct {
	Event app.Event
	// Stages are the main hall and the forum room.
	Stages []app.Stage
	// Sessions are the agenda in planned start order, all scheduled.
	Sessions []app.Session
	// Items are the run-of-shows by index into Sessions: the showcase's
	// 27 achievements (by ref), the forum's talks and the panel's
	// speakers (free items).
	Items map[int][]app.SeedItem
	// Achievements are the 27 showcase items in run-of-show order.
	Achievements []app.Achievement
	// Attendees are the registered guests, ids left empty.
	Attendees []app.Attendee
	// Announcements are the welcome messages, the first one pinned.
	Announcements []app.Announcement
}

// Start returns when the demo built at now opens: now + Lead, rounded up
// to the next multiple of five minutes (UTC, whole minutes).
func Start(now time.Time) time.Time {
	t := now.UTC().Add(Lead)
	r := t.Truncate(5 * time.Minute)
	if r.Before(t) {
		r = r.Add(5 * time.Minute)
	}
	return r
}

// Build returns the demo conference opening at Start(now). Build is
// deterministic: equal instants give equal results, and every call returns
// fresh slices and maps that the caller may modify.
func Build(now time.Time) Conference {
	t0 := Start(now)
	sessions, items := programme(t0)
	achievements := achievements()
	presenters := make([]string, 0, len(achievements))
	for _, a := range achievements {
		presenters = append(presenters, a.Presenter)
	}
	for _, list := range items {
		for _, it := range list {
			if it.Presenter != "" {
				presenters = append(presenters, it.Presenter)
			}
		}
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
				ZH: "大会在重庆以“线上+线下”相结合的方式举办，在中国和匈牙利同步直播：集中展示推介27项科技成果，举办成渝—匈牙利高校合作论坛，并签署《协同推进中匈技术交流与合作协议》。",
				EN: "A hybrid conference held in Chongqing online and onsite, broadcast live in China and Hungary: 27 scientific and technological achievements are showcased, a Chengdu-Chongqing – Hungary university forum meets beside them, and the Agreement on Collaborative Promotion of China-Hungary Technology Exchange and Cooperation is signed.",
				HU: "Csungkingban online és helyszíni formában megrendezett hibrid konferencia, élő közvetítéssel Kínában és Magyarországon: 27 tudományos és technológiai eredmény bemutatása, mellette csengtu–csungkingi–magyar egyetemi fórum, valamint a kínai–magyar technológiai csere és együttműködés összehangolt előmozdításáról szóló megállapodás aláírása.",
			},
			Venue: app.Text{
				ZH: "重庆",
				EN: "Chongqing",
				HU: "Csungking",
			},
			VenueTZ:   venueTZ,
			ViewerTZs: []string{venueTZ, budapestTZ},
			Languages: append([]string(nil), app.Languages...),
			StartsAt:  sessions[0].PlannedStart,
			EndsAt:    sessions[len(sessions)-1].PlannedEnd,
		},
		Stages:        stages(),
		Sessions:      sessions,
		Items:         items,
		Achievements:  achievements,
		Attendees:     attendees(presenters),
		Announcements: announcements(),
	}
}

// stages returns the main hall and the forum room with their streams.
func stages() []app.Stage {
	links := func(stage string) map[string]string {
		base := "https://live.example.com/cn-hu-2021/" + stage + "/"
		return map[string]string{"cn": base + "cn", "hu": base + "hu", "default": base + "intl"}
	}
	return []app.Stage{
		{Slug: StageMain, Position: 1, StreamLinks: links(StageMain),
			Name: app.Text{ZH: "主会场", EN: "Main hall", HU: "Nagyterem"}},
		{Slug: StageForum, Position: 2, StreamLinks: links(StageForum),
			Name: app.Text{ZH: "高校论坛厅", EN: "University forum room", HU: "Egyetemi fórum terme"}},
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
