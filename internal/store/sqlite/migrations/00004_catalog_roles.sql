-- Catalog editors, the same step as the PostgreSQL one: the permissions to
-- read and change the catalog, a role that holds them besides a user's
-- own, the audit log read by target, and what the editors' dashboard
-- reads: counts that triggers keep as the catalog changes (a count of a
-- whole table would read all of it), per anime and per source name (writes
-- are serialised, so one row per name is no point of contention), and the
-- newest rows by index.

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
-- and its playable sources (active, of its active episodes).
CREATE TABLE anime_stats (
    anime_id          TEXT PRIMARY KEY REFERENCES anime (id) ON DELETE CASCADE,
    is_active         INTEGER NOT NULL,
    episodes          INTEGER NOT NULL DEFAULT 0,
    inactive_episodes INTEGER NOT NULL DEFAULT 0,
    playable          INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
CREATE INDEX anime_stats_unplayable ON anime_stats (anime_id) WHERE is_active = 1 AND playable = 0;

-- The video sources of each source name (a name may come down to 0).
CREATE TABLE source_name_counts (
    source_name TEXT PRIMARY KEY,
    sources     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO anime_stats (anime_id, is_active, episodes, inactive_episodes, playable)
SELECT a.id, a.is_active,
    (SELECT count(*) FROM episodes e WHERE e.anime_id = a.id),
    (SELECT count(*) FROM episodes e WHERE e.anime_id = a.id AND e.is_active = 0),
    (SELECT count(*) FROM episodes e JOIN video_sources v ON v.episode_id = e.id
     WHERE e.anime_id = a.id AND e.is_active = 1 AND v.is_active = 1)
FROM anime a;

INSERT INTO source_name_counts (source_name, sources)
SELECT source_name, count(*) FROM video_sources GROUP BY source_name;

-- +goose StatementBegin
CREATE TRIGGER anime_counted_insert AFTER INSERT ON anime BEGIN
    INSERT INTO anime_stats (anime_id, is_active) VALUES (new.id, new.is_active);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER anime_counted_update AFTER UPDATE OF is_active ON anime WHEN old.is_active IS NOT new.is_active BEGIN
    UPDATE anime_stats SET is_active = new.is_active WHERE anime_id = new.id;
END;
-- +goose StatementEnd

-- New episodes have no sources yet. A changed episode counts only when it
-- moved or its activity changed: it takes its old count away and adds its
-- new one. A deleted one is counted away before the delete, while its
-- sources are still there (their own delete then finds no episode).
-- +goose StatementBegin
CREATE TRIGGER episodes_counted_insert AFTER INSERT ON episodes BEGIN
    UPDATE anime_stats SET episodes = episodes + 1, inactive_episodes = inactive_episodes + (new.is_active = 0)
    WHERE anime_id = new.anime_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER episodes_counted_update AFTER UPDATE OF anime_id, is_active ON episodes
WHEN old.anime_id IS NOT new.anime_id OR old.is_active IS NOT new.is_active BEGIN
    UPDATE anime_stats SET episodes = episodes - 1, inactive_episodes = inactive_episodes - (old.is_active = 0),
        playable = playable - old.is_active * (SELECT count(*) FROM video_sources WHERE episode_id = old.id AND is_active = 1)
    WHERE anime_id = old.anime_id;
    UPDATE anime_stats SET episodes = episodes + 1, inactive_episodes = inactive_episodes + (new.is_active = 0),
        playable = playable + new.is_active * (SELECT count(*) FROM video_sources WHERE episode_id = new.id AND is_active = 1)
    WHERE anime_id = new.anime_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER episodes_counted_delete BEFORE DELETE ON episodes BEGIN
    UPDATE anime_stats SET episodes = episodes - 1, inactive_episodes = inactive_episodes - (old.is_active = 0),
        playable = playable - old.is_active * (SELECT count(*) FROM video_sources WHERE episode_id = old.id AND is_active = 1)
    WHERE anime_id = old.anime_id;
END;
-- +goose StatementEnd

-- A source is playable when it and its episode are active. A changed
-- source counts only when its episode, name or activity changed.
-- +goose StatementBegin
CREATE TRIGGER video_sources_counted_insert AFTER INSERT ON video_sources BEGIN
    UPDATE anime_stats SET playable = playable + 1
    WHERE new.is_active = 1 AND anime_id = (SELECT anime_id FROM episodes WHERE id = new.episode_id AND is_active = 1);
    INSERT INTO source_name_counts (source_name, sources) VALUES (new.source_name, 1)
    ON CONFLICT (source_name) DO UPDATE SET sources = sources + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER video_sources_counted_update AFTER UPDATE OF episode_id, source_name, is_active ON video_sources
WHEN old.episode_id IS NOT new.episode_id OR old.source_name IS NOT new.source_name OR old.is_active IS NOT new.is_active BEGIN
    UPDATE anime_stats SET playable = playable - 1
    WHERE old.is_active = 1 AND anime_id = (SELECT anime_id FROM episodes WHERE id = old.episode_id AND is_active = 1);
    UPDATE anime_stats SET playable = playable + 1
    WHERE new.is_active = 1 AND anime_id = (SELECT anime_id FROM episodes WHERE id = new.episode_id AND is_active = 1);
    UPDATE source_name_counts SET sources = sources - 1 WHERE source_name = old.source_name;
    INSERT INTO source_name_counts (source_name, sources) VALUES (new.source_name, 1)
    ON CONFLICT (source_name) DO UPDATE SET sources = sources + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER video_sources_counted_delete AFTER DELETE ON video_sources BEGIN
    UPDATE anime_stats SET playable = playable - 1
    WHERE old.is_active = 1 AND anime_id = (SELECT anime_id FROM episodes WHERE id = old.episode_id AND is_active = 1);
    UPDATE source_name_counts SET sources = sources - 1 WHERE source_name = old.source_name;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER video_sources_counted_delete;
DROP TRIGGER video_sources_counted_update;
DROP TRIGGER video_sources_counted_insert;
DROP TRIGGER episodes_counted_delete;
DROP TRIGGER episodes_counted_update;
DROP TRIGGER episodes_counted_insert;
DROP TRIGGER anime_counted_update;
DROP TRIGGER anime_counted_insert;
DROP TABLE source_name_counts;
DROP TABLE anime_stats;
DROP INDEX episodes_created;
DROP INDEX anime_created;
DROP INDEX audit_log_target;
DELETE FROM role_permissions
WHERE permission_id IN (SELECT id FROM permissions WHERE code IN ('catalog:read', 'catalog:write'))
    OR role_id IN (SELECT id FROM roles WHERE code = 'editor');
DELETE FROM user_roles WHERE role_id IN (SELECT id FROM roles WHERE code = 'editor');
DELETE FROM roles WHERE code = 'editor';
DELETE FROM permissions WHERE code IN ('catalog:read', 'catalog:write');
