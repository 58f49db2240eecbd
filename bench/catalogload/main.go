// Command catalogload sends a JSON Lines catalog (as `anirohi catalog seed
// -jsonl` writes it) to POST /api/v1/internal/import/catalog in requests of
// at most 200 anime and 20,000 episodes, and reports how long it took, the
// rows (anime + episodes + sources) per second and what the server said.
//
//	go run ./bench/catalogload -url http://127.0.0.1:8000 -token T -file catalog.jsonl
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"sync"
	"time"
)

type result struct {
	Total, Imported, Unchanged int
	Errors                     []json.RawMessage
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8000", "the server")
	token := flag.String("token", "", "X-Internal-Token")
	file := flag.String("file", "", "JSON Lines catalog")
	workers := flag.Int("workers", 2, "requests in flight")
	flag.Parse()
	f, err := os.Open(*file)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	bodies := make(chan []byte)
	var rows int
	go func() {
		defer close(bodies)
		rows = batches(f, bodies)
	}()
	var mu sync.Mutex
	var sum result
	var wg sync.WaitGroup
	start := time.Now()
	for range *workers {
		wg.Go(func() {
			for body := range bodies {
				r := post(*base, *token, body)
				mu.Lock()
				sum.Total, sum.Imported, sum.Unchanged = sum.Total+r.Total, sum.Imported+r.Imported, sum.Unchanged+r.Unchanged
				sum.Errors = append(sum.Errors, r.Errors...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	fmt.Printf("%d anime (%d rows) in %s: %.0f rows/s; imported %d, unchanged %d, refused %d\n",
		sum.Total, rows, d.Round(time.Millisecond), float64(rows)/d.Seconds(), sum.Imported, sum.Unchanged, len(sum.Errors))
	if len(sum.Errors) > 0 {
		fmt.Printf("first refusal: %s\n", sum.Errors[0])
		os.Exit(1)
	}
}

// batches groups the file's items into request bodies and returns how
// many rows they hold.
func batches(f *os.File, out chan<- []byte) int {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var items [][]byte
	rows, episodes := 0, 0
	flush := func() {
		if len(items) > 0 {
			out <- append(append([]byte(`{"items":[`), bytes.Join(items, []byte(","))...), ']', '}')
			items, episodes = nil, 0
		}
	}
	for sc.Scan() {
		var it struct {
			Episodes []struct{ Players []json.RawMessage }
		}
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			log.Fatal(err)
		}
		if len(items) == 200 || episodes+len(it.Episodes) > 20000 {
			flush()
		}
		items, episodes = append(items, bytes.Clone(sc.Bytes())), episodes+len(it.Episodes)
		rows += 1 + len(it.Episodes)
		for _, e := range it.Episodes {
			rows += len(e.Players)
		}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	flush()
	return rows
}

func post(base, token string, body []byte) result {
	req, _ := http.NewRequest("POST", base+"/api/v1/internal/import/catalog", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Internal-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var r result
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&r) != nil {
		log.Fatalf("import answered %s", resp.Status)
	}
	return r
}
