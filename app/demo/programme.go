package demo

import (
	"fmt"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// Day2 is how long after day one's opening day two opens.
const Day2 = 24 * time.Hour

// Indexes of the sessions programme returns (Conference.Sessions).
const (
	IdxOpening = iota
	IdxShowcase
	IdxForum
	IdxSigning
	IdxPanel
	IdxMatchmaking
	IdxClosing
)

// KindForum and KindMatchmaking are the demo's session kinds beyond the
// ones app names.
const (
	KindForum       = "forum"
	KindMatchmaking = "matchmaking"
)

// programme returns the sessions, in planned start order, and the
// run-of-shows of those that have one (by index), for a conference
// opening at t0. Minutes after t0:
//
//	day 1, main hall:  0–30 opening · 30–165 showcase (27 × 5 min) · 170–190 signing (fixed start)
//	day 1, forum room: 40–130 university forum (7 talks)
//	day 2, main hall:  0–60 panel (5 speakers) · 70–190 matchmaking · 195–215 closing
func programme(t0 time.Time) ([]app.Session, map[int][]app.SeedItem) {
	at := func(day time.Duration, min int) time.Time { return t0.Add(day + time.Duration(min)*time.Minute) }
	session := func(stage string, title app.Text, kind, mode string, start, end time.Time, fixed bool) app.Session {
		return app.Session{Title: title, Kind: kind, Stage: stage, Mode: mode, PlannedStart: start, PlannedEnd: end,
			FixedStart: fixed, State: app.StateScheduled, StreamLinks: map[string]string{}}
	}
	sessions := []app.Session{
		IdxOpening: session(StageMain, app.Text{
			ZH: "开幕式",
			EN: "Opening ceremony",
			HU: "Megnyitó",
		}, app.KindOpening, app.ModeHybrid, at(0, 0), at(0, 30), false),
		IdxShowcase: session(StageMain, app.Text{
			ZH: "科技成果展示推介",
			EN: "Showcase of scientific and technological achievements",
			HU: "Tudományos és technológiai eredmények bemutatója",
		}, app.KindShowcase, app.ModeHybrid, at(0, 30), at(0, 165), false),
		IdxForum: session(StageForum, app.Text{
			ZH: "成渝—匈牙利高校合作论坛",
			EN: "Chengdu-Chongqing – Hungary University Forum",
			HU: "Csengtu–Csungking – Magyarország egyetemi fórum",
		}, KindForum, app.ModeHybrid, at(0, 40), at(0, 130), false),
		IdxSigning: session(StageMain, app.Text{
			ZH: "《协同推进中匈技术交流与合作协议》签约仪式",
			EN: "Signing of the Agreement on Collaborative Promotion of China-Hungary Technology Exchange and Cooperation",
			HU: "A kínai–magyar technológiai csere és együttműködés összehangolt előmozdításáról szóló megállapodás aláírása",
		}, app.KindSigning, app.ModeOnsite, at(0, 170), at(0, 190), true),
		IdxPanel: session(StageMain, app.Text{
			ZH: "圆桌论坛：从实验室到市场——中匈技术转移",
			EN: "Panel: from laboratory to market – technology transfer between China and Hungary",
			HU: "Kerekasztal: a laboratóriumtól a piacig – technológiatranszfer Kína és Magyarország között",
		}, app.KindPanel, app.ModeHybrid, at(Day2, 0), at(Day2, 60), false),
		IdxMatchmaking: session(StageMain, app.Text{
			ZH: "项目对接：企业与成果团队面对面",
			EN: "Matchmaking: enterprises meet the teams",
			HU: "Partnerkeresés: a vállalatok és a kutatócsoportok találkozója",
		}, KindMatchmaking, app.ModeOnsite, at(Day2, 70), at(Day2, 190), false),
		IdxClosing: session(StageMain, app.Text{
			ZH: "闭幕式",
			EN: "Closing ceremony",
			HU: "Záróünnepség",
		}, app.KindClosing, app.ModeHybrid, at(Day2, 195), at(Day2, 215), false),
	}
	showcase := make([]app.SeedItem, 0, 27)
	for i := range 27 {
		showcase = append(showcase, app.SeedItem{AchievementRef: fmt.Sprintf("A%02d", i+1), Seconds: slotSeconds})
	}
	return sessions, map[int][]app.SeedItem{
		IdxShowcase: showcase,
		IdxForum:    forumTalks(),
		IdxPanel:    panelSpeakers(),
	}
}

// talk is a free item of a run-of-show.
func talk(minutes int64, presenter, mode string, title app.Text) app.SeedItem {
	return app.SeedItem{Title: title, Presenter: presenter, PresenterMode: mode, Seconds: minutes * 60}
}

// forumTalks are the university forum's seven talks (90 minutes), invented
// for the demo: Chinese speakers in the room, Hungarian ones mostly remote.
func forumTalks() []app.SeedItem {
	const onsite, remote = app.PresenterOnsite, app.PresenterRemote
	return []app.SeedItem{
		talk(15, "周明远", onsite, app.Text{
			ZH: "开场：成渝—匈牙利高校合作二十年",
			EN: "Opening: twenty years of Chengdu-Chongqing – Hungary university cooperation",
			HU: "Nyitó előadás: a csengtu–csungkingi és magyar egyetemi együttműködés húsz éve"}),
		talk(12, "Kovács Anna", remote, app.Text{
			ZH: "材料科学联合博士培养项目",
			EN: "Joint doctoral programmes in materials science",
			HU: "Közös doktori programok az anyagtudományban"}),
		talk(12, "李静", onsite, app.Text{
			ZH: "成都与布达佩斯之间的学生交流：经验与做法",
			EN: "Student exchange between Chengdu and Budapest: what worked",
			HU: "Hallgatói csere Csengtu és Budapest között: ami bevált"}),
		talk(12, "Szabó Péter", remote, app.Text{
			ZH: "长江与多瑙河水质研究共享实验室",
			EN: "Shared laboratories for water-quality research on the Yangtze and the Danube",
			HU: "Közös laboratóriumok a Jangce és a Duna vízminőség-kutatásához"}),
		talk(12, "张晓燕", onsite, app.Text{
			ZH: "中医药与匈牙利药理学联合课程",
			EN: "Traditional Chinese medicine and Hungarian pharmacology: a joint curriculum",
			HU: "Hagyományos kínai orvoslás és magyar gyógyszertan: közös tanterv"}),
		talk(12, "Tóth Gábor", remote, app.Text{
			ZH: "产业博士：在四川和匈牙利企业中培养博士生",
			EN: "Industrial doctorates: doctoral students placed in Sichuan and Hungarian companies",
			HU: "Ipari doktori képzés: doktoranduszok szecsuani és magyar vállalatoknál"}),
		talk(15, "Nagy Eszter", onsite, app.Text{
			ZH: "总结与下一步合作",
			EN: "Round-up and next steps",
			HU: "Összegzés és a következő lépések"}),
	}
}

// panelSpeakers are the day-two panel's five turns (60 minutes).
func panelSpeakers() []app.SeedItem {
	const onsite, remote = app.PresenterOnsite, app.PresenterRemote
	return []app.SeedItem{
		talk(10, "Horváth Katalin", onsite, app.Text{
			ZH: "主持人开场",
			EN: "The moderator's introduction",
			HU: "A moderátor bevezetője"}),
		talk(12, "王磊", onsite, app.Text{
			ZH: "中国专利在欧盟的许可",
			EN: "Licensing Chinese patents in the European Union",
			HU: "Kínai szabadalmak licencelése az Európai Unióban"}),
		talk(12, "Molnár Dávid", remote, app.Text{
			ZH: "投资匈牙利硬科技初创企业",
			EN: "Investing in Hungarian deep-tech start-ups",
			HU: "Befektetés magyar mélytechnológiai startupokba"}),
		talk(12, "刘洋", onsite, app.Text{
			ZH: "首批用户：重庆制造企业如何试用欧洲技术",
			EN: "Pilot customers: how a Chongqing manufacturer tries out European technology",
			HU: "Kísérleti vevők: hogyan próbál ki egy csungkingi gyártó európai technológiát"}),
		talk(14, "Horváth Katalin", onsite, app.Text{
			ZH: "现场与线上提问",
			EN: "Questions from the hall and online",
			HU: "Kérdések a teremből és online"}),
	}
}
