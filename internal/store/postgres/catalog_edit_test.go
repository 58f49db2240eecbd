package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// EditCatalogRow implements storetest.CatalogEditor for the tests, until
// the store has an editor's methods.
func (s *Store) EditCatalogRow(ctx context.Context, table, id string, set map[string]any) error {
	if table != "anime" && table != "episodes" && table != "video_sources" {
		return fmt.Errorf("edit catalog row: no table %q", table)
	}
	cols, args := []string{"admin_modified = true"}, []any{id}
	for col, v := range set {
		if !regexp.MustCompile(`^[a-z_]+$`).MatchString(col) {
			return fmt.Errorf("edit catalog row: bad column %q", col)
		}
		args = append(args, v)
		cols = append(cols, col+" = $"+strconv.Itoa(len(args)))
	}
	if _, err := s.pool.Exec(ctx, `UPDATE `+table+` SET `+strings.Join(cols, ", ")+` WHERE id = $1`, args...); err != nil {
		return mapErr(err)
	}
	if slug, ok := set["slug"]; ok && table == "anime" {
		_, err := s.pool.Exec(ctx, `INSERT INTO anime_slugs (slug, anime_id, created_at) VALUES ($1, $2, $3)`, slug, id, time.Now())
		return mapErr(err)
	}
	return nil
}
