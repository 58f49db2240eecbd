package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/catalogdiff"
)

const animeNotFound = "Anime not found"

// AdminAnimeList implements domain.CatalogAdminStore with the public
// list's search.
func (s *Store) AdminAnimeList(ctx context.Context, q domain.AdminAnimeQuery) ([]domain.Anime, int, error) {
	f := &animeFilter{}
	if q.Active != nil {
		f.add("a.is_active = ?", *q.Active)
	}
	if q.SourceName != "" {
		f.add("a.source_name = ?", q.SourceName)
	}
	f.search(q.Search)
	list, total, err := s.pageAnime(ctx, f, "a.updated_at DESC, a.id DESC", nil, q.Limit, q.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("admin anime list: %w", err)
	}
	return list, total, nil
}

// AnimeByID implements domain.CatalogAdminStore.
func (s *Store) AnimeByID(ctx context.Context, id string) (domain.Anime, error) {
	a, err := animeByID(ctx, s.read, id)
	if err != nil {
		return domain.Anime{}, fmt.Errorf("anime by id: %w", err)
	}
	return a, nil
}

func animeByID(ctx context.Context, db querier, id string) (domain.Anime, error) {
	a, err := scanAnime(db.QueryRowContext(ctx, `SELECT `+animeColumns+` FROM anime a WHERE a.id = ?`, id))
	if err != nil {
		return domain.Anime{}, notFound(err, animeNotFound)
	}
	return a, nil
}

// CreateAnime implements domain.CatalogAdminStore as ImportAnime makes a
// new anime (its Episodes too, as the parser's).
func (s *Store) CreateAnime(ctx context.Context, a domain.AnimeImport, exactSlug bool, now time.Time, audit *domain.AuditEntry) (domain.Anime, error) {
	var out domain.Anime
	err := s.edit(ctx, now, audit, func(tx *sql.Tx) (string, map[string]any, error) {
		stored, err := storedAnime(ctx, tx, a.SourceName, a.SourceID)
		if err != nil {
			return "", nil, err
		}
		if stored != nil {
			return "", nil, domain.E(domain.KindConflict, "Anime already exists: "+a.SourceName+"/"+a.SourceID)
		}
		slug := a.SlugBase
		if exactSlug {
			err = claimSlug(ctx, tx, "", slug)
		} else {
			slug, err = freeSlug(ctx, tx, a.SlugBase)
		}
		if err != nil {
			return "", nil, err
		}
		if err := insertAnimeRow(ctx, tx, a, catalogdiff.FieldsOf(a, nil), slug, true, now); err != nil {
			return "", nil, err
		}
		if _, err := importEpisodes(ctx, tx, a.NewID, a.Episodes, true, now); err != nil {
			return "", nil, err
		}
		if out, err = animeByID(ctx, tx, a.NewID); err != nil {
			return "", nil, err
		}
		return out.ID, catalogdiff.Diff(nil, catalogdiff.AnimeValues(out)), nil
	})
	if err != nil {
		return domain.Anime{}, fmt.Errorf("create anime: %w", err)
	}
	return out, nil
}

// UpdateAnime implements domain.CatalogAdminStore. The folded names are
// written only with a new title, and the search index follows them (a
// trigger).
func (s *Store) UpdateAnime(ctx context.Context, id string, p domain.AnimePatch, now time.Time, audit *domain.AuditEntry) (domain.Anime, error) {
	if p.Title != nil && p.Names == nil {
		return domain.Anime{}, errNamesWithoutTitle
	}
	var out domain.Anime
	err := s.edit(ctx, now, audit, func(tx *sql.Tx) (string, map[string]any, error) {
		old, err := animeByID(ctx, tx, id)
		if err != nil {
			return "", nil, err
		}
		out = catalogdiff.PatchAnime(old, p)
		changes := catalogdiff.Diff(catalogdiff.AnimeValues(old), catalogdiff.AnimeValues(out))
		if len(changes) == 0 {
			return id, changes, nil
		}
		if out.Slug != old.Slug {
			if err := claimSlug(ctx, tx, id, out.Slug); err != nil {
				return "", nil, err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO anime_slugs (slug, anime_id, created_at) VALUES (?, ?, ?)
				ON CONFLICT (slug) DO NOTHING`, out.Slug, id, ts(now)); err != nil {
				return "", nil, mapErr(err)
			}
		}
		names, args := "", []any{}
		if out.Title != old.Title {
			names, args = "title_key = ?, search_text = ?, ", []any{p.Names.TitleKey, p.Names.Search}
		}
		args = append(args, out.Title, out.Slug, out.Description, out.Year, out.Status, out.Poster, out.Active, ts(now), id)
		if _, err := tx.ExecContext(ctx, `UPDATE anime SET `+names+`title = ?, slug = ?, description = ?, year = ?,
			status = ?, poster = ?, is_active = ?, admin_modified = 1, updated_at = ? WHERE id = ?`, args...); err != nil {
			return "", nil, mapErr(err)
		}
		out, err = animeByID(ctx, tx, id)
		return id, changes, err
	})
	if err != nil {
		return domain.Anime{}, fmt.Errorf("update anime: %w", err)
	}
	return out, nil
}

// claimSlug fails with KindConflict when slug is or was the slug of an
// anime other than animeID ("" for a new anime). Writes are serialised,
// so nobody takes it before the transaction ends.
func claimSlug(ctx context.Context, tx *sql.Tx, animeID, slug string) error {
	var owner string
	switch err := tx.QueryRowContext(ctx, `SELECT anime_id FROM anime_slugs WHERE slug = ?`, slug).Scan(&owner); {
	case err == sql.ErrNoRows:
		return nil
	case err != nil:
		return mapErr(err)
	case owner != animeID:
		return domain.E(domain.KindConflict, "Slug already in use: "+slug)
	}
	return nil
}
