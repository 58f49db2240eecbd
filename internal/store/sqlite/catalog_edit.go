package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// edit runs fn, an editor's change, in a write transaction with its audit
// entry: fn returns the id of the row it changed or made (the entry's
// target when it has none yet) and the changes. A failing fn writes
// nothing.
func (s *Store) edit(ctx context.Context, now time.Time, audit *domain.AuditEntry,
	fn func(tx *sql.Tx) (id string, changes map[string]any, err error)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		id, changes, err := fn(tx)
		if err != nil {
			return err
		}
		if audit != nil && audit.TargetID == "" {
			audit.TargetID = id
		}
		return writeAudit(ctx, tx, audit, changes, now)
	})
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
