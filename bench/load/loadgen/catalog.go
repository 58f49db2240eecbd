package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// FetchSlugs pages through the public catalog list (GET /api/v1/anime,
// 100 a page) for the slugs of up to max active titles: the titles the
// viewers' title pages and episode lists pick from. Each page comes from
// an address of its own in 198.18.0.0/15 (the benchmarking range) by
// X-Forwarded-For, so that the per-client limit does not stop the walk
// of a server that trusts the generator as a proxy.
func FetchSlugs(ctx context.Context, client *http.Client, baseURL string, max int) ([]string, error) {
	const page = 100
	var slugs []string
	for skip := 0; len(slugs) < max; skip += page {
		ip := fmt.Sprintf("198.18.%d.%d", skip/page/256%256, skip/page%256)
		items, err := fetchPage(ctx, client, strings.TrimRight(baseURL, "/")+"/api/v1/anime?limit="+strconv.Itoa(page)+"&skip="+strconv.Itoa(skip), ip)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			slugs = append(slugs, it.Slug)
		}
		if len(items) < page {
			break
		}
	}
	return slugs[:min(len(slugs), max)], nil
}

func fetchPage(ctx context.Context, client *http.Client, url, ip string) ([]struct{ Slug string }, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var items []struct{ Slug string }
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return items, nil
}
