package postgres_test

import (
	"context"
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/postgres"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
	"github.com/anirohi/anirohi-api/internal/store/storetest"
)

func TestContract(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) domain.Store { return pgtest.Open(t) })
	storetest.RunReplicas(t, func(t *testing.T) (domain.Store, domain.Store) { return pgtest.OpenReplicas(t, false) })
}

// The contract through PgBouncer in transaction mode: no statement may
// rely on a session outliving its transaction.
func TestContractThroughPgBouncer(t *testing.T) {
	pgtest.BouncerURL(t)
	storetest.Run(t, func(t *testing.T) domain.Store { return pgtest.OpenThroughBouncer(t) })
	storetest.RunReplicas(t, func(t *testing.T) (domain.Store, domain.Store) { return pgtest.OpenReplicas(t, true) })
}

func BenchmarkImportCatalog(b *testing.B) {
	pgtest.URL(b)
	storetest.BenchmarkImportCatalog(b, func(b *testing.B) domain.Store { return pgtest.Open(b) })
}

func BenchmarkCatalogDashboard(b *testing.B) {
	pgtest.URL(b)
	storetest.BenchmarkDashboard(b, func(b *testing.B) domain.Store { return analyzed{pgtest.Open(b)} })
}

// analyzed is a store that refreshes the planner's statistics on demand
// (autovacuum may be off), as storetest.BenchmarkDashboard asks after its
// load.
type analyzed struct{ *postgres.Store }

func (s analyzed) Analyze(ctx context.Context) error {
	_, err := s.Pool().Exec(ctx, `ANALYZE`)
	return err
}
