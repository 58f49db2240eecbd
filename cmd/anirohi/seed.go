package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// seedCatalog yields n synthetic anime, the same every time: titles in
// Latin, accented Latin, Japanese and Cyrillic (with alternative titles in
// other scripts), 1 to 49 episodes (25 on average), 1 to 3 players each (2
// on average). For benchmarks and demos.
func seedCatalog(n int, yield func(domain.AnimeImport) error) error {
	rng := rand.New(rand.NewPCG(2026, 12))
	for i := range n {
		if err := yield(seedAnime(rng, i)); err != nil {
			return err
		}
	}
	return nil
}

var (
	latinWords    = []string{"Attack", "Titan", "Blade", "Moon", "Sword", "Spirit", "Dragon", "School", "Ghost", "Star", "Summer", "Garden", "Shadow", "Knight", "Ocean", "Dream", "Fire", "Clockwork", "Silent", "Wolf"}
	accentedWords = []string{"Pokémon", "Café", "Élan", "Mañana", "Über", "Façade", "Crème", "Señor", "Naïve", "Rosé"}
	japaneseWords = []string{"進撃", "巨人", "魔法", "少女", "学園", "物語", "剣", "月", "夏", "夢", "恋", "星", "鬼", "龍", "空"}
	cyrillicWords = []string{"Атака", "титанов", "Меч", "Луна", "Призрак", "Школа", "Дракон", "Звезда", "Лето", "Сон"}
	genres        = []string{"Action", "Adventure", "Comedy", "Drama", "Fantasy", "Horror", "Mecha", "Mystery", "Romance", "Sci-Fi", "Slice of Life", "Sports", "Isekai"}
	statuses      = []string{domain.AnimeOngoing, domain.AnimeCompleted, domain.AnimeUpcoming}
)

func pick(rng *rand.Rand, words []string, k int, sep string) string {
	parts := make([]string, k)
	for i := range parts {
		parts[i] = words[rng.IntN(len(words))]
	}
	return strings.Join(parts, sep)
}

func seedAnime(rng *rand.Rand, i int) domain.AnimeImport {
	latin := pick(rng, latinWords, 2+rng.IntN(2), " ")
	var title string
	alts := []string{latin}
	switch r := rng.IntN(100); {
	case r < 50:
		title, alts = latin, []string{pick(rng, japaneseWords, 2, "の")}
	case r < 65:
		title = pick(rng, accentedWords, 1, "") + " " + latin
	case r < 85:
		title = pick(rng, japaneseWords, 2+rng.IntN(2), "の")
	default:
		title = pick(rng, cyrillicWords, 2, " ")
	}
	title = fmt.Sprintf("%s %d", title, i) // distinct titles, so slugs rarely collide
	year, status := 1990+rng.IntN(36), statuses[rng.IntN(len(statuses))]
	desc := fmt.Sprintf("A synthetic anime (#%d) for benchmarks and demos.", i)
	poster := fmt.Sprintf("https://img.example/posters/%d.jpg", i)
	a := domain.AnimeImport{SourceName: "seed", SourceID: fmt.Sprintf("seed-%d", i), Title: title, AlternativeTitles: alts,
		Description: &desc, Year: &year, Status: &status, Poster: &poster,
		Genres: twoGenres(rng)}
	for e := range 1 + rng.IntN(49) {
		ep := domain.EpisodeImport{SourceEpisodeID: fmt.Sprintf("seed-%d-%d", i, e+1), Number: e + 1, Available: true}
		for p := range 1 + rng.IntN(3) {
			kind := domain.VideoM3U8
			if p%2 == 1 {
				kind = domain.VideoIframe
			}
			ep.Players = append(ep.Players, domain.VideoImport{Type: kind, SourceName: "seed", Priority: p,
				URL: fmt.Sprintf("https://cdn.example/%d/%d/%d", i, e+1, p)})
		}
		a.Episodes = append(a.Episodes, ep)
	}
	return a
}

func twoGenres(rng *rand.Rand) []string {
	g := rng.IntN(len(genres))
	return []string{genres[g], genres[(g+1+rng.IntN(len(genres)-1))%len(genres)]}
}
