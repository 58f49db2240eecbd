-- The catalog's list generation, the same step as the PostgreSQL one: a
-- number that moves, in the changing transaction, with every change a
-- list's total can see (an anime added or removed, its activity, year,
-- status, source or search text, its genres). A total counted in a
-- snapshot that read generation g holds wherever the generation still
-- reads g (internal/store/listcount).

-- +goose Up
CREATE TABLE catalog_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
) STRICT;
INSERT INTO catalog_generation (id, n) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER anime_listed_insert AFTER INSERT ON anime BEGIN
    UPDATE catalog_generation SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER anime_listed_delete AFTER DELETE ON anime BEGIN
    UPDATE catalog_generation SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER anime_listed_update AFTER UPDATE OF is_active, year, status, source_name, search_text ON anime
WHEN (old.is_active, old.year, old.status, old.source_name, old.search_text) IS NOT (new.is_active, new.year, new.status, new.source_name, new.search_text) BEGIN
    UPDATE catalog_generation SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER anime_genres_listed_insert AFTER INSERT ON anime_genres BEGIN
    UPDATE catalog_generation SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER anime_genres_listed_delete AFTER DELETE ON anime_genres BEGIN
    UPDATE catalog_generation SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER anime_genres_listed_update AFTER UPDATE ON anime_genres BEGIN
    UPDATE catalog_generation SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER anime_genres_listed_update;
DROP TRIGGER anime_genres_listed_delete;
DROP TRIGGER anime_genres_listed_insert;
DROP TRIGGER anime_listed_update;
DROP TRIGGER anime_listed_delete;
DROP TRIGGER anime_listed_insert;
DROP TABLE catalog_generation;
