-- The anime catalog: titles, their episodes and video sources, fed by the
-- parser through the internal API and corrected by editors. Columns and
-- keys follow the upstream service's catalog, plus what lists and search
-- need: a folded title (the order of lists), the folded names as one
-- search text (trigram-indexed, so a fragment in any script is found),
-- folded genres, every slug an anime ever had, and the anime an episode
-- was imported under (the parser's key, kept when an editor moves it).

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE anime (
    id                 UUID PRIMARY KEY,
    title              TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    slug               TEXT NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 200),
    description        TEXT CHECK (length(description) <= 20000),
    year               INTEGER CHECK (year BETWEEN 1900 AND 2100),
    status             TEXT CHECK (status IN ('ongoing', 'completed', 'upcoming')),
    poster             TEXT CHECK (length(poster) <= 2048),
    source_name        TEXT NOT NULL CHECK (length(source_name) BETWEEN 1 AND 200),
    source_id          TEXT NOT NULL CHECK (length(source_id) BETWEEN 1 AND 200),
    genres             TEXT[] NOT NULL DEFAULT '{}',
    alternative_titles TEXT[] NOT NULL DEFAULT '{}',
    is_active          BOOLEAN NOT NULL DEFAULT TRUE,
    admin_modified     BOOLEAN NOT NULL DEFAULT FALSE,
    title_key          TEXT NOT NULL,
    search_text        TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT uq_anime_source UNIQUE (source_name, source_id)
);
CREATE UNIQUE INDEX ix_anime_slug ON anime (slug);
CREATE INDEX anime_by_title ON anime (title_key COLLATE "C", id);
CREATE INDEX anime_active_by_title ON anime (title_key COLLATE "C", id) WHERE is_active;
CREATE INDEX anime_search ON anime USING gin (search_text gin_trgm_ops);
CREATE INDEX anime_year ON anime (year);
CREATE INDEX anime_updated ON anime (updated_at DESC, id DESC);

-- Every slug an anime has had, its current one included: a slug is never
-- given to another anime, so an old link (or a library entry keyed by it)
-- never leads elsewhere.
CREATE TABLE anime_slugs (
    slug       TEXT PRIMARY KEY,
    anime_id   UUID NOT NULL REFERENCES anime (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX anime_slugs_anime_id ON anime_slugs (anime_id);

CREATE TABLE anime_genres (
    genre_key TEXT NOT NULL,
    anime_id  UUID NOT NULL REFERENCES anime (id) ON DELETE CASCADE,
    PRIMARY KEY (genre_key, anime_id)
);
CREATE INDEX anime_genres_anime_id ON anime_genres (anime_id);

CREATE TABLE episodes (
    id                UUID PRIMARY KEY,
    anime_id          UUID NOT NULL REFERENCES anime (id) ON DELETE CASCADE,
    origin_anime_id   UUID NOT NULL REFERENCES anime (id) ON DELETE CASCADE,
    number            INTEGER NOT NULL CHECK (number BETWEEN 0 AND 100000),
    title             TEXT CHECK (length(title) <= 500),
    source_episode_id TEXT NOT NULL CHECK (length(source_episode_id) BETWEEN 1 AND 200),
    is_active         BOOLEAN NOT NULL DEFAULT TRUE,
    admin_modified    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    CONSTRAINT uq_episode_source UNIQUE (origin_anime_id, source_episode_id)
);
CREATE INDEX idx_episode_anime_number ON episodes (anime_id, number, id);
CREATE INDEX episodes_source_episode_id ON episodes (source_episode_id);

CREATE TABLE video_sources (
    id             UUID PRIMARY KEY,
    episode_id     UUID NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
    type           TEXT NOT NULL CHECK (type IN ('iframe', 'embed', 'm3u8', 'mp4')),
    url            TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    source_name    TEXT NOT NULL CHECK (length(source_name) BETWEEN 1 AND 200),
    priority       INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
    is_active      BOOLEAN NOT NULL DEFAULT TRUE,
    admin_modified BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT uq_video_source UNIQUE (episode_id, source_name, url)
);
CREATE INDEX idx_video_source_episode_priority ON video_sources (episode_id, priority DESC, id);

-- +goose Down
DROP TABLE video_sources;
DROP TABLE episodes;
DROP TABLE anime_genres;
DROP TABLE anime_slugs;
DROP TABLE anime;
