package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// promqlWords are PromQL functions, aggregations and keywords: every other
// identifier in a query must be a metric the service exports.
var promqlWords = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "count": true, "topk": true, "bottomk": true, "rate": true,
	"irate": true, "increase": true, "delta": true, "deriv": true, "histogram_quantile": true, "vector": true, "scalar": true,
	"by": true, "without": true, "and": true, "or": true, "unless": true, "on": true, "ignoring": true, "group_left": true,
	"group_right": true, "bool": true, "offset": true, "abs": true, "clamp_min": true, "clamp_max": true, "time": true,
	"label_values": true, "avg_over_time": true, "max_over_time": true, "min_over_time": true, "absent": true, "changes": true,
	"resets": true, "round": true, "sort_desc": true, "sort": true, "e": true, "inf": true, "nan": true,
}

var (
	quoted      = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	matchers    = regexp.MustCompile(`\{[^}]*\}`)
	grouping    = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	ranges      = regexp.MustCompile(`\[[^\]]*\]`)
	grafanaVars = regexp.MustCompile(`\$\{?\w+\}?`)
	identifier  = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	durationLit = regexp.MustCompile(`^\d`)
)

// queryMetrics returns the metric names a PromQL query reads.
func queryMetrics(q string) []string {
	for _, re := range []*regexp.Regexp{quoted, matchers, grouping, ranges, grafanaVars} {
		q = re.ReplaceAllString(q, " ")
	}
	var out []string
	for _, id := range identifier.FindAllString(q, -1) {
		if !promqlWords[strings.ToLower(id)] && !durationLit.MatchString(id) {
			out = append(out, id)
		}
	}
	return out
}

// exportedMetrics scrapes a running server after a flow and returns every
// series name it exports (histogram and summary parts included).
func exportedMetrics(t *testing.T) map[string]bool {
	env := testEnv(t)
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		env["REDIS_URL"], env["REDIS_KEY_PREFIX"] = url, "deploytest:"
	}
	base, _ := startServer(t, env)
	call(t, "POST", base+"/api/v1/auth/register", "", `{"email":"m@example.com","password":"metrics-pw-1"}`, nil)
	call(t, "GET", base+"/health", "", "", nil)
	names := map[string]bool{}
	for _, line := range strings.Split(get(t, base+"/metrics", ""), "\n") {
		if name := identifier.FindString(line); name != "" && !strings.HasPrefix(line, "#") {
			names[name] = true
		}
	}
	if os.Getenv("TEST_REDIS_URL") == "" { // exported only with Redis
		for _, n := range []string{"anirohi_redis_up", "anirohi_redis_errors_total", "anirohi_ratelimit_fallback_total"} {
			names[n] = true
		}
	}
	return names
}

func TestQueryMetrics(t *testing.T) {
	q := `histogram_quantile(0.95, sum by (le, handler) (rate(http_request_duration_seconds_bucket{job="anirohi-api", handler=~"$route"}[5m]))) > 0.5 and on(job) vector(1) or anirohi_redis_up{instance="$instance"} == 0`
	got := queryMetrics(q)
	want := []string{"http_request_duration_seconds_bucket", "anirohi_redis_up"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("queryMetrics() = %v, want %v", got, want)
	}
}

func TestDashboardQueriesNameExportedMetrics(t *testing.T) {
	data, err := os.ReadFile("../../deploy/grafana/dashboards/anirohi.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	exported := exportedMetrics(t)
	queries := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			queries++
			for _, name := range queryMetrics(tg.Expr) {
				if !exported[name] {
					t.Errorf("panel %q queries %s, which the service does not export", p.Title, name)
				}
			}
		}
	}
	if queries < 10 {
		t.Errorf("only %d queries in the dashboard", queries)
	}
}

func TestAlertRulesNameExportedMetrics(t *testing.T) {
	data, err := os.ReadFile("../../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	exported := exportedMetrics(t)
	var expr []string
	inExpr, alerts := false, 0
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "expr:"):
			inExpr, alerts = true, alerts+1
			expr = append(expr, strings.TrimPrefix(trimmed, "expr:"))
		case inExpr && (strings.HasPrefix(trimmed, "for:") || strings.HasPrefix(trimmed, "labels:") || strings.HasPrefix(trimmed, "- alert:")):
			inExpr = false
		case inExpr && !strings.HasPrefix(trimmed, "#"):
			expr = append(expr, trimmed)
		}
	}
	for _, name := range queryMetrics(strings.ReplaceAll(strings.Join(expr, " "), "|", " ")) {
		if !exported[name] {
			t.Errorf("an alert queries %s, which the service does not export", name)
		}
	}
	if alerts < 5 {
		t.Errorf("%d alerts, want one per recommended alert (5+)", alerts)
	}
}
