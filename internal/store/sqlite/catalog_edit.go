package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// fields are the values of a catalog row that editors see, by their API
// names, as JSON has them (strings, numbers, booleans and nil for null).
type fields map[string]any

func animeFields(a domain.Anime) fields {
	return fields{"title": a.Title, "slug": a.Slug, "description": value(a.Description), "year": value(a.Year),
		"status": value(a.Status), "poster": value(a.Poster), "is_active": a.Active,
		"source_name": a.SourceName, "source_id": a.SourceID}
}

func episodeFields(e domain.Episode) fields {
	return fields{"anime_id": e.AnimeID, "number": e.Number, "title": value(e.Title),
		"source_episode_id": e.SourceEpisodeID, "is_active": e.Active}
}

func videoFields(v domain.VideoSource) fields {
	return fields{"episode_id": v.EpisodeID, "type": v.Type, "url": v.URL, "source_name": v.SourceName,
		"priority": v.Priority, "is_active": v.Active}
}

// value is what p points to, or nil.
func value[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// diff returns the audit changes from old to new, {field: {old, new}} for
// each field that differs. A created row's old fields are nil, a deleted
// row's new ones, so that a creation lists what is set and a deletion what
// was.
func diff(old, new fields) map[string]any {
	out := map[string]any{}
	for k, v := range new {
		if old[k] != v {
			out[k] = map[string]any{"old": old[k], "new": v}
		}
	}
	for k, v := range old {
		if _, ok := new[k]; !ok && v != nil {
			out[k] = map[string]any{"old": v, "new": nil}
		}
	}
	return out
}

// set replaces *dst with *p, if p is not nil.
func set[T any](dst *T, p *T) {
	if p != nil {
		*dst = *p
	}
}

// change applies an optional change of a nullable field.
func change[T any](dst **T, c domain.Change[T]) {
	if c.Set {
		*dst = c.Value
	}
}

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
