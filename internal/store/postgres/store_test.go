package postgres_test

import (
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
	"github.com/anirohi/anirohi-api/internal/store/storetest"
)

func TestContract(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) domain.Store { return pgtest.Open(t) })
}

func BenchmarkImportCatalog(b *testing.B) {
	pgtest.URL(b)
	storetest.BenchmarkImportCatalog(b, func(b *testing.B) domain.Store { return pgtest.Open(b) })
}
