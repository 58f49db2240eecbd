package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestConfigurePgBouncer(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		mode    pgx.QueryExecMode
		timeout string // the statement_timeout startup parameter
	}{
		{"direct", Config{URL: "postgres://h/d"}, pgx.QueryExecModeCacheStatement, "15000"},
		{"pgbouncer", Config{URL: "postgres://h/d", PgBouncer: true}, pgx.QueryExecModeExec, ""},
		{"pgbouncer, mode in the URL", Config{URL: "postgres://h/d?default_query_exec_mode=simple_protocol", PgBouncer: true}, pgx.QueryExecModeSimpleProtocol, ""},
		{"direct, mode in the URL", Config{URL: "postgres://h/d?default_query_exec_mode=exec"}, pgx.QueryExecModeExec, "15000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc, err := pgxpool.ParseConfig(tt.cfg.URL)
			if err != nil {
				t.Fatal(err)
			}
			tt.cfg.StatementTimeout = 15 * time.Second
			configure(pc, tt.cfg)
			if got := pc.ConnConfig.DefaultQueryExecMode; got != tt.mode {
				t.Errorf("exec mode = %v, want %v", got, tt.mode)
			}
			if got := pc.ConnConfig.RuntimeParams["statement_timeout"]; got != tt.timeout {
				t.Errorf("statement_timeout startup parameter = %q, want %q", got, tt.timeout)
			}
		})
	}
}
