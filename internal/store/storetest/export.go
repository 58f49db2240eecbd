package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Export is a user's export gathered in memory: the rows in the order the
// store handed them over, and the sections in the order they came.
type Export struct {
	User     domain.User
	Access   domain.Access
	Library  []domain.LibraryItem
	Progress []domain.Progress
	History  []domain.HistoryEntry
	Sessions []domain.Session
	Sections []string // each section's name once, when its first row came

	stopAt string // returns errStop from the first call of that section
	during func() // runs once, in the User call
}

var errStop = errors.New("writer stops here")

// ExportAll runs s.Export for the user and gathers everything it hands
// over.
func ExportAll(ctx context.Context, s domain.UserStore, userID int64, now time.Time) (Export, error) {
	var ex Export
	err := s.Export(ctx, userID, &exportWriter{&ex})
	return ex, err
}

// exportWriter is a domain.ExportWriter that fills an Export.
type exportWriter struct{ ex *Export }

func (w *exportWriter) section(name string) error {
	if n := len(w.ex.Sections); n == 0 || w.ex.Sections[n-1] != name {
		w.ex.Sections = append(w.ex.Sections, name)
	}
	if w.ex.stopAt == name {
		return errStop
	}
	return nil
}

func (w *exportWriter) User(u domain.User, a domain.Access) error {
	w.ex.User, w.ex.Access = u, a
	if w.ex.during != nil {
		w.ex.during()
	}
	return w.section("user")
}

func (w *exportWriter) LibraryItem(it domain.LibraryItem) error {
	w.ex.Library = append(w.ex.Library, it)
	return w.section("library")
}

func (w *exportWriter) Progress(p domain.Progress) error {
	w.ex.Progress = append(w.ex.Progress, p)
	return w.section("progress")
}

func (w *exportWriter) History(h domain.HistoryEntry) error {
	w.ex.History = append(w.ex.History, h)
	return w.section("history")
}

func (w *exportWriter) Session(s domain.Session) error {
	w.ex.Sessions = append(w.ex.Sessions, s)
	return w.section("sessions")
}

func testExport(t *testing.T, open Opener) {
	t.Run("export hands over every row of the user, section by section, in order", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u, other := mustCreateUser(t, s, domain.RoleUser), mustCreateUser(t, s)
		FillUser(t, s, u.ID)
		FillUser(t, s, other.ID)
		put(t, s, u.ID, "older", domain.LibraryPatch{}, now.Add(-time.Hour))
		put(t, s, u.ID, "newer", domain.LibraryPatch{}, now.Add(time.Hour))
		save(t, s, domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: "t", EpisodeID: "later", Position: 2}, now.Add(time.Minute))
		ex, err := ExportAll(t.Context(), s, u.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if ex.User.ID != u.ID || ex.User.PasswordHash != "" || !cmp.Equal(ex.Access.Roles, []string{"user"}) {
			t.Errorf("export user = %+v, access %+v, want the user without its hash", ex.User, ex.Access)
		}
		if want := []string{"user", "library", "progress", "history", "sessions"}; !cmp.Equal(ex.Sections, want) {
			t.Errorf("sections = %v, want %v", ex.Sections, want)
		}
		// The list methods' pages, provider by provider, are the export's rows.
		var lib []domain.LibraryItem
		var prog []domain.Progress
		var hist []domain.HistoryEntry
		for _, provider := range []string{"aniliberty", "rpc"} {
			l, _, _ := s.Library(t.Context(), u.ID, domain.LibraryQuery{Provider: provider, Page: domain.Page{Limit: 100}})
			p, _, _ := s.ProgressList(t.Context(), u.ID, domain.ProgressQuery{Provider: provider, Page: domain.Page{Limit: 100}})
			lib, prog, hist = append(lib, l...), append(prog, p...), append(hist, history(t, s, u.ID, provider)...)
		}
		if diff := cmp.Diff(lib, ex.Library); diff != "" || len(lib) != 4 {
			t.Errorf("export library (-lists +export):\n%s", diff)
		}
		if diff := cmp.Diff(prog, ex.Progress); diff != "" || len(prog) != 3 {
			t.Errorf("export progress (-lists +export):\n%s", diff)
		}
		if diff := cmp.Diff(hist, ex.History); diff != "" || len(hist) != 3 {
			t.Errorf("export history (-lists +export):\n%s", diff)
		}
		// Sessions: revoked ones too, newest first.
		if len(ex.Sessions) != 2 || ex.Sessions[0].ID < ex.Sessions[1].ID || ex.Sessions[1].RevokedAt.IsZero() ||
			slices.ContainsFunc(ex.Sessions, func(x domain.Session) bool { return x.UserID != u.ID }) {
			t.Errorf("export sessions = %+v, want the user's live and revoked ones, newest first", ex.Sessions)
		}
	})

	t.Run("export of an unknown user is not found before the writer is called", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ex, err := ExportAll(t.Context(), s, 4242, now)
		wantKind(t, "Export(unknown)", err, domain.KindNotFound)
		if len(ex.Sections) != 0 {
			t.Errorf("writer got %v for an unknown user", ex.Sections)
		}
	})

	t.Run("an error from the writer stops the export and is returned", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		FillUser(t, s, u.ID)
		for _, section := range []string{"user", "library", "progress", "history", "sessions"} {
			ex := Export{stopAt: section}
			err := s.Export(t.Context(), u.ID, &exportWriter{&ex})
			if !errors.Is(err, errStop) {
				t.Errorf("stop at %s: Export() error = %v, want the writer's", section, err)
			}
			rows := map[string]int{"user": 1, "library": len(ex.Library), "progress": len(ex.Progress), "history": len(ex.History), "sessions": len(ex.Sessions)}
			if got := ex.Sections[len(ex.Sections)-1]; got != section || rows[section] != 1 {
				t.Errorf("stop at %s: the writer got on to %s, %d rows of %s", section, got, rows[section], section)
			}
		}
	})

	t.Run("export is one snapshot: a write during it does not appear", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		u := mustCreateUser(t, s)
		FillUser(t, s, u.ID)
		ex := Export{during: func() {
			put(t, s, u.ID, "during", domain.LibraryPatch{}, now)
			save(t, s, domain.Progress{UserID: u.ID, Provider: "rpc", TitleID: "t", EpisodeID: "during"}, now)
		}}
		must(t, s.Export(t.Context(), u.ID, &exportWriter{&ex}))
		if len(ex.Library) != 2 || len(ex.Progress) != 2 || len(ex.History) != 2 {
			t.Errorf("export = %d library, %d progress, %d history, want the 2 of each from before it began",
				len(ex.Library), len(ex.Progress), len(ex.History))
		}
		after, err := ExportAll(t.Context(), s, u.ID, now)
		if err != nil || len(after.Library) != 3 || len(after.Progress) != 3 {
			t.Errorf("the next export = %d library, %d progress (%v), want the write in it", len(after.Library), len(after.Progress), err)
		}
	})
}
