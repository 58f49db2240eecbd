-- Catalog editors: the permissions to read and change the catalog, a role
-- that holds them besides a user's own, the audit log read by target, and
-- what the editors' dashboard reads: per anime, counts that triggers keep
-- as the catalog changes (a count of a whole table would read all of it),
-- and the newest rows by index.

-- +goose Up
INSERT INTO permissions (name, code, resource, action, description) VALUES
    ('Read Catalog', 'catalog:read', 'catalog', 'read', 'Read the catalog as an editor'),
    ('Write Catalog', 'catalog:write', 'catalog', 'write', 'Modify the catalog');

INSERT INTO roles (name, code, description) VALUES
    ('Editor', 'editor', 'Catalog editor with basic user permissions');

INSERT INTO role_permissions (role_id, permission_id)
SELECT e.id, rp.permission_id FROM roles e, role_permissions rp JOIN roles u ON u.id = rp.role_id
WHERE e.code = 'editor' AND u.code = 'user'
UNION
SELECT r.id, p.id FROM roles r, permissions p
WHERE r.code IN ('editor', 'admin') AND p.code IN ('catalog:read', 'catalog:write');

CREATE INDEX audit_log_target ON audit_log (target_type, target_id, created_at DESC, id DESC);

CREATE INDEX anime_created ON anime (created_at DESC, id DESC);
CREATE INDEX episodes_created ON episodes (created_at DESC, id DESC);

-- One row per anime: whether it is active, its episodes, the inactive ones,
-- and its playable sources (active, of its active episodes). Only counts
-- of one anime change together, so concurrent imports of different anime
-- never wait for each other here. The keys are checked at commit: deleting
-- an anime deletes its episodes, whose counts are taken away from a row
-- that is going too.
CREATE TABLE anime_stats (
    anime_id          UUID PRIMARY KEY REFERENCES anime (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    is_active         BOOLEAN NOT NULL,
    episodes          INTEGER NOT NULL DEFAULT 0,
    inactive_episodes INTEGER NOT NULL DEFAULT 0,
    playable          INTEGER NOT NULL DEFAULT 0
) WITH (fillfactor = 70);
CREATE INDEX anime_stats_unplayable ON anime_stats (anime_id) WHERE is_active AND playable = 0;

-- The video sources of an anime's episodes, by source name.
CREATE TABLE anime_source_counts (
    anime_id    UUID NOT NULL REFERENCES anime (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    source_name TEXT NOT NULL,
    sources     INTEGER NOT NULL,
    PRIMARY KEY (anime_id, source_name)
) WITH (fillfactor = 70);

INSERT INTO anime_stats (anime_id, is_active, episodes, inactive_episodes, playable)
SELECT a.id, a.is_active, coalesce(e.n, 0), coalesce(e.inactive, 0), coalesce(p.n, 0)
FROM anime a
LEFT JOIN (SELECT anime_id, count(*) AS n, count(*) FILTER (WHERE NOT is_active) AS inactive
           FROM episodes GROUP BY anime_id) e ON e.anime_id = a.id
LEFT JOIN (SELECT e.anime_id, count(*) AS n FROM episodes e JOIN video_sources v ON v.episode_id = e.id
           WHERE e.is_active AND v.is_active GROUP BY e.anime_id) p ON p.anime_id = a.id;

INSERT INTO anime_source_counts (anime_id, source_name, sources)
SELECT e.anime_id, v.source_name, count(*) FROM video_sources v JOIN episodes e ON e.id = v.episode_id GROUP BY 1, 2;

-- The triggers below add what rows count (times a sign: -1 takes a row's
-- count away), reading only the rows a statement changed and, by key, the
-- rows those belong to. PL/pgSQL keeps the plans it makes the first time,
-- maybe while the tables are small: the counting functions forbid
-- sequential scans, so that those plans find rows by key however large the
-- tables grow, whatever their statistics say.

-- catalog_count_episodes adds what episodes count for their anime: the
-- episode, whether it is inactive, and its sources (by name; the active
-- ones of an active episode are playable).
-- +goose StatementBegin
CREATE FUNCTION catalog_count_episodes(anime_ids UUID[], episode_ids UUID[], active BOOLEAN[], signs INTEGER[])
RETURNS void LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
    WITH e AS (
        SELECT * FROM unnest(anime_ids, episode_ids, active, signs) AS e (anime_id, id, is_active, sign)
    ), v AS (
        SELECT e.anime_id, v.source_name, sum(e.sign) AS sources,
            coalesce(sum(e.sign) FILTER (WHERE e.is_active AND v.is_active), 0) AS playable
        FROM e JOIN video_sources v ON v.episode_id = e.id
        GROUP BY 1, 2
    ), d AS (
        SELECT x.anime_id, sum(x.episodes) AS episodes, sum(x.inactive) AS inactive, sum(x.playable) AS playable
        FROM (SELECT e.anime_id, e.sign AS episodes, CASE WHEN e.is_active THEN 0 ELSE e.sign END AS inactive, 0 AS playable
              FROM e
              UNION ALL
              SELECT v.anime_id, 0, 0, v.playable FROM v) x
        GROUP BY 1
    ), s AS (
        UPDATE anime_stats s SET episodes = s.episodes + d.episodes, inactive_episodes = s.inactive_episodes + d.inactive,
            playable = s.playable + d.playable
        FROM d WHERE s.anime_id = d.anime_id AND (d.episodes, d.inactive, d.playable) <> (0, 0, 0)
    )
    INSERT INTO anime_source_counts AS c (anime_id, source_name, sources)
    SELECT v.anime_id, v.source_name, v.sources FROM v WHERE v.sources <> 0
    ON CONFLICT (anime_id, source_name) DO UPDATE SET sources = c.sources + excluded.sources;
END $$;
-- +goose StatementEnd

-- catalog_count_sources adds what sources count for the anime of their
-- episodes. It locks the episodes (FOR SHARE), so that a concurrent change
-- of an episode's anime or activity, which counts the sources it finds,
-- waits for the ones counted here to be committed, or is seen here.
-- +goose StatementBegin
CREATE FUNCTION catalog_count_sources(episode_ids UUID[], names TEXT[], active BOOLEAN[], signs INTEGER[])
RETURNS void LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
    WITH v AS (
        SELECT * FROM unnest(episode_ids, names, active, signs) AS v (episode_id, source_name, is_active, sign)
    ), e AS (
        SELECT e.id, e.anime_id, e.is_active FROM episodes e WHERE e.id = ANY (episode_ids) FOR SHARE
    ), d AS (
        SELECT e.anime_id, v.source_name, v.sign, v.is_active AND e.is_active AS playable
        FROM v JOIN e ON e.id = v.episode_id
    ), s AS (
        UPDATE anime_stats s SET playable = s.playable + p.n
        FROM (SELECT d.anime_id, sum(d.sign) AS n FROM d WHERE d.playable GROUP BY 1) p
        WHERE s.anime_id = p.anime_id AND p.n <> 0
    )
    INSERT INTO anime_source_counts AS c (anime_id, source_name, sources)
    SELECT d.anime_id, d.source_name, sum(d.sign) FROM d GROUP BY 1, 2 HAVING sum(d.sign) <> 0
    ON CONFLICT (anime_id, source_name) DO UPDATE SET sources = c.sources + excluded.sources;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION anime_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO anime_stats (anime_id, is_active) VALUES (NEW.id, NEW.is_active);
    ELSE
        EXECUTE 'UPDATE anime_stats SET is_active = $1 WHERE anime_id = $2' USING NEW.is_active, NEW.id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER anime_counted_insert AFTER INSERT ON anime
    FOR EACH ROW EXECUTE FUNCTION anime_counted();
CREATE TRIGGER anime_counted_update AFTER UPDATE OF is_active ON anime
    FOR EACH ROW WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active) EXECUTE FUNCTION anime_counted();

-- New episodes have no sources yet. A changed episode counts only when it
-- moved or its activity changed: it takes its old count away and adds its
-- new one. A deleted one is counted away before the delete, while its
-- sources are still there (their own delete then finds no episode).
-- +goose StatementBegin
CREATE FUNCTION episodes_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    anime_ids UUID[];
    ids UUID[];
    active BOOLEAN[];
    signs INTEGER[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(anime_id), array_agg(id), array_agg(is_active), array_agg(1)
        INTO anime_ids, ids, active, signs FROM new_rows;
        PERFORM catalog_count_episodes(anime_ids, ids, active, signs);
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM catalog_count_episodes(ARRAY[OLD.anime_id], ARRAY[OLD.id], ARRAY[OLD.is_active], ARRAY[-1]);
        RETURN OLD;
    END IF;
    SELECT array_agg(x.anime_id), array_agg(x.id), array_agg(x.is_active), array_agg(x.sign)
    INTO anime_ids, ids, active, signs
    FROM (SELECT o.anime_id, o.id, o.is_active, n.anime_id AS new_anime, n.is_active AS new_active
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          WHERE (o.anime_id, o.is_active) IS DISTINCT FROM (n.anime_id, n.is_active)) c,
         LATERAL (VALUES (c.anime_id, c.id, c.is_active, -1), (c.new_anime, c.id, c.new_active, 1)) AS x (anime_id, id, is_active, sign);
    IF ids IS NOT NULL THEN
        PERFORM catalog_count_episodes(anime_ids, ids, active, signs);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER episodes_counted_insert AFTER INSERT ON episodes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION episodes_counted();
CREATE TRIGGER episodes_counted_update AFTER UPDATE ON episodes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION episodes_counted();
CREATE TRIGGER episodes_counted_delete BEFORE DELETE ON episodes
    FOR EACH ROW EXECUTE FUNCTION episodes_counted();

-- A changed source counts only when its episode, name or activity changed.
-- +goose StatementBegin
CREATE FUNCTION video_sources_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids UUID[];
    names TEXT[];
    active BOOLEAN[];
    signs INTEGER[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(episode_id), array_agg(source_name), array_agg(is_active), array_agg(1)
        INTO ids, names, active, signs FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(episode_id), array_agg(source_name), array_agg(is_active), array_agg(-1)
        INTO ids, names, active, signs FROM old_rows;
    ELSE
        SELECT array_agg(x.episode_id), array_agg(x.source_name), array_agg(x.is_active), array_agg(x.sign)
        INTO ids, names, active, signs
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.episode_id, o.source_name, o.is_active, -1), (n.episode_id, n.source_name, n.is_active, 1))
                 AS x (episode_id, source_name, is_active, sign)
        WHERE (o.episode_id, o.source_name, o.is_active) IS DISTINCT FROM (n.episode_id, n.source_name, n.is_active);
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM catalog_count_sources(ids, names, active, signs);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER video_sources_counted_insert AFTER INSERT ON video_sources
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION video_sources_counted();
CREATE TRIGGER video_sources_counted_update AFTER UPDATE ON video_sources
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION video_sources_counted();
CREATE TRIGGER video_sources_counted_delete AFTER DELETE ON video_sources
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION video_sources_counted();

-- +goose Down
DROP TRIGGER video_sources_counted_delete ON video_sources;
DROP TRIGGER video_sources_counted_update ON video_sources;
DROP TRIGGER video_sources_counted_insert ON video_sources;
DROP FUNCTION video_sources_counted();
DROP TRIGGER episodes_counted_delete ON episodes;
DROP TRIGGER episodes_counted_update ON episodes;
DROP TRIGGER episodes_counted_insert ON episodes;
DROP FUNCTION episodes_counted();
DROP TRIGGER anime_counted_update ON anime;
DROP TRIGGER anime_counted_insert ON anime;
DROP FUNCTION anime_counted();
DROP FUNCTION catalog_count_sources(UUID[], TEXT[], BOOLEAN[], INTEGER[]);
DROP FUNCTION catalog_count_episodes(UUID[], UUID[], BOOLEAN[], INTEGER[]);
DROP TABLE anime_source_counts;
DROP TABLE anime_stats;
DROP INDEX episodes_created;
DROP INDEX anime_created;
DROP INDEX audit_log_target;
DELETE FROM roles WHERE code = 'editor';
DELETE FROM permissions WHERE code IN ('catalog:read', 'catalog:write');
