package sqlite

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/storetest"
)

var editAt = time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)

func openMigrated(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	m, err := s.Migrator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// recount is what the triggers' counts must be: the same counts made from
// the catalog's rows, one line per anime and per source name.
const recount = `
	SELECT a.id || ' ' || a.is_active || ' ' || count(e.id) || ' ' || count(e.id) FILTER (WHERE NOT e.is_active) || ' ' ||
		(SELECT count(*) FROM episodes pe JOIN video_sources v ON v.episode_id = pe.id
		 WHERE pe.anime_id = a.id AND pe.is_active AND v.is_active)
	FROM anime a LEFT JOIN episodes e ON e.anime_id = a.id GROUP BY a.id
	UNION ALL
	SELECT source_name || ' ' || count(*) FROM video_sources GROUP BY source_name
	ORDER BY 1`

const counted = `
	SELECT anime_id || ' ' || is_active || ' ' || episodes || ' ' || inactive_episodes || ' ' || playable FROM anime_stats
	UNION ALL
	SELECT source_name || ' ' || sources FROM source_name_counts WHERE sources <> 0
	ORDER BY 1`

func (s *Store) lines(t *testing.T, query string) []string {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	out, err := collectStrings(rows)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (s *Store) wantCounted(t *testing.T, step string) {
	t.Helper()
	if diff := cmp.Diff(s.lines(t, recount), s.lines(t, counted)); diff != "" {
		t.Fatalf("after %s, counts differ from a recount (-recount +counted):\n%s", step, diff)
	}
}

func TestDashboardCountsFollowEveryChange(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "d.db"))
	ctx := t.Context()
	cat := storetest.Catalog("c", 3, 3, 2)
	for _, a := range cat {
		if _, err := s.ImportAnime(ctx, a, editAt); err != nil {
			t.Fatal(err)
		}
	}
	s.wantCounted(t, "imports")
	eps := func(i int) []domain.EpisodeWithSources {
		list, err := s.Episodes(ctx, cat[i].NewID)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	e0, e1 := eps(0), eps(1)
	no, yes := false, true
	steps := []struct {
		name string
		do   func() error
	}{
		{"an episode deactivated", func() error {
			_, err := s.UpdateEpisode(ctx, e0[0].Episode.ID, domain.EpisodePatch{Active: &no}, editAt, nil)
			return err
		}},
		{"an inactive episode moved", func() error {
			_, err := s.AttachEpisode(ctx, e0[0].Episode.ID, cat[1].NewID, editAt, nil)
			return err
		}},
		{"an active episode moved", func() error {
			_, err := s.AttachEpisode(ctx, e0[1].Episode.ID, cat[2].NewID, editAt, nil)
			return err
		}},
		{"a moved episode activated", func() error {
			_, err := s.UpdateEpisode(ctx, e0[0].Episode.ID, domain.EpisodePatch{Active: &yes}, editAt, nil)
			return err
		}},
		{"a source deactivated", func() error {
			_, err := s.UpdateVideo(ctx, e1[0].Sources[0].ID, domain.VideoPatch{Active: &no}, editAt, nil)
			return err
		}},
		{"a source renamed", func() error {
			other := "other"
			_, err := s.UpdateVideo(ctx, e1[0].Sources[1].ID, domain.VideoPatch{SourceName: &other}, editAt, nil)
			return err
		}},
		{"a source deleted", func() error { return s.DeleteVideo(ctx, e1[1].Sources[0].ID, editAt, nil) }},
		{"an anime deactivated", func() error {
			_, err := s.UpdateAnime(ctx, cat[2].NewID, domain.AnimePatch{Active: &no}, editAt, nil)
			return err
		}},
		{"an episode and a source created", func() error {
			e, err := s.CreateEpisode(ctx, domain.NewEpisode{AnimeID: cat[1].NewID, Number: 9, SourceEpisodeID: "new"}, editAt, nil)
			if err == nil {
				_, err = s.CreateVideo(ctx, domain.VideoSource{EpisodeID: e.ID, Type: domain.VideoMP4, URL: "https://n.example/1",
					SourceName: "n", Active: true}, editAt, nil)
			}
			return err
		}},
		{"a re-import that deactivates an episode and adds sources to a moved one", func() error {
			a := storetest.Catalog("c", 1, 3, 3)[0]
			a.Episodes[2].Available = false
			_, err := s.ImportAnime(ctx, a, editAt)
			return err
		}},
		{"a video import", func() error {
			_, err := s.ImportVideo(ctx, "shikimori", "c-1-2", "", domain.VideoImport{Type: domain.VideoMP4, URL: "https://v.example/x", SourceName: "v"}, editAt)
			return err
		}},
		{"an anime with episodes created", func() error {
			_, err := s.CreateAnime(ctx, storetest.Catalog("made", 1, 2, 1)[0], false, editAt, nil)
			return err
		}},
		{"an anime deleted", func() error {
			_, err := s.write.ExecContext(ctx, `DELETE FROM anime WHERE id = ?`, cat[1].NewID)
			return err
		}},
		{"episodes deleted", func() error {
			_, err := s.write.ExecContext(ctx, `DELETE FROM episodes WHERE anime_id = ?`, cat[0].NewID)
			return err
		}},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		s.wantCounted(t, step.name)
	}
	d, err := s.Dashboard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalAnime != 3 || d.InactiveAnime != 1 || d.TotalEpisodes != 6 || d.InactiveEpisodes != 0 || d.TotalSources != 11 ||
		d.WithoutSource != 1 || len(d.WithoutSourceAnime) != 1 || d.WithoutSourceAnime[0].ID != cat[0].NewID {
		t.Errorf("Dashboard() counts = %+v", d)
	}
}

// Both ways of finding the anime without a source find the same ones.
func TestDashboardWithoutSourceEitherWay(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "d.db"))
	ctx := t.Context()
	for i, a := range storetest.Catalog("w", 40, 1, 1) {
		if i%3 == 0 {
			a.Episodes[0].Players = nil
		}
		if _, err := s.ImportAnime(ctx, a, editAt); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	few, err := withoutSource(ctx, tx, 1)
	if err != nil {
		t.Fatal(err)
	}
	many, err := withoutSource(ctx, tx, fewWithoutSource+1)
	if err != nil {
		t.Fatal(err)
	}
	titles := func(l []domain.Anime) (out []string) {
		for _, a := range l {
			out = append(out, a.Title)
		}
		return out
	}
	if len(few) != 14 || !cmp.Equal(titles(few), titles(many)) {
		t.Errorf("withoutSource() = %q from their index, %q along the titles; want the same 14", titles(few), titles(many))
	}
}

// TestDashboardTiming times the dashboard of the catalog the parser sends
// as storetest.Catalog("d", 20000, 25, 2), 200 anime at a time, in the
// database file SQLITE_DASHBOARD_DB (seeded when it is new, which takes
// minutes; kept for the next run), after an ANALYZE.
func TestDashboardTiming(t *testing.T) {
	path := os.Getenv("SQLITE_DASHBOARD_DB")
	if path == "" {
		t.Skip("set SQLITE_DASHBOARD_DB to a database file to time the dashboard of a large catalog")
	}
	const anime = 20000
	s := openMigrated(t, path)
	var n int
	if err := s.read.QueryRowContext(t.Context(), `SELECT count(*) FROM anime`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		cat := storetest.Catalog("d", anime, 25, 2)
		for i := 0; i < len(cat); i += 200 {
			for _, a := range cat[i:min(i+200, len(cat))] {
				if _, err := s.ImportAnime(t.Context(), a, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := s.Analyze(t.Context()); err != nil {
		t.Fatal(err)
	}
	var times []time.Duration
	for range 50 {
		start := time.Now()
		d, err := s.Dashboard(t.Context())
		if err != nil || d.TotalSources != anime*50 {
			t.Fatalf("Dashboard() = %d sources, %v; want %d", d.TotalSources, err, anime*50)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	ms := func(q float64) float64 { return float64(times[int(q*float64(len(times)-1))].Microseconds()) / 1000 }
	t.Logf("Dashboard() of %d anime: p50 %.2f ms, p99 %.2f ms", anime, ms(0.5), ms(0.99))
}
