-- The anime catalog, the same step as the PostgreSQL one: titles, their
-- episodes and video sources. Ids are UUID text; genre and name lists are
-- JSON arrays; the folded names are indexed by an FTS5 trigram table kept
-- in step by triggers, so a fragment in any script is found.

-- +goose Up
CREATE TABLE anime (
    id                 TEXT PRIMARY KEY,
    title              TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    slug               TEXT NOT NULL CHECK (length(slug) BETWEEN 1 AND 200),
    description        TEXT CHECK (length(description) <= 20000),
    year               INTEGER CHECK (year BETWEEN 1900 AND 2100),
    status             TEXT CHECK (status IN ('ongoing', 'completed', 'upcoming')),
    poster             TEXT CHECK (length(poster) <= 2048),
    source_name        TEXT NOT NULL CHECK (length(source_name) BETWEEN 1 AND 200),
    source_id          TEXT NOT NULL CHECK (length(source_id) BETWEEN 1 AND 200),
    genres             TEXT NOT NULL DEFAULT '[]',
    alternative_titles TEXT NOT NULL DEFAULT '[]',
    is_active          INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    admin_modified     INTEGER NOT NULL DEFAULT 0 CHECK (admin_modified IN (0, 1)),
    title_key          TEXT NOT NULL,
    search_text        TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    CONSTRAINT uq_anime_source UNIQUE (source_name, source_id)
) STRICT;
CREATE UNIQUE INDEX ix_anime_slug ON anime (slug);
CREATE INDEX anime_by_title ON anime (title_key, id);
CREATE INDEX anime_active_by_title ON anime (title_key, id) WHERE is_active = 1;
CREATE INDEX anime_year ON anime (year);
CREATE INDEX anime_updated ON anime (updated_at DESC, id DESC);

CREATE VIRTUAL TABLE anime_fts USING fts5(search_text, content = 'anime', content_rowid = 'rowid', tokenize = 'trigram');
-- +goose StatementBegin
CREATE TRIGGER anime_fts_insert AFTER INSERT ON anime BEGIN
    INSERT INTO anime_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER anime_fts_delete AFTER DELETE ON anime BEGIN
    INSERT INTO anime_fts (anime_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER anime_fts_update AFTER UPDATE OF search_text ON anime BEGIN
    INSERT INTO anime_fts (anime_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO anime_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
-- +goose StatementEnd

-- Every slug an anime has had, its current one included (see PostgreSQL).
CREATE TABLE anime_slugs (
    slug       TEXT PRIMARY KEY,
    anime_id   TEXT NOT NULL REFERENCES anime (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX anime_slugs_anime_id ON anime_slugs (anime_id);

CREATE TABLE anime_genres (
    genre_key TEXT NOT NULL,
    anime_id  TEXT NOT NULL REFERENCES anime (id) ON DELETE CASCADE,
    PRIMARY KEY (genre_key, anime_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX anime_genres_anime_id ON anime_genres (anime_id);

CREATE TABLE episodes (
    id                TEXT PRIMARY KEY,
    anime_id          TEXT NOT NULL REFERENCES anime (id) ON DELETE CASCADE,
    origin_anime_id   TEXT NOT NULL REFERENCES anime (id) ON DELETE CASCADE,
    number            INTEGER NOT NULL CHECK (number BETWEEN 0 AND 100000),
    title             TEXT CHECK (length(title) <= 500),
    source_episode_id TEXT NOT NULL CHECK (length(source_episode_id) BETWEEN 1 AND 200),
    is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    admin_modified    INTEGER NOT NULL DEFAULT 0 CHECK (admin_modified IN (0, 1)),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CONSTRAINT uq_episode_source UNIQUE (origin_anime_id, source_episode_id)
) STRICT;
CREATE INDEX idx_episode_anime_number ON episodes (anime_id, number, id);
CREATE INDEX episodes_source_episode_id ON episodes (source_episode_id);

CREATE TABLE video_sources (
    id             TEXT PRIMARY KEY,
    episode_id     TEXT NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
    type           TEXT NOT NULL CHECK (type IN ('iframe', 'embed', 'm3u8', 'mp4')),
    url            TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    source_name    TEXT NOT NULL CHECK (length(source_name) BETWEEN 1 AND 200),
    priority       INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    admin_modified INTEGER NOT NULL DEFAULT 0 CHECK (admin_modified IN (0, 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CONSTRAINT uq_video_source UNIQUE (episode_id, source_name, url)
) STRICT;
CREATE INDEX idx_video_source_episode_priority ON video_sources (episode_id, priority DESC, id);

-- +goose Down
DROP TABLE video_sources;
DROP TABLE episodes;
DROP TABLE anime_genres;
DROP TABLE anime_slugs;
DROP TRIGGER anime_fts_update;
DROP TRIGGER anime_fts_delete;
DROP TRIGGER anime_fts_insert;
DROP TABLE anime_fts;
DROP TABLE anime;
