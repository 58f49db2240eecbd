package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/postgres"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
	"github.com/anirohi/anirohi-api/internal/store/storetest"
)

var editAt = time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// openWithConn returns a store on a fresh database and a connection to it.
func openWithConn(t *testing.T) (*postgres.Store, *pgx.Conn) {
	t.Helper()
	u := pgtest.NewDatabase(t)
	s, err := postgres.Open(t.Context(), postgres.Config{URL: u, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return s, c
}

// recount is what the triggers' counts must be: the same counts made from
// the catalog's rows, one line per anime and per anime and source name.
const recount = `
	SELECT a.id || ' ' || a.is_active || ' ' || count(e.id) || ' ' || count(e.id) FILTER (WHERE NOT e.is_active) || ' ' ||
		(SELECT count(*) FROM episodes pe JOIN video_sources v ON v.episode_id = pe.id
		 WHERE pe.anime_id = a.id AND pe.is_active AND v.is_active)
	FROM anime a LEFT JOIN episodes e ON e.anime_id = a.id GROUP BY a.id
	UNION ALL
	SELECT e.anime_id || ' ' || v.source_name || ' ' || count(*)
	FROM video_sources v JOIN episodes e ON e.id = v.episode_id GROUP BY e.anime_id, v.source_name
	ORDER BY 1`

const counted = `
	SELECT anime_id || ' ' || is_active || ' ' || episodes || ' ' || inactive_episodes || ' ' || playable FROM anime_stats
	UNION ALL
	SELECT anime_id || ' ' || source_name || ' ' || sources FROM anime_source_counts WHERE sources <> 0
	ORDER BY 1`

func lines(t *testing.T, c *pgx.Conn, query string) []string {
	t.Helper()
	rows, err := c.Query(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantCounted(t *testing.T, c *pgx.Conn, step string) {
	t.Helper()
	if diff := cmp.Diff(lines(t, c, recount), lines(t, c, counted)); diff != "" {
		t.Fatalf("after %s, counts differ from a recount (-recount +counted):\n%s", step, diff)
	}
}

func TestDashboardCountsFollowEveryChange(t *testing.T) {
	s, c := openWithConn(t)
	ctx := t.Context()
	cat := storetest.Catalog("c", 3, 3, 2)
	for _, a := range cat {
		if _, err := s.ImportAnime(ctx, a, editAt); err != nil {
			t.Fatal(err)
		}
	}
	wantCounted(t, c, "imports")
	eps := func(i int) []domain.EpisodeWithSources {
		list, err := s.Episodes(ctx, cat[i].NewID)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	e0, e1 := eps(0), eps(1)
	steps := []struct {
		name string
		do   func() error
	}{
		{"an episode deactivated", func() error {
			_, err := s.UpdateEpisode(ctx, e0[0].Episode.ID, domain.EpisodePatch{Active: ptr(false)}, editAt, nil)
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
			_, err := s.UpdateEpisode(ctx, e0[0].Episode.ID, domain.EpisodePatch{Active: ptr(true)}, editAt, nil)
			return err
		}},
		{"a source deactivated", func() error {
			_, err := s.UpdateVideo(ctx, e1[0].Sources[0].ID, domain.VideoPatch{Active: ptr(false)}, editAt, nil)
			return err
		}},
		{"a source renamed", func() error {
			_, err := s.UpdateVideo(ctx, e1[0].Sources[1].ID, domain.VideoPatch{SourceName: ptr("other")}, editAt, nil)
			return err
		}},
		{"a source deleted", func() error { return s.DeleteVideo(ctx, e1[1].Sources[0].ID, editAt, nil) }},
		{"an anime deactivated", func() error {
			_, err := s.UpdateAnime(ctx, cat[2].NewID, domain.AnimePatch{Active: ptr(false)}, editAt, nil)
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
			a := storetest.Catalog("made", 1, 2, 1)[0]
			_, err := s.CreateAnime(ctx, a, false, editAt, nil)
			return err
		}},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		wantCounted(t, c, step.name)
	}
	d, err := s.Dashboard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalAnime != 4 || d.InactiveAnime != 1 || d.TotalEpisodes != 12 || d.InactiveEpisodes != 2 {
		t.Errorf("Dashboard() counts = %+v", d)
	}
	if _, err := c.Exec(ctx, `DELETE FROM anime WHERE id = $1`, cat[1].NewID); err != nil {
		t.Fatal(err)
	}
	wantCounted(t, c, "an anime deleted")
	if _, err := c.Exec(ctx, `DELETE FROM episodes WHERE anime_id = $1`, cat[0].NewID); err != nil {
		t.Fatal(err)
	}
	wantCounted(t, c, "episodes deleted")
}

// Editors and imports changing the same anime at once leave the counts
// right (none of them fails: a deadlock is retried).
func TestDashboardCountsUnderConcurrentChanges(t *testing.T) {
	s, c := openWithConn(t)
	ctx := t.Context()
	cat := storetest.Catalog("c", 4, 4, 2)
	var episodes []domain.EpisodeWithSources
	for _, a := range cat {
		if _, err := s.ImportAnime(ctx, a, editAt); err != nil {
			t.Fatal(err)
		}
		eps, err := s.Episodes(ctx, a.NewID)
		if err != nil {
			t.Fatal(err)
		}
		episodes = append(episodes, eps...)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		r := rand.New(rand.NewPCG(uint64(w), 1))
		wg.Go(func() {
			for i := range 40 {
				e := episodes[r.IntN(len(episodes))]
				var err error
				switch r.IntN(5) {
				case 0:
					_, err = s.AttachEpisode(ctx, e.Episode.ID, cat[r.IntN(len(cat))].NewID, editAt, nil)
				case 1:
					_, err = s.UpdateEpisode(ctx, e.Episode.ID, domain.EpisodePatch{Active: ptr(r.IntN(2) == 0)}, editAt, nil)
				case 2:
					_, err = s.UpdateVideo(ctx, e.Sources[r.IntN(len(e.Sources))].ID, domain.VideoPatch{Active: ptr(r.IntN(2) == 0)}, editAt, nil)
				case 3:
					_, err = s.CreateVideo(ctx, domain.VideoSource{EpisodeID: e.Episode.ID, Type: domain.VideoMP4,
						URL: fmt.Sprintf("https://w%d.example/%d", w, i), SourceName: fmt.Sprint("w", w), Active: true}, editAt, nil)
				default:
					a := storetest.Catalog("c", 4, 4, 3)[r.IntN(len(cat))]
					a.Episodes[r.IntN(4)].Available = r.IntN(2) == 0
					_, err = s.ImportAnime(ctx, a, editAt.Add(time.Duration(i)*time.Second))
				}
				if err != nil {
					t.Errorf("worker %d, change %d: %v", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	wantCounted(t, c, "concurrent changes")
}
