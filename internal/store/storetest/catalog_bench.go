package storetest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// Catalog is a bulk import as the parser sends it: anime of a given number
// of episodes, each with a number of sources, under source ids that start
// with prefix, with what the application derives from them.
func Catalog(prefix string, anime, episodes, sources int) []domain.AnimeImport {
	out := make([]domain.AnimeImport, anime)
	for i := range out {
		title := fmt.Sprintf("Anime %s %d", prefix, i)
		a := withGenres(newAnime(prefix+"-"+fmt.Sprint(i), title, "Alt "+title, fmt.Sprintf("アニメ %d", i)), "Action", "Drama")
		a.Description, a.Year, a.Status = ptr("A description of "+title+"."), ptr(2000+i%25), ptr(domain.AnimeOngoing)
		a.Poster = ptr("https://img.example/" + a.SourceID + ".jpg")
		for e := range episodes {
			ep := domain.EpisodeImport{SourceEpisodeID: fmt.Sprintf("%s-%d", a.SourceID, e), Number: e + 1, Available: true}
			for p := range sources {
				ep.Players = append(ep.Players, domain.VideoImport{Type: domain.VideoIframe, SourceName: fmt.Sprint("player", p),
					URL: fmt.Sprintf("https://player%d.example/%s/%d", p, a.SourceID, e), Priority: p})
			}
			a.Episodes = append(a.Episodes, ep)
		}
		out[i] = a
	}
	return out
}

// BenchmarkImportCatalog measures bulk imports of 200 anime of 25
// episodes with 2 sources each (the largest request is 200 anime): a first
// load, and the same data sent again, which writes nothing. It reports
// rows (anime, episodes and sources) per second.
func BenchmarkImportCatalog(b *testing.B, open func(b *testing.B) domain.Store) {
	const anime, episodes, sources = 200, 25, 2
	const rows = anime * (1 + episodes*(1+sources))
	run := func(b *testing.B, s domain.Store, batch []domain.AnimeImport, want domain.ImportCounts) {
		b.Helper()
		var total domain.ImportCounts
		for _, a := range batch {
			c, err := s.ImportAnime(b.Context(), a, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			total.Add(c)
		}
		if total != want {
			b.Fatalf("import counted %+v, want %+v", total, want)
		}
	}
	written := domain.ImportCounts{AnimeWritten: anime, EpisodesWritten: anime * episodes, SourcesWritten: anime * episodes * sources}
	unchanged := domain.ImportCounts{AnimeUnchanged: anime, EpisodesUnchanged: anime * episodes, SourcesUnchanged: anime * episodes * sources}
	b.Run("first load", func(b *testing.B) {
		s := open(b)
		n := 0
		for b.Loop() {
			b.StopTimer()
			batch := Catalog(fmt.Sprint(n), anime, episodes, sources) // new anime every time
			n++
			b.StartTimer()
			run(b, s, batch, written)
		}
		b.ReportMetric(float64(rows*n)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("unchanged", func(b *testing.B) {
		s := open(b)
		batch := Catalog("u", anime, episodes, sources)
		run(b, s, batch, written)
		n := 0
		for b.Loop() {
			run(b, s, batch, unchanged)
			n++
		}
		b.ReportMetric(float64(rows*n)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkDashboard times the dashboard of a large catalog (median and
// 99th percentile of the calls): once, before
// the timing, it imports Catalog("d", n, 25, 2) (n is DASHBOARD_ANIME, or
// 20,000: a million video sources) one anime at a time, as a bulk import
// stores it. A store with an Analyze method (PostgreSQL's planner
// statistics, with autovacuum off) is analysed after the load.
func BenchmarkDashboard(b *testing.B, open func(b *testing.B) domain.Store) {
	n := 20000
	if v := os.Getenv("DASHBOARD_ANIME"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("DASHBOARD_ANIME=%q: %v", v, err)
		}
	}
	s := open(b)
	cat := Catalog("d", n, 25, 2)
	for i := range cat {
		if _, err := s.ImportAnime(b.Context(), cat[i], now); err != nil {
			b.Fatal(err)
		}
		cat[i] = domain.AnimeImport{} // what is stored need not be kept
	}
	if a, ok := s.(interface{ Analyze(context.Context) error }); ok {
		if err := a.Analyze(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		d, err := s.Dashboard(b.Context())
		if err != nil || d.TotalAnime != n || d.TotalSources != n*50 || len(d.RecentAnime) != 5 {
			b.Fatalf("Dashboard() = %d anime, %d sources, %d recent, %v; want %d, %d, 5", d.TotalAnime, d.TotalSources, len(d.RecentAnime), err, n, n*50)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	ms := func(q float64) float64 { return float64(times[int(q*float64(len(times)-1))].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
