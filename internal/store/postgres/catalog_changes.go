package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// edit runs fn, an editor's change, in a transaction with its audit entry:
// fn returns the id of the row it changed or made (the entry's target when
// it has none yet) and the changes. A failing fn writes nothing; one that
// lost a race (retried) runs again.
func (s *Store) edit(ctx context.Context, now time.Time, audit *domain.AuditEntry,
	fn func(tx pgx.Tx) (id string, changes map[string]any, err error)) error {
	return retried(func() error {
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			id, changes, err := fn(tx)
			if err != nil {
				return err
			}
			if audit != nil && audit.TargetID == "" {
				audit.TargetID = id
			}
			return writeAudit(ctx, tx, audit, changes, now)
		})
		if domain.AsError(err) == nil {
			err = mapErr(err) // the commit's
		}
		return err
	})
}

// checkID fails with KindNotFound and msg when id is not a UUID, which no
// row has (PostgreSQL would refuse to compare it with one).
func checkID(id, msg string) error {
	if !domain.ValidUUID(id) {
		return domain.E(domain.KindNotFound, msg)
	}
	return nil
}

// editErr is mapErr(err) with the client messages of a missing row or
// foreign key (KindNotFound) and of a taken unique key (KindConflict).
func editErr(err error, missing, taken string) error {
	err = mapErr(err)
	switch domain.KindOf(err) {
	case domain.KindNotFound:
		return domain.E(domain.KindNotFound, missing)
	case domain.KindConflict:
		return domain.E(domain.KindConflict, taken)
	}
	return err
}

var errNamesWithoutTitle = errors.New("anime patch: a title needs its names")
