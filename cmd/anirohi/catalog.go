package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/httpapi"
	"github.com/anirohi/anirohi-api/internal/platform/cache"
	"github.com/anirohi/anirohi-api/internal/platform/logging"
)

const catalogSynopsis = `catalog import FILE | export | seed [-anime N] [-jsonl]

  import FILE   load a JSON Lines file of bulk import items (one anime with its
                episodes and players per line, as POST /api/v1/internal/import/catalog
                takes them; FILE - is standard input); prints a summary
  export        write the whole catalog in that format to standard output
  seed          import a deterministic synthetic catalog of N anime (-jsonl:
                write it to standard output instead)
`

func catalogCmd(ctx context.Context, args []string, env environ, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("catalog", catalogSynopsis, stderr)
	n := fs.Int("anime", 1000, "seed: how many anime")
	jsonl := fs.Bool("jsonl", false, "seed: write the items instead of importing them")
	if len(args) == 0 {
		fs.Usage()
		return errUsage
	}
	sub := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if sub == "seed" && *jsonl {
		return writeItems(stdout, func(yield func(domain.AnimeImport) error) error { return seedCatalog(*n, yield) })
	}
	if sub != "import" && sub != "export" && sub != "seed" || sub == "import" && fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	cfg, _, err := loadConfig(env.get)
	if err != nil {
		return err
	}
	root := logging.New(stderr, slog.LevelWarn, nil)
	store, err := openStore(ctx, cfg, nil, logging.Named(root, "anirohi"))
	if err != nil {
		return err
	}
	defer store.Close()
	if sub == "export" {
		return writeItems(stdout, func(yield func(domain.AnimeImport) error) error { return store.ExportCatalog(ctx, yield) })
	}
	rdb, err := openRedis(ctx, cfg, root)
	if err != nil {
		return err
	}
	var answers *cache.Redis // what the servers cached is dropped by the import
	if rdb != nil {
		defer rdb.Close()
		prefix, err := redisPrefix(ctx, cfg, store)
		if err != nil {
			return err
		}
		answers = answerCache(rdb, prefix)
	}
	catalog := newCatalog(store, answers, nil, nil, logging.Named(root, "anirohi"))
	l := newLoader(catalog, stderr)
	if sub == "seed" {
		err = seedCatalog(*n, l.add)
	} else {
		err = importFile(fs.Arg(0), stdin, l)
	}
	if err == nil {
		err = l.flush(ctx)
	}
	l.summary(stdout)
	return err
}

// importFile feeds each line of a JSON Lines file to the loader; a line
// that is not an item is counted as failed.
func importFile(name string, stdin io.Reader, l *loader) error {
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxItemLine)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		a, problem := httpapi.DecodeCatalogItem(sc.Bytes())
		if problem != "" {
			l.refuse(fmt.Sprintf("line %d: %s", line, problem))
			continue
		}
		if err := l.add(a); err != nil {
			return err
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("%s: a line is over %d bytes", name, maxItemLine)
	}
	return sc.Err()
}

// maxItemLine bounds one item: an anime with thousands of episodes.
const maxItemLine = 16 << 20

// loader imports items in batches the size of a bulk request, saying how
// far it got on a terminal.
type loader struct {
	catalog   *app.Catalog
	progress  io.Writer // nil when stderr is not a terminal
	batch     []domain.AnimeImport
	episodes  int
	done      app.ImportReport
	problems  []string
	started   time.Time
	lastPrint time.Time
}

func newLoader(c *app.Catalog, stderr io.Writer) *loader {
	l := &loader{catalog: c, started: time.Now()}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			l.progress = f
		}
	}
	return l
}

func (l *loader) add(a domain.AnimeImport) error {
	if len(l.batch) == domain.MaxImportAnime || l.episodes+len(a.Episodes) > domain.MaxImportEpisodes {
		if err := l.flush(context.Background()); err != nil {
			return err
		}
	}
	l.batch, l.episodes = append(l.batch, a), l.episodes+len(a.Episodes)
	return nil
}

func (l *loader) refuse(problem string) {
	l.done.Total++
	l.problems = append(l.problems, problem)
}

func (l *loader) flush(ctx context.Context) error {
	if len(l.batch) == 0 {
		return nil
	}
	rep, err := l.catalog.ImportCatalog(ctx, l.batch)
	if err != nil {
		return err
	}
	for _, e := range rep.Errors {
		l.problems = append(l.problems, fmt.Sprintf("%s: %s", e.SourceID, e.Message))
	}
	l.done.Total += rep.Total
	l.done.Imported += rep.Imported
	l.done.Unchanged += rep.Unchanged
	l.batch, l.episodes = l.batch[:0], 0
	if l.progress != nil && time.Since(l.lastPrint) > 200*time.Millisecond {
		fmt.Fprintf(l.progress, "\r%d anime: %d imported, %d unchanged, %d failed", l.done.Total, l.done.Imported, l.done.Unchanged, len(l.problems))
		l.lastPrint = time.Now()
	}
	return nil
}

func (l *loader) summary(w io.Writer) {
	if l.progress != nil {
		fmt.Fprintln(l.progress)
	}
	for _, p := range l.problems {
		fmt.Fprintf(w, "failed: %s\n", p)
	}
	fmt.Fprintf(w, "%d anime: %d imported, %d unchanged, %d failed (%s)\n", l.done.Total, l.done.Imported, l.done.Unchanged,
		len(l.problems), time.Since(l.started).Round(time.Millisecond))
}

// writeItems writes the items a producer yields as JSON Lines.
func writeItems(w io.Writer, produce func(yield func(domain.AnimeImport) error) error) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	err := produce(func(a domain.AnimeImport) error {
		line, err := httpapi.EncodeCatalogItem(a)
		if err == nil {
			_, err = bw.Write(append(line, '\n'))
		}
		return err
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
