package sqlite

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// EditCatalogRow implements storetest.CatalogEditor for the tests, until
// the store has an editor's methods.
func (s *Store) EditCatalogRow(ctx context.Context, table, id string, set map[string]any) error {
	if table != "anime" && table != "episodes" && table != "video_sources" {
		return fmt.Errorf("edit catalog row: no table %q", table)
	}
	cols, args := []string{"admin_modified = 1"}, []any{}
	for col, v := range set {
		if !regexp.MustCompile(`^[a-z_]+$`).MatchString(col) {
			return fmt.Errorf("edit catalog row: bad column %q", col)
		}
		cols, args = append(cols, col+" = ?"), append(args, v)
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE `+table+` SET `+strings.Join(cols, ", ")+` WHERE id = ?`, append(args, id)...); err != nil {
		return mapErr(err)
	}
	if slug, ok := set["slug"]; ok && table == "anime" {
		_, err := s.write.ExecContext(ctx, `INSERT INTO anime_slugs (slug, anime_id, created_at) VALUES (?, ?, ?)`, slug, id, ts(time.Now()))
		return mapErr(err)
	}
	return nil
}
