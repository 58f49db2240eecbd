package domain_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

func TestMergeEpisodes(t *testing.T) {
	p := func(source, url string, prio int) domain.VideoImport {
		return domain.VideoImport{Type: domain.VideoMP4, URL: url, SourceName: source, Priority: prio}
	}
	title := "second"
	in := []domain.EpisodeImport{
		{SourceEpisodeID: "e1", Number: 1, Available: true, Players: []domain.VideoImport{p("a", "u1", 0), p("a", "u2", 1), p("a", "u1", 5)}},
		{SourceEpisodeID: "e2", Number: 2, Available: true},
		{SourceEpisodeID: "e1", Number: 10, Title: &title, Players: []domain.VideoImport{p("b", "u1", 2), p("a", "u2", 7)}},
	}
	want := []domain.EpisodeImport{
		{SourceEpisodeID: "e1", Number: 10, Title: &title, Players: []domain.VideoImport{p("a", "u1", 5), p("a", "u2", 7), p("b", "u1", 2)}},
		{SourceEpisodeID: "e2", Number: 2, Available: true},
	}
	if diff := cmp.Diff(want, domain.MergeEpisodes(in)); diff != "" {
		t.Errorf("MergeEpisodes() mismatch (-want +got):\n%s", diff)
	}
	if got := in[0].Players[2].Priority; got != 5 || len(in[0].Players) != 3 {
		t.Errorf("MergeEpisodes changed its input: %+v", in[0].Players)
	}
}
