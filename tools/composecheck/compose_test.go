// Package composecheck checks docker-compose.yml without a Docker engine:
// compose-go (the library docker compose itself uses) loads and resolves
// it, and the tests hold it to the deployment rules. It is a module of its
// own, so that compose-go stays out of the service's dependencies.
package composecheck

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const root = "../.."

// secrets are what .env.example leaves empty on purpose.
var secrets = []string{"SECRET_KEY=check-secret", "POSTGRES_PASSWORD=check-password", "GRAFANA_ADMIN_PASSWORD=check-grafana"}

func load(t *testing.T, env []string, profiles ...string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithEnvFiles(filepath.Join(root, ".env.example")), cli.WithDotEnv,
		cli.WithEnv(env), cli.WithName("anirohi"), cli.WithResolvedPaths(true), cli.WithProfiles(profiles))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

func mustLoad(t *testing.T) *types.Project {
	t.Helper()
	p, err := load(t, secrets)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("service %s: %v", name, err)
	}
	return s
}

func TestStackHasEveryService(t *testing.T) {
	p := mustLoad(t)
	for _, name := range []string{"api", "migrate", "postgres", "redis", "prometheus", "grafana", "jaeger"} {
		service(t, p, name)
	}
}

func TestAPIWaitsForHealthyDependencies(t *testing.T) {
	p := mustLoad(t)
	api := service(t, p, "api")
	want := map[string]string{
		"postgres": types.ServiceConditionHealthy,
		"redis":    types.ServiceConditionHealthy,
		"migrate":  types.ServiceConditionCompletedSuccessfully,
	}
	for dep, cond := range want {
		if got := api.DependsOn[dep].Condition; got != cond {
			t.Errorf("api depends on %s with %q, want %q", dep, got, cond)
		}
	}
	for dep, d := range api.DependsOn {
		if d.Condition == types.ServiceConditionHealthy && d.Required {
			if s := service(t, p, dep); s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
				t.Errorf("api waits for %s to be healthy, but it has no healthcheck", dep)
			}
		}
	}
	if hc := api.HealthCheck; hc == nil || strings.Join(hc.Test, " ") != "CMD /anirohi healthcheck" {
		t.Errorf("api healthcheck = %+v, want the binary's own healthcheck", hc)
	}
	if m := service(t, p, "migrate"); strings.Join(m.Command, " ") != "migrate up" || m.DependsOn["postgres"].Condition != types.ServiceConditionHealthy {
		t.Errorf("migrate = %v depending on %+v", m.Command, m.DependsOn)
	}
	if pg := service(t, p, "postgres"); !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
		t.Errorf("postgres healthcheck = %v, want pg_isready", pg.HealthCheck.Test)
	}
}

func TestDataStoresAreNotPublished(t *testing.T) {
	p := mustLoad(t)
	for _, name := range []string{"postgres", "redis"} {
		if s := service(t, p, name); len(s.Ports) > 0 {
			t.Errorf("%s publishes %v to the host", name, s.Ports)
		}
	}
	pg := service(t, p, "postgres")
	if len(pg.Volumes) == 0 || pg.Volumes[0].Type != types.VolumeTypeVolume || pg.Volumes[0].Source != "postgres-data" {
		t.Errorf("postgres volumes = %+v, want the named volume postgres-data", pg.Volumes)
	}
	if !strings.HasPrefix(pg.Image, "postgres:16") || !strings.HasPrefix(service(t, p, "redis").Image, "redis:7") {
		t.Error("postgres must be 16 and redis 7")
	}
}

// Credentials come from .env: the compose file holds none, and refuses to
// start without them.
func TestCredentialsComeFromEnv(t *testing.T) {
	p := mustLoad(t)
	if got := *service(t, p, "postgres").Environment["POSTGRES_PASSWORD"]; got != "check-password" {
		t.Errorf("POSTGRES_PASSWORD = %q, want the value from the environment", got)
	}
	if got := *service(t, p, "api").Environment["SECRET_KEY"]; got != "check-secret" {
		t.Errorf("api SECRET_KEY = %q, want the value from the environment", got)
	}
	if dbURL := *service(t, p, "api").Environment["DATABASE_URL"]; !strings.Contains(dbURL, "check-password@postgres:5432") {
		t.Errorf("api DATABASE_URL = %q, want it built from the environment", dbURL)
	}
	for _, missing := range []string{"SECRET_KEY", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} {
		env := slices.DeleteFunc(slices.Clone(secrets), func(kv string) bool { return strings.HasPrefix(kv, missing+"=") })
		if _, err := load(t, env); err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s the stack loads (%v); it must refuse", missing, err)
		}
	}
}

func TestObservabilityIsWired(t *testing.T) {
	p := mustLoad(t)
	mounts := func(name string) []string {
		var out []string
		for _, v := range service(t, p, name).Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s mounts %s, which does not exist", name, v.Source)
				}
				out = append(out, v.Target)
			}
		}
		return out
	}
	if m := mounts("prometheus"); !slices.Contains(m, "/etc/prometheus/alerts.yml") || !slices.Contains(m, "/etc/prometheus/prometheus.yml") {
		t.Errorf("prometheus mounts %v, want its config and the alert rules", m)
	}
	if m := mounts("grafana"); !slices.Contains(m, "/etc/grafana/provisioning") || !slices.Contains(m, "/var/lib/grafana/dashboards") {
		t.Errorf("grafana mounts %v, want the provisioning and the dashboards", m)
	}
	api := service(t, p, "api")
	if *api.Environment["TRACING_ENABLED"] != "true" || *api.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] != "http://jaeger:4318" {
		t.Errorf("api does not send traces to the collector: %v", api.Environment)
	}
}

// PgBouncer is optional (a profile), pinned, in transaction mode, and the
// API reaches it only when told to; migrations always go to postgres.
func TestPgBouncerProfile(t *testing.T) {
	if _, err := mustLoad(t).GetService("pgbouncer"); err == nil {
		t.Error("pgbouncer runs without its profile")
	}
	env := append(slices.Clone(secrets), "API_DB_HOST=pgbouncer:6432", "DB_PGBOUNCER=true")
	p, err := load(t, env, "pgbouncer")
	if err != nil {
		t.Fatalf("docker-compose.yml with the pgbouncer profile does not load: %v", err)
	}
	pgb := service(t, p, "pgbouncer")
	if name, tag, _ := strings.Cut(pgb.Image, ":"); name != "edoburu/pgbouncer" || tag == "" || tag == "latest" {
		t.Errorf("pgbouncer image %q, want a pinned edoburu/pgbouncer tag", pgb.Image)
	}
	if len(pgb.Ports) > 0 || pgb.HealthCheck == nil || pgb.DependsOn["postgres"].Condition != types.ServiceConditionHealthy {
		t.Errorf("pgbouncer: ports %v, healthcheck %+v, depends on %+v; want unpublished, checked, after a healthy postgres", pgb.Ports, pgb.HealthCheck, pgb.DependsOn)
	}
	if len(pgb.Volumes) != 1 || pgb.Volumes[0].Target != "/etc/pgbouncer/pgbouncer.ini" {
		t.Fatalf("pgbouncer volumes = %+v, want its pgbouncer.ini", pgb.Volumes)
	}
	ini, err := os.ReadFile(pgb.Volumes[0].Source)
	if err != nil || !strings.Contains(string(ini), "pool_mode = transaction") || !strings.Contains(string(ini), "listen_port = 6432") {
		t.Errorf("%s (%v) does not pool transactions on 6432", pgb.Volumes[0].Source, err)
	}
	api, migrate := service(t, p, "api"), service(t, p, "migrate")
	if url := *api.Environment["DATABASE_URL"]; !strings.Contains(url, "@pgbouncer:6432/") || *api.Environment["DB_PGBOUNCER"] != "true" {
		t.Errorf("api DATABASE_URL %q, DB_PGBOUNCER %q: want PgBouncer", url, *api.Environment["DB_PGBOUNCER"])
	}
	if url := *migrate.Environment["DATABASE_URL"]; !strings.Contains(url, "@postgres:5432/") || *migrate.Environment["DB_PGBOUNCER"] != "false" {
		t.Errorf("migrate DATABASE_URL %q, DB_PGBOUNCER %q: want postgres itself", url, *migrate.Environment["DB_PGBOUNCER"])
	}
	if d := api.DependsOn["pgbouncer"]; d.Condition != types.ServiceConditionHealthy || d.Required {
		t.Errorf("api depends on pgbouncer with %+v, want healthy but not required", d)
	}
}
