package textnorm

import (
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Attack on Titan", "attack on titan"},
		{"  ATTACK  on\tTitan!! ", "attack on titan"},
		{"Pokémon: Mewtwo Strikes Back", "pokemon mewtwo strikes back"},
		{"Überflieger Ærøskøbing", "uberflieger ærøskøbing"}, // ø and æ are letters, not letters with marks
		{"Straße", "strasse"},                                // case folding
		{"ＡＢＣ１２３", "abc123"},                                 // full-width forms
		{"ﬁre", "fire"},                                      // ligature
		{"進撃の巨人", "進撃の巨人"},
		{"ｼﾝｹﾞｷ", "シンケ\u3099キ"}, // half-width kana, voicing mark kept
		{"ジョジョ", "シ\u3099ョシ\u3099ョ"},
		{"Атака титанов", "атака титанов"},
		{"Ёлки", "елки"},
		{"Re:Zero − Starting Life", "re zero starting life"},
		{"100% Ore_no_Kanojo", "100 ore no kanojo"},
		{"Shingeki no Kyojin (進撃の巨人) Ⅱ", "shingeki no kyojin 進撃の巨人 ii"},
		{"%_\\'\"", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Folding twice changes nothing, so a folded query matches folded text.
	for _, tt := range tests {
		if got := Fold(Fold(tt.in)); got != Fold(tt.in) {
			t.Errorf("Fold(Fold(%q)) = %q, want %q", tt.in, got, Fold(tt.in))
		}
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Attack on Titan", "attack-on-titan"},
		{"Test Anime", "test-anime"},
		{"  --Hello,   World!--  ", "hello-world"},
		{"Pokémon: Mewtwo Strikes Back", "pokemon-mewtwo-strikes-back"},
		{"Ærøskøbing", "rskbing"}, // what has no ASCII form drops out
		{"Fate/stay night [Unlimited Blade Works]", "fate-stay-night-unlimited-blade-works"},
		{"Ore_no_Imouto", "ore-no-imouto"},
		{"ＡＢＣ", "abc"},
		{"進撃の巨人", ""},
		{"Атака титанов", ""},
		{"進撃の巨人 Season 2", "season-2"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Slug(tt.in, 200); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("word ", 100)
	if got := Slug(long, 23); got != "word-word-word-word" {
		t.Errorf("Slug(long, 23) = %q, want it cut at a word boundary", got)
	}
	if got := Slug(strings.Repeat("a", 300), 200); len(got) != 200 {
		t.Errorf("Slug(300 letters) has %d bytes, want 200", len(got))
	}
}
