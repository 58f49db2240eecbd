package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// catalogRun runs `anirohi catalog ARGS…` on a database and returns stdout.
func catalogRun(t *testing.T, dbURL string, stdin io.Reader, args ...string) string {
	t.Helper()
	env := envOf(map[string]string{"ENV": "test", "SECRET_KEY": "test-key-not-for-production", "DATABASE_URL": dbURL})
	var out, errs bytes.Buffer
	if err := run(t.Context(), append([]string{"catalog"}, args...), env, stdin, &out, &errs); err != nil {
		t.Fatalf("catalog %v: %v\n%s", args, err, errs.String())
	}
	return out.String()
}

// seed, export, import elsewhere, export again: the same catalog.
func TestCatalogCommandsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	first, second := "sqlite:"+filepath.Join(dir, "a.db"), "sqlite:"+filepath.Join(dir, "b.db")
	if got := catalogRun(t, first, nil, "seed", "-anime", "60"); !strings.HasPrefix(got, "60 anime: 60 imported, 0 unchanged, 0 failed") {
		t.Errorf("seed = %q", got)
	}
	exported := catalogRun(t, first, nil, "export")
	if n := strings.Count(exported, "\n"); n != 60 {
		t.Fatalf("export has %d lines, want 60", n)
	}
	file := filepath.Join(dir, "catalog.jsonl")
	if err := os.WriteFile(file, []byte(exported+"{\"title\": 5}\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := catalogRun(t, second, nil, "import", file)
	if !strings.Contains(got, "61 anime: 60 imported, 0 unchanged, 1 failed") || !strings.Contains(got, "failed: line 61: ") {
		t.Errorf("import = %q, want 60 imported and line 61 refused", got)
	}
	if again := catalogRun(t, second, strings.NewReader(exported), "import", "-"); !strings.HasPrefix(again, "60 anime: 0 imported, 60 unchanged, 0 failed") {
		t.Errorf("second import = %q, want everything unchanged", again)
	}
	if back := catalogRun(t, second, nil, "export"); back != exported {
		t.Error("the catalog exported after an import differs from the one imported")
	}
}

// The synthetic catalog is the same every time, multilingual, about 25
// episodes and 2 players each.
func TestCatalogSeedIsDeterministic(t *testing.T) {
	a := catalogRun(t, "sqlite:"+filepath.Join(t.TempDir(), "x.db"), nil, "seed", "-anime", "400", "-jsonl")
	b := catalogRun(t, "sqlite:"+filepath.Join(t.TempDir(), "y.db"), nil, "seed", "-anime", "400", "-jsonl")
	if a != b {
		t.Fatal("two seeds of 400 anime differ")
	}
	for name, script := range map[string]*regexp.Regexp{
		"Japanese": regexp.MustCompile(`"title":"\p{Han}`), "Cyrillic": regexp.MustCompile(`"title":"\p{Cyrillic}`),
		"accented": regexp.MustCompile(`"title":"[^"]*[éñüçèï]`), "Latin": regexp.MustCompile(`"title":"[A-Z][a-z]+ `),
	} {
		if !script.MatchString(a) {
			t.Errorf("no %s title in the seed", name)
		}
	}
	episodes, players := strings.Count(a, `"source_episode_id"`), strings.Count(a, `"priority"`)
	if per := float64(episodes) / 400; per < 20 || per > 30 {
		t.Errorf("%.1f episodes per anime, want about 25", per)
	}
	if per := float64(players) / float64(episodes); per < 1.7 || per > 2.3 {
		t.Errorf("%.2f players per episode, want about 2", per)
	}
}
