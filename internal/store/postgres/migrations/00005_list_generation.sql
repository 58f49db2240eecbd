-- The catalog's list generation: a number that moves, in the changing
-- transaction, with every change a list's total can see (an anime added or
-- removed, its activity, year, status, source or search text, its genres).
-- A total counted in a snapshot that read generation g holds wherever the
-- generation still reads g, so replicas remember totals and skip the count
-- (internal/store/listcount). The triggers are deferred: the row is locked
-- once per transaction, at its commit, so concurrent imports wait on each
-- other only while they commit.

-- +goose Up
CREATE TABLE catalog_generation (
    id BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    n  BIGINT NOT NULL
);
INSERT INTO catalog_generation (n) VALUES (0);

-- +goose StatementBegin
CREATE FUNCTION catalog_generation_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('anirohi.generation_moved', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('anirohi.generation_moved', 'on', true);
        UPDATE catalog_generation SET n = n + 1;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER anime_listed_insert_delete AFTER INSERT OR DELETE ON anime
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalog_generation_move();
CREATE CONSTRAINT TRIGGER anime_listed_update AFTER UPDATE OF is_active, year, status, source_name, search_text ON anime
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.is_active, OLD.year, OLD.status, OLD.source_name, OLD.search_text) IS DISTINCT FROM (NEW.is_active, NEW.year, NEW.status, NEW.source_name, NEW.search_text))
    EXECUTE FUNCTION catalog_generation_move();
CREATE CONSTRAINT TRIGGER anime_genres_listed AFTER INSERT OR UPDATE OR DELETE ON anime_genres
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalog_generation_move();

-- +goose Down
DROP TRIGGER anime_genres_listed ON anime_genres;
DROP TRIGGER anime_listed_update ON anime;
DROP TRIGGER anime_listed_insert_delete ON anime;
DROP FUNCTION catalog_generation_move();
DROP TABLE catalog_generation;
