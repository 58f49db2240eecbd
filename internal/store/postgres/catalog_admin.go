package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/store/catalogdiff"
)

const animeNotFound = "Anime not found"

// AdminAnimeList implements domain.CatalogAdminStore with the public
// list's search.
func (s *Store) AdminAnimeList(ctx context.Context, q domain.AdminAnimeQuery) ([]domain.Anime, int, error) {
	f := &animeFilter{}
	if q.Active != nil {
		f.add("a.is_active = " + f.arg(*q.Active))
	}
	if q.SourceName != "" {
		f.add("a.source_name = " + f.arg(q.SourceName))
	}
	f.search(q.Search)
	list, total, err := s.pageAnime(ctx, f, len(f.args), "a.updated_at DESC, a.id DESC", q.Limit, q.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("admin anime list: %w", err)
	}
	return list, total, nil
}

// AnimeByID implements domain.CatalogAdminStore.
func (s *Store) AnimeByID(ctx context.Context, id string) (domain.Anime, error) {
	if err := checkID(id, animeNotFound); err != nil {
		return domain.Anime{}, err
	}
	a, err := scanAnime(s.pool.QueryRow(ctx, `SELECT `+animeColumns+` FROM anime a WHERE a.id = $1`, id))
	if err != nil {
		return domain.Anime{}, fmt.Errorf("anime by id: %w", notFound(err, animeNotFound))
	}
	return a, nil
}

// CreateAnime implements domain.CatalogAdminStore as ImportAnime makes a
// new anime (its Episodes too, as the parser's), retried when it loses a
// race for its source id or slug.
func (s *Store) CreateAnime(ctx context.Context, a domain.AnimeImport, exactSlug bool, now time.Time, audit *domain.AuditEntry) (domain.Anime, error) {
	var out domain.Anime
	err := retried(func() (err error) {
		out, err = s.createAnime(ctx, a, exactSlug, now, audit)
		return err
	})
	switch uniqueViolation(err) {
	case "":
	case "uq_anime_source":
		err = sourceTaken(a)
	default:
		err = slugTaken(a.SlugBase)
	}
	if err != nil {
		return domain.Anime{}, fmt.Errorf("create anime: %w", err)
	}
	return out, nil
}

func (s *Store) createAnime(ctx context.Context, a domain.AnimeImport, exactSlug bool, now time.Time, audit *domain.AuditEntry) (domain.Anime, error) {
	var out domain.Anime
	err := s.beginRead(ctx, a.SourceName, a.SourceID, false, a.SlugBase, func(tx pgx.Tx, st stored) error {
		if st.anime != nil {
			return sourceTaken(a)
		}
		slug, err := newSlug(ctx, tx, st, a.SlugBase, exactSlug)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		queueInsertAnime(b, a, catalogdiff.FieldsOf(a, nil), slug, true, now)
		queueEpisodes(b, a.NewID, catalogdiff.Episodes(a.Episodes, nil), now)
		b.Queue(`SELECT `+animeColumns+` FROM anime a WHERE a.id = $1`, a.NewID).QueryRow(func(row pgx.Row) (err error) {
			out, err = scanAnime(row)
			return err
		})
		if err := sendBatch(ctx, tx, b); err != nil {
			return err
		}
		if audit != nil && audit.TargetID == "" {
			audit.TargetID = out.ID
		}
		return writeAudit(ctx, tx, audit, catalogdiff.Diff(nil, catalogdiff.AnimeValues(out)), now)
	})
	return out, err
}

func sourceTaken(a domain.AnimeImport) error {
	return domain.E(domain.KindConflict, "Anime already exists: "+a.SourceName+"/"+a.SourceID)
}

func slugTaken(slug string) error { return domain.E(domain.KindConflict, "Slug already in use: "+slug) }

// UpdateAnime implements domain.CatalogAdminStore.
func (s *Store) UpdateAnime(ctx context.Context, id string, p domain.AnimePatch, now time.Time, audit *domain.AuditEntry) (domain.Anime, error) {
	if p.Title != nil && p.Names == nil {
		return domain.Anime{}, errNamesWithoutTitle
	}
	var out domain.Anime
	err := s.edit(ctx, now, audit, func(tx pgx.Tx) (string, map[string]any, error) {
		if err := checkID(id, animeNotFound); err != nil {
			return "", nil, err
		}
		old, err := scanAnime(tx.QueryRow(ctx, `SELECT `+animeColumns+` FROM anime a WHERE a.id = $1 FOR UPDATE`, id))
		if err != nil {
			return "", nil, notFound(err, animeNotFound)
		}
		out = catalogdiff.PatchAnime(old, p)
		changes := catalogdiff.Diff(catalogdiff.AnimeValues(old), catalogdiff.AnimeValues(out))
		if len(changes) == 0 {
			return id, changes, nil
		}
		if out.Slug != old.Slug {
			if err := claimSlug(ctx, tx, id, out.Slug, now); err != nil {
				return "", nil, err
			}
		}
		var titleKey, search *string // nil keeps the row's
		if out.Title != old.Title {
			titleKey, search = &p.Names.TitleKey, &p.Names.Search
		}
		out, err = scanAnime(tx.QueryRow(ctx, `
			UPDATE anime AS a SET title = $2, slug = $3, description = $4, year = $5, status = $6, poster = $7,
				is_active = $8, title_key = coalesce($9, title_key), search_text = coalesce($10, search_text),
				admin_modified = true, updated_at = $11
			WHERE a.id = $1
			RETURNING `+animeColumns,
			id, out.Title, out.Slug, out.Description, out.Year, out.Status, out.Poster, out.Active,
			titleKey, search, now))
		return id, changes, err
	})
	if err != nil {
		return domain.Anime{}, fmt.Errorf("update anime: %w", err)
	}
	return out, nil
}

// claimSlug records slug among the anime's slugs (it may be a former one
// of its own), failing with KindConflict when it is or was another
// anime's. The anime's row is locked, so only another anime can race for
// the slug: a row it inserted meanwhile is neither inserted nor seen here,
// and that is a conflict too.
func claimSlug(ctx context.Context, tx pgx.Tx, animeID, slug string, now time.Time) error {
	var owner string
	err := tx.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO anime_slugs (slug, anime_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (slug) DO NOTHING
			RETURNING anime_id
		)
		SELECT anime_id FROM ins UNION ALL SELECT anime_id FROM anime_slugs WHERE slug = $1`,
		slug, animeID, now).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && owner != animeID {
		return slugTaken(slug)
	}
	return mapErr(err)
}
