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
	if want := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC); !e.StartsAt.Equal(want) {
		t.Errorf("starts at %v, want %v", e.StartsAt, want)
	}
	if want := time.Date(2026, 11, 27, 4, 30, 0, 0, time.UTC); !e.EndsAt.Equal(want) {
		t.Errorf("ends at %v, want %v", e.EndsAt, want)
	}
}

func TestAgenda(t *testing.T) {
	c := Build(testNow)
	kinds := make([]string, len(c.Sessions))
	for i, s := range c.Sessions {
		kinds[i] = s.Kind
	}
	if want := []string{app.KindOpening, app.KindShowcase, app.KindSigning, app.KindClosing}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds = %v, want %v", kinds, want)
	}
	if c.ShowcaseIdx < 0 || c.ShowcaseIdx >= len(c.Sessions) || c.Sessions[c.ShowcaseIdx].Kind != app.KindShowcase {
		t.Fatalf("showcase index %d does not point at the showcase", c.ShowcaseIdx)
	}
	if first := c.Sessions[0].PlannedStart; !first.Equal(c.Event.StartsAt) {
		t.Errorf("first session starts %v, event %v", first, c.Event.StartsAt)
	}
	if last := c.Sessions[len(c.Sessions)-1].PlannedEnd; !last.Equal(c.Event.EndsAt) {
		t.Errorf("last session ends %v, event %v", last, c.Event.EndsAt)
	}
	for i, s := range c.Sessions {
		if !s.PlannedEnd.After(s.PlannedStart) {
			t.Errorf("session %d: end %v not after start %v", i, s.PlannedEnd, s.PlannedStart)
		}
		if i > 0 {
			gap := s.PlannedStart.Sub(c.Sessions[i-1].PlannedEnd)
			if gap < 0 || gap > 5*time.Minute {
				t.Errorf("session %d starts %v after the previous one ends, want 0–5 min", i, gap)
			}
		}
		if s.PlannedStart.Location() != time.UTC {
			t.Errorf("session %d: start not in UTC: %v", i, s.PlannedStart)
		}
		if s.Title.ZH == "" || s.Title.EN == "" || s.Title.HU == "" {
			t.Errorf("session %d title misses a language: %+v", i, s.Title)
		}
		if s.State != app.StateScheduled || s.Stage != "main" {
			t.Errorf("session %d: state %q stage %q, want scheduled on main", i, s.State, s.Stage)
		}
		if s.ID != 0 || s.Version != 0 || s.ActualStart != nil {
			t.Errorf("session %d has storage or runtime fields set", i)
		}
		wantMode := app.ModeHybrid
		if s.Kind == app.KindSigning {
			wantMode = app.ModeOnsite
		}
		if s.Mode != wantMode {
			t.Errorf("session %d (%s): mode %q, want %q", i, s.Kind, s.Mode, wantMode)
		}
		if got := s.FixedStart; got != (s.Kind == app.KindSigning) {
			t.Errorf("session %d (%s): fixed start %v", i, s.Kind, got)
		}
		for _, region := range []string{"cn", "hu", "default"} {
			if !strings.HasPrefix(s.StreamLinks[region], "https://live.example.com/cn-hu-2021/") {
				t.Errorf("session %d: stream link %q = %q", i, region, s.StreamLinks[region])
			}
		}
	}
}

func TestSlotSeconds(t *testing.T) {
	c := Build(testNow)
	if len(c.SlotSeconds) != len(c.Achievements) {
		t.Fatalf("%d slot lengths for %d achievements", len(c.SlotSeconds), len(c.Achievements))
	}
	var sum int64
	for i, s := range c.SlotSeconds {
		if s <= 0 {
			t.Errorf("slot %d: %d s", i, s)
		}
		sum += s
	}
	show := c.Sessions[c.ShowcaseIdx]
	if want := int64(show.PlannedEnd.Sub(show.PlannedStart) / time.Second); sum != want {
		t.Errorf("slots add up to %d s, showcase lasts %d s", sum, want)
	}
	if sum != 27*300 {
		t.Errorf("slots add up to %d s, want 27 × 300", sum)
	}
}

func TestConferenceDay(t *testing.T) {
	budapest, err := time.LoadLocation("Europe/Budapest")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	tests := []struct {
		name string
		now  time.Time
		day  int // of November 2026, in Shanghai
	}{
		{"NextDayInShanghai", time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC), 27},
		{"LastSecondOfShanghaiDay", time.Date(2026, 11, 26, 15, 59, 59, 0, time.UTC), 26},
		{"ShanghaiMidnight", time.Date(2026, 11, 26, 16, 0, 0, 0, time.UTC), 27},
		{"DuringTheConference", time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC), 27},
		{"BudapestEvening", time.Date(2026, 11, 26, 21, 30, 0, 0, budapest), 27},
	}
	// Shanghai wall-clock start of each session.
	wantStarts := [][2]int{{9, 0}, {9, 30}, {11, 50}, {12, 10}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Build(tt.now)
			for i, s := range c.Sessions {
				want := time.Date(2026, 11, tt.day, wantStarts[i][0]-8, wantStarts[i][1], 0, 0, time.UTC)
				if !s.PlannedStart.Equal(want) {
					t.Errorf("session %d starts %v, want %v", i, s.PlannedStart, want)
				}
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
	// Another instant of the same Shanghai day gives the same conference.
	if c := Build(testNow.Add(3 * time.Hour)); !reflect.DeepEqual(a, c) {
		t.Error("builds on the same Shanghai day differ")
	}
	// Results share nothing: changing one leaves the next untouched.
	a.Sessions[0].StreamLinks["cn"] = "changed"
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
