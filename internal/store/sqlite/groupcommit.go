package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// maxBatch caps the saves of one transaction, so that a batch holds the
// writer for a bounded time.
const maxBatch = 128

// errClosed answers the saves made after Close.
var errClosed = domain.Wrap(domain.KindUnavailable, "", errors.New("sqlite store closed"))

// committer runs concurrent progress saves in shared transactions (group
// commit): with synchronous=FULL every commit costs an fsync, and a batch
// pays one instead of one per save. A save is answered only once the
// transaction holding it has committed.
type committer struct {
	db    *sql.DB // the write pool
	inTx  func(ctx context.Context, fn func(*sql.Tx) error) error
	stmts *saveStatements    // prepared at the first batch (the tables exist by then)
	queue chan *progressSave // unbuffered: a save sent is a save taken
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// progressSave is one SaveProgress call waiting for its batch.
type progressSave struct {
	ctx    context.Context
	p      domain.Progress
	now    time.Time
	answer chan saveAnswer // buffered: the committer never waits for a caller
}

type saveAnswer struct {
	saved   domain.Progress
	applied bool
	err     error
}

// startCommitter starts the committer's goroutine on the write pool db,
// whose transactions inTx runs; close stops it.
func startCommitter(db *sql.DB, inTx func(context.Context, func(*sql.Tx) error) error) *committer {
	c := &committer{db: db, inTx: inTx, queue: make(chan *progressSave), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// save hands one save to the committer and waits for its answer. A caller
// whose ctx ends stops waiting: its save is not written if its turn in the
// batch had not come yet, and is committed with the others if it had.
func (c *committer) save(ctx context.Context, p domain.Progress, now time.Time) saveAnswer {
	r := &progressSave{ctx: ctx, p: p, now: now, answer: make(chan saveAnswer, 1)}
	select {
	case c.queue <- r:
	case <-c.stop:
		return saveAnswer{err: errClosed}
	case <-ctx.Done():
		return saveAnswer{err: mapErr(ctx.Err())}
	}
	select {
	case a := <-r.answer:
		return a
	case <-ctx.Done():
		return saveAnswer{err: mapErr(ctx.Err())}
	}
}

// close stops the committer after it has answered the batch it is running;
// saves not taken yet are refused with errClosed. It may be called twice.
func (c *committer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	defer func() {
		if c.stmts != nil {
			c.stmts.close()
		}
	}()
	for {
		select {
		case <-c.stop:
			return
		case first := <-c.queue:
			c.commit(c.take(first))
		}
	}
}

// take returns first and the saves already waiting behind it, at most
// maxBatch. It never waits for more: a lone save goes alone.
func (c *committer) take(first *progressSave) []*progressSave {
	batch := []*progressSave{first}
	for len(batch) < maxBatch {
		select {
		case r := <-c.queue:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commit runs the batch in one transaction and answers every save once it
// has ended. If BEGIN or COMMIT fails, or a save's failure ends the whole
// transaction, every save gets that error.
func (c *committer) commit(batch []*progressSave) {
	// The first caller's ctx without its end: its trace gets the batch's
	// spans, and no caller giving up interrupts the others' statements
	// (SQLite would roll the whole transaction back).
	ctx := context.WithoutCancel(batch[0].ctx)
	answers := make([]saveAnswer, len(batch))
	var err error
	if c.stmts == nil {
		c.stmts, err = prepareSaves(ctx, c.db)
	}
	if err == nil {
		err = c.inTx(ctx, func(tx *sql.Tx) error {
			for i, r := range batch {
				var err error
				if answers[i], err = r.write(ctx, tx, c.stmts); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for i, r := range batch {
		if err != nil {
			answers[i] = saveAnswer{err: err}
		}
		r.answer <- answers[i]
	}
}

// write runs the save in a savepoint of its own, so that its failure undoes
// it alone and becomes its answer. The error returned is the transaction's.
func (r *progressSave) write(ctx context.Context, tx *sql.Tx, st *saveStatements) (saveAnswer, error) {
	if err := r.ctx.Err(); err != nil {
		return saveAnswer{err: mapErr(err)}, nil // its caller has gone: not written
	}
	if err := exec(ctx, tx, st.savepoint); err != nil {
		return saveAnswer{}, err
	}
	var a saveAnswer
	a.saved, a.applied, a.err = saveProgress(ctx, tx, st, r.p, r.now)
	var err error
	if a.err != nil {
		err = exec(ctx, tx, st.rollback)
	}
	if err == nil {
		err = exec(ctx, tx, st.release)
	}
	if err != nil {
		// SQLite ends the whole transaction on some errors (a full disk,
		// an I/O error), taking the savepoint with it.
		return saveAnswer{}, cmp.Or(a.err, err)
	}
	return a, nil
}

// exec runs a prepared statement without arguments in tx.
func exec(ctx context.Context, tx *sql.Tx, st *sql.Stmt) error {
	_, err := tx.StmtContext(ctx, st).ExecContext(ctx)
	return mapErr(err)
}
