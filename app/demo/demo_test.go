package demo

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hybridcon/hybridcon/app"
)

// testNow is 26 November 20:00 UTC: already 27 November 04:00 in Shanghai.
var testNow = time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)

func TestEvent(t *testing.T) {
	c := Build(testNow)
	e := c.Event
	if e.Slug != Slug || !app.ValidSlug(e.Slug) {
		t.Errorf("slug = %q, want valid %q", e.Slug, Slug)
	}
	if e.ID != 0 || e.PublicKey != "" || e.LastSeq != 0 || e.Epoch != "" {
		t.Errorf("storage fields set: id %d key %q seq %d epoch %q", e.ID, e.PublicKey, e.LastSeq, e.Epoch)
	}
	for name, txt := range map[string]app.Text{"title": e.Title, "summary": e.Summary} {
		if txt.ZH == "" || txt.EN == "" || txt.HU == "" {
			t.Errorf("%s misses a language: %+v", name, txt)
		}
	}
	if want := "Kína (Csengtu–Csungking régió) – Magyarország Innovációs Együttműködési Konferencia"; e.Title.HU != want {
		t.Errorf("hu title = %q, want %q", e.Title.HU, want)
	}
	if !strings.Contains(e.Summary.EN, "27") || !strings.Contains(e.Summary.ZH, "27") || !strings.Contains(e.Summary.HU, "27") {
		t.Errorf("summary does not mention the 27 achievements: %+v", e.Summary)
	}
	if !strings.HasPrefix(e.Venue.EN, "Chongqing") || !strings.HasPrefix(e.Venue.ZH, "重庆") || !strings.HasPrefix(e.Venue.HU, "Csungking") {
		t.Errorf("venue = %+v, want Chongqing… in each language", e.Venue)
	}
	if e.VenueTZ != "Asia/Shanghai" {
		t.Errorf("venue tz = %q", e.VenueTZ)
	}
	if want := []string{"Asia/Shanghai", "Europe/Budapest"}; !slices.Equal(e.ViewerTZs, want) {
		t.Errorf("viewer tzs = %v, want %v", e.ViewerTZs, want)
	}
	if want := []string{"zh", "en", "hu"}; !slices.Equal(e.Languages, want) {
		t.Errorf("languages = %v, want %v", e.Languages, want)
	}
	if want := time.Date(2026, 11, 26, 20, 5, 0, 0, time.UTC); !e.StartsAt.Equal(want) {
		t.Errorf("starts at %v, want %v", e.StartsAt, want)
	}
	if want := time.Date(2026, 11, 27, 23, 40, 0, 0, time.UTC); !e.EndsAt.Equal(want) {
		t.Errorf("ends at %v, want %v", e.EndsAt, want)
	}
}

func TestAgenda(t *testing.T) {
	c := Build(testNow)
	kinds := make([]string, len(c.Sessions))
	for i, s := range c.Sessions {
		kinds[i] = s.Kind
	}
	want := []string{app.KindOpening, app.KindShowcase, KindForum, app.KindSigning, app.KindPanel, KindMatchmaking, app.KindClosing}
	if !slices.Equal(kinds, want) {
		t.Fatalf("kinds = %v, want %v", kinds, want)
	}
	if first := c.Sessions[0].PlannedStart; !first.Equal(c.Event.StartsAt) {
		t.Errorf("first session starts %v, event %v", first, c.Event.StartsAt)
	}
	if last := c.Sessions[len(c.Sessions)-1].PlannedEnd; !last.Equal(c.Event.EndsAt) {
		t.Errorf("last session ends %v, event %v", last, c.Event.EndsAt)
	}
	stages := map[string]bool{}
	for _, st := range c.Stages {
		stages[st.Slug] = true
		if !app.ValidSlug(st.Slug) || st.Name.ZH == "" || st.Name.EN == "" || st.Name.HU == "" {
			t.Errorf("stage %+v: bad slug or name", st)
		}
		for _, region := range []string{"cn", "hu", "default"} {
			if !strings.HasPrefix(st.StreamLinks[region], "https://live.example.com/cn-hu-2021/"+st.Slug+"/") {
				t.Errorf("stage %s: stream link %q = %q", st.Slug, region, st.StreamLinks[region])
			}
		}
	}
	if len(stages) != 2 || !stages[StageMain] || !stages[StageForum] {
		t.Fatalf("stages = %v, want main and forum", stages)
	}
	byStage := map[string][]app.Session{}
	for i, s := range c.Sessions {
		if !s.PlannedEnd.After(s.PlannedStart) {
			t.Errorf("session %d: end %v not after start %v", i, s.PlannedEnd, s.PlannedStart)
		}
		if i > 0 && s.PlannedStart.Before(c.Sessions[i-1].PlannedStart) {
			t.Errorf("session %d starts before session %d", i, i-1)
		}
		if s.PlannedStart.Location() != time.UTC {
			t.Errorf("session %d: start not in UTC: %v", i, s.PlannedStart)
		}
		if s.Title.ZH == "" || s.Title.EN == "" || s.Title.HU == "" {
			t.Errorf("session %d title misses a language: %+v", i, s.Title)
		}
		if s.State != app.StateScheduled || !stages[s.Stage] {
			t.Errorf("session %d: state %q stage %q, want scheduled on a demo stage", i, s.State, s.Stage)
		}
		if s.ID != 0 || s.Version != 0 || s.ActualStart != nil || len(s.StreamLinks) != 0 {
			t.Errorf("session %d has storage or runtime fields or its own stream links", i)
		}
		if got := s.FixedStart; got != (s.Kind == app.KindSigning) {
			t.Errorf("session %d (%s): fixed start %v", i, s.Kind, got)
		}
		// Sessions of a stage do not overlap.
		if prev := byStage[s.Stage]; len(prev) > 0 && s.PlannedStart.Before(prev[len(prev)-1].PlannedEnd) {
			t.Errorf("session %d overlaps the one before it on %s", i, s.Stage)
		}
		byStage[s.Stage] = append(byStage[s.Stage], s)
	}
	// The forum runs beside the showcase on day one.
	show, forum := c.Sessions[IdxShowcase], c.Sessions[IdxForum]
	if forum.Stage != StageForum || show.Stage != StageMain || !forum.PlannedStart.Before(show.PlannedEnd) || !forum.PlannedEnd.After(show.PlannedStart) {
		t.Errorf("forum %v–%v on %s does not run beside the showcase %v–%v", forum.PlannedStart, forum.PlannedEnd, forum.Stage, show.PlannedStart, show.PlannedEnd)
	}
	// Day two is a day later.
	if d := c.Sessions[IdxPanel].PlannedStart.Sub(c.Sessions[IdxOpening].PlannedStart); d != Day2 {
		t.Errorf("day two opens %v after day one, want %v", d, Day2)
	}
}

func TestRunOfShows(t *testing.T) {
	c := Build(testNow)
	refs := map[string]bool{}
	for _, a := range c.Achievements {
		refs[a.Ref] = true
	}
	for idx, items := range c.Items {
		se := c.Sessions[idx]
		var sum int64
		for k, it := range items {
			sum += it.Seconds
			if it.Seconds <= 0 {
				t.Errorf("%s item %d: %d s", se.Kind, k, it.Seconds)
			}
			if it.AchievementRef != "" {
				if !refs[it.AchievementRef] || it.Presenter != "" || !it.Title.Empty() {
					t.Errorf("%s item %d: achievement %q with free fields %+v", se.Kind, k, it.AchievementRef, it)
				}
				continue
			}
			if it.Title.ZH == "" || it.Title.EN == "" || it.Title.HU == "" || it.Presenter == "" {
				t.Errorf("%s item %d misses a language or presenter: %+v", se.Kind, k, it)
			}
			if it.PresenterMode != app.PresenterOnsite && it.PresenterMode != app.PresenterRemote {
				t.Errorf("%s item %d: presenter mode %q", se.Kind, k, it.PresenterMode)
			}
		}
		if want := int64(se.PlannedEnd.Sub(se.PlannedStart) / time.Second); sum != want {
			t.Errorf("%s: items add up to %d s, the session lasts %d s", se.Kind, sum, want)
		}
	}
	if n := len(c.Items[IdxShowcase]); n != 27 {
		t.Errorf("showcase items: %d, want 27", n)
	}
	if n := len(c.Items[IdxForum]); n < 6 || n > 8 {
		t.Errorf("forum items: %d, want 6–8", n)
	}
	if len(c.Items) != 3 {
		t.Errorf("run-of-shows: %d, want showcase, forum and panel", len(c.Items))
	}
}

func TestStartsSoonAfterNow(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"OnTheFive", time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC), time.Date(2026, 11, 26, 20, 5, 0, 0, time.UTC)},
		{"RoundedUp", time.Date(2026, 11, 26, 20, 0, 1, 0, time.UTC), time.Date(2026, 11, 26, 20, 10, 0, 0, time.UTC)},
		{"Budapest", time.Date(2026, 11, 26, 16, 2, 0, 0, time.FixedZone("CET", 3600)), time.Date(2026, 11, 26, 15, 10, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Build(tt.now)
			got := c.Sessions[IdxOpening].PlannedStart
			if !got.Equal(tt.want) {
				t.Errorf("opening at %v, want %v", got, tt.want)
			}
			if lead := got.Sub(tt.now); lead < Lead || lead >= Lead+5*time.Minute {
				t.Errorf("opening %v after now, want %v to %v", lead, Lead, Lead+5*time.Minute)
			}
		})
	}
}

func TestAchievements(t *testing.T) {
	c := Build(testNow)
	if len(c.Achievements) != 27 {
		t.Fatalf("%d achievements, want 27", len(c.Achievements))
	}
	regions := map[string]int{}
	modes := map[string]int{}
	fields := map[string]bool{}
	refs := map[string]bool{}
	for i, a := range c.Achievements {
		if want := fmt.Sprintf("A%02d", i+1); a.Ref != want {
			t.Errorf("achievement %d: ref %q, want %q", i, a.Ref, want)
		}
		if refs[a.Ref] {
			t.Errorf("duplicate ref %q", a.Ref)
		}
		refs[a.Ref] = true
		for name, txt := range map[string]app.Text{"title": a.Title, "summary": a.Summary} {
			if strings.TrimSpace(txt.ZH) == "" || strings.TrimSpace(txt.EN) == "" || strings.TrimSpace(txt.HU) == "" {
				t.Errorf("%s %s misses a language: %+v", a.Ref, name, txt)
			}
		}
		if !strings.HasSuffix(a.Summary.EN, "(Sample data.)") || !strings.HasSuffix(a.Summary.ZH, "（示例数据）") ||
			!strings.HasSuffix(a.Summary.HU, "(Mintaadat.)") {
			t.Errorf("%s summary lacks the sample marker: %+v", a.Ref, a.Summary)
		}
		if !a.Sample || a.ID != 0 {
			t.Errorf("%s: sample %v id %d", a.Ref, a.Sample, a.ID)
		}
		if want := strings.ToLower(a.Ref) + "@example.org"; a.Contact != want {
			t.Errorf("%s: contact %q, want %q", a.Ref, a.Contact, want)
		}
		if a.Institution == "" || a.Field == "" || a.Presenter == "" {
			t.Errorf("%s: institution %q field %q presenter %q", a.Ref, a.Institution, a.Field, a.Presenter)
		}
		if a.PresenterMode != app.PresenterOnsite && a.PresenterMode != app.PresenterRemote {
			t.Errorf("%s: presenter mode %q", a.Ref, a.PresenterMode)
		}
		if a.Region == regionHungary {
			if a.PresenterMode != app.PresenterRemote {
				t.Errorf("%s: Hungarian presenter %s is %s, want remote", a.Ref, a.Presenter, a.PresenterMode)
			}
			if hasHan(a.Presenter) || len(strings.Fields(a.Presenter)) != 2 {
				t.Errorf("%s: presenter %q is not a Hungarian name", a.Ref, a.Presenter)
			}
		} else if !allHan(a.Presenter) {
			t.Errorf("%s: presenter %q is not a Chinese name", a.Ref, a.Presenter)
		}
		regions[a.Region]++
		modes[a.Region+"/"+a.PresenterMode]++
		fields[a.Field] = true
	}
	for _, r := range []string{regionChongqing, regionSichuan, regionGansu, regionGuizhou, regionHungary} {
		if regions[r] == 0 {
			t.Errorf("no achievement from %s", r)
		}
		if r != regionChongqing && regions[r] >= regions[regionChongqing] {
			t.Errorf("%s has %d achievements, Chongqing %d: want Chongqing the most", r, regions[r], regions[regionChongqing])
		}
	}
	if len(regions) != 5 {
		t.Errorf("regions = %v, want exactly the five", regions)
	}
	var cnOnsite, cnRemote int
	for k, n := range modes {
		switch {
		case strings.HasPrefix(k, regionHungary+"/"):
		case strings.HasSuffix(k, "/"+app.PresenterOnsite):
			cnOnsite += n
		default:
			cnRemote += n
		}
	}
	if cnRemote == 0 || cnOnsite <= cnRemote {
		t.Errorf("Chinese presenters: %d onsite, %d remote; want most onsite and a few remote", cnOnsite, cnRemote)
	}
	for _, f := range []string{fieldMaterials, fieldManufacturing, fieldBiomedicine, fieldAgriculture, fieldEnergy, fieldICT, fieldEnvironment} {
		if !fields[f] {
			t.Errorf("no achievement in field %q", f)
		}
	}
}

func TestAttendees(t *testing.T) {
	c := Build(testNow)
	if n := len(c.Attendees); n < 180 || n > 220 {
		t.Fatalf("%d attendees, want about 200", n)
	}
	emailRE := regexp.MustCompile(`^[a-z0-9.]+@example\.org$`)
	emails, ids, names := map[string]bool{}, map[string]bool{}, map[string]bool{}
	categories := map[string]int{}
	countries := map[string]int{}
	presenters := map[string]bool{}
	for _, a := range c.Achievements {
		presenters[a.Presenter] = true
	}
	var accented int
	for i, a := range c.Attendees {
		if want := fmt.Sprintf("DEMO-%04d", i+1); a.ExternalID != want {
			t.Errorf("attendee %d: external id %q, want %q", i, a.ExternalID, want)
		}
		if ids[a.ExternalID] || emails[a.Email] || names[a.Name] {
			t.Errorf("attendee %d (%s, %s, %s) repeats an id, e-mail or name", i, a.ExternalID, a.Email, a.Name)
		}
		ids[a.ExternalID], emails[a.Email], names[a.Name] = true, true, true
		if !emailRE.MatchString(a.Email) {
			t.Errorf("attendee %d: e-mail %q", i, a.Email)
		}
		if a.ID != "" || !a.Sample || a.Revoked || a.Organization == "" {
			t.Errorf("attendee %d: id %q sample %v revoked %v org %q", i, a.ID, a.Sample, a.Revoked, a.Organization)
		}
		if presenters[a.Name] {
			t.Errorf("attendee %d has a presenter's name %q", i, a.Name)
		}
		switch a.Country {
		case "CN":
			if n := utf8.RuneCountInString(a.Name); !allHan(a.Name) || n < 2 || n > 3 {
				t.Errorf("attendee %d: %q is not a Chinese name", i, a.Name)
			}
		case "HU":
			if hasHan(a.Name) || len(strings.Fields(a.Name)) != 2 {
				t.Errorf("attendee %d: %q is not a Hungarian name", i, a.Name)
			}
			if strings.ContainsAny(a.Name, "áéíóöőúüűÁÉÍÓÖŐÚÜŰ") {
				accented++
			}
		default:
			t.Errorf("attendee %d: country %q", i, a.Country)
		}
		categories[a.Category]++
		countries[a.Country]++
	}
	for _, cat := range []string{app.CategoryOfficial, app.CategoryGuest, app.CategoryEnterprise, app.CategoryPress, app.CategoryAcademic} {
		if categories[cat] == 0 {
			t.Errorf("no attendee in category %q", cat)
		}
	}
	if n := categories[app.CategoryOfficial]; n < 10 || n > 30 {
		t.Errorf("%d officials, want about 20", n)
	}
	if n := categories[app.CategoryPress]; n < 10 || n > 30 {
		t.Errorf("%d press, want about 20", n)
	}
	if len(categories) != 5 {
		t.Errorf("categories = %v", categories)
	}
	if countries["HU"] == 0 || countries["CN"] <= countries["HU"] {
		t.Errorf("countries = %v, want mostly CN and some HU", countries)
	}
	if accented == 0 {
		t.Error("no Hungarian attendee name has an accented letter")
	}
}

func TestAnnouncements(t *testing.T) {
	c := Build(testNow)
	if n := len(c.Announcements); n < 1 || n > 2 {
		t.Fatalf("%d announcements, want 1–2", n)
	}
	var pinned int
	for i, a := range c.Announcements {
		if a.Text.ZH == "" || a.Text.EN == "" || a.Text.HU == "" {
			t.Errorf("announcement %d misses a language: %+v", i, a.Text)
		}
		if a.Author != "organizers" {
			t.Errorf("announcement %d: author %q", i, a.Author)
		}
		if a.Pinned {
			pinned++
		}
	}
	if pinned != 1 || !c.Announcements[0].Pinned {
		t.Errorf("%d pinned, first pinned %v; want exactly the welcome pinned", pinned, c.Announcements[0].Pinned)
	}
}

// TestText checks that every Chinese string is Chinese and every Hungarian
// string is Hungarian with its accents, so that a broken encoding or a
// language mix-up shows.
func TestText(t *testing.T) {
	c := Build(testNow)
	var texts []app.Text
	texts = append(texts, c.Event.Title, c.Event.Summary)
	for _, s := range c.Sessions {
		texts = append(texts, s.Title)
	}
	for _, a := range c.Achievements {
		texts = append(texts, a.Title, a.Summary)
	}
	for _, a := range c.Announcements {
		texts = append(texts, a.Text)
	}
	var allHU strings.Builder
	for _, txt := range texts {
		for lang, s := range map[string]string{"zh": txt.ZH, "en": txt.EN, "hu": txt.HU} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\uFFFDÃÅ") {
				t.Errorf("%s text %q is not clean UTF-8", lang, s)
			}
		}
		if !hasHan(txt.ZH) {
			t.Errorf("zh text %q has no Chinese characters", txt.ZH)
		}
		if hasHan(txt.EN) || hasHan(txt.HU) {
			t.Errorf("en %q or hu %q has Chinese characters", txt.EN, txt.HU)
		}
		if !strings.ContainsAny(txt.HU, "áéíóöőúüűÁÉÍÓÖŐÚÜŰ") {
			t.Errorf("hu text %q has no Hungarian accented letter", txt.HU)
		}
		if strings.ContainsAny(txt.HU, "õûÕÛ") {
			t.Errorf("hu text %q uses õ/û instead of ő/ű", txt.HU)
		}
		allHU.WriteString(txt.HU)
	}
	for _, r := range "áéíóöőúüű" {
		if !strings.ContainsRune(allHU.String(), r) {
			t.Errorf("no Hungarian text uses %q", r)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := Build(testNow), Build(testNow)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two builds differ")
	}
	// Results share nothing: changing one leaves the next untouched.
	a.Stages[0].StreamLinks["cn"] = "changed"
	a.Items[IdxForum][0].Presenter = "changed"
	a.Event.Languages[0] = "changed"
	a.Event.ViewerTZs[0] = "changed"
	a.Achievements[0].Title.EN = "changed"
	a.Attendees[0].Name = "changed"
	if c := Build(testNow); !reflect.DeepEqual(b, c) {
		t.Error("changing one result changed the next build")
	}
	if app.Languages[0] != "zh" {
		t.Errorf("app.Languages changed: %v", app.Languages)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func allHan(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}
