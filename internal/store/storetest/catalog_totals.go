package storetest

import (
	"strings"
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Replicas returns two stores on one empty, migrated database, as two
// replicas of the service hold them.
type Replicas func(t *testing.T) (a, b domain.Store)

// RunReplicas runs the part of the contract that needs two stores on one
// database.
func RunReplicas(t *testing.T, open Replicas) {
	t.Run("list totals follow the other replica's changes", func(t *testing.T) { testTotalsAcrossReplicas(t, open) })
}

// testTotalsAcrossReplicas: b remembers list totals (listcount); every
// change a total can see, made through a, must show in b's next total.
func testTotalsAcrossReplicas(t *testing.T, open Replicas) {
	a, b := open(t)
	active := domain.AnimeQuery{ActiveOnly: true}
	action := domain.AnimeQuery{ActiveOnly: true, GenreKey: "action"}
	drama := domain.AnimeQuery{ActiveOnly: true, GenreKey: "drama"}
	y2020 := domain.AnimeQuery{ActiveOnly: true, Year: ptr(2020)}
	ongoing := domain.AnimeQuery{ActiveOnly: true, Status: domain.AnimeOngoing}
	titan := domain.AnimeQuery{ActiveOnly: true, Search: "titan"}
	queries := []domain.AnimeQuery{active, action, drama, y2020, ongoing, titan}
	wantAll := func(step string, want ...string) {
		t.Helper()
		for i, q := range queries {
			wantTitles(t, b, q, splitTitles(want[i])...)
			if t.Failed() {
				t.Fatalf("after %s", step)
			}
		}
	}
	wantAll("nothing", "", "", "", "", "", "")

	x := withGenres(newAnime("1", "Attack on Titan"), "Action")
	x.Year = ptr(2020)
	y := withGenres(newAnime("2", "Mushishi"), "Drama")
	importAll(t, a, x, y)
	wantAll("two imports", "Attack on Titan|Mushishi", "Attack on Titan", "Mushishi", "Attack on Titan", "", "Attack on Titan")

	y.Genres, y.GenreKeys = []string{"Action", "Drama"}, []string{"action", "drama"}
	if _, err := a.ImportAnime(t.Context(), y, now); err != nil {
		t.Fatal(err)
	}
	wantAll("a genre added", "Attack on Titan|Mushishi", "Attack on Titan|Mushishi", "Mushishi", "Attack on Titan", "", "Attack on Titan")

	mustUpdateAnime(t, a, y.NewID, domain.AnimePatch{Status: domain.Change[string]{Set: true, Value: ptr(domain.AnimeOngoing)},
		Year: domain.Change[int]{Set: true, Value: ptr(2020)}}, now)
	wantAll("year and status edited", "Attack on Titan|Mushishi", "Attack on Titan|Mushishi", "Mushishi",
		"Attack on Titan|Mushishi", "Mushishi", "Attack on Titan")

	mustUpdateAnime(t, a, y.NewID, domain.AnimePatch{Title: ptr("Mushishi Titan"), Names: ptr(names("Mushishi Titan"))}, now)
	wantAll("a title edited", "Attack on Titan|Mushishi Titan", "Attack on Titan|Mushishi Titan", "Mushishi Titan",
		"Attack on Titan|Mushishi Titan", "Mushishi Titan", "Attack on Titan|Mushishi Titan")

	mustUpdateAnime(t, a, x.NewID, domain.AnimePatch{Active: ptr(false)}, now)
	wantAll("a deactivation", "Mushishi Titan", "Mushishi Titan", "Mushishi Titan", "Mushishi Titan", "Mushishi Titan", "Mushishi Titan")
}

// splitTitles splits "A|B" into its titles ("" is none).
func splitTitles(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}
