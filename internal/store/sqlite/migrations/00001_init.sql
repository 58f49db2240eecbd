-- The whole schema of the service, the same step as the PostgreSQL one.
-- Timestamps are TEXT in one fixed UTC format (2006-01-02T15:04:05.000000Z),
-- so they compare and sort as strings. Booleans are 0/1.

-- +goose Up
CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email           TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    email_key       TEXT NOT NULL,
    hashed_password TEXT NOT NULL,
    is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_email_key ON users (email_key);
CREATE INDEX users_created_at ON users (created_at DESC, id DESC);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    user_agent   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE refresh_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    rotated_at TEXT
) STRICT;
CREATE UNIQUE INDEX refresh_tokens_token_hash ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

-- Users whose auth state (active flag, roles, live sessions) changed. Every
-- replica polls it to drop its cached copies; rows older than a day go.
-- changed_at is the database's clock, in the common format.
CREATE TABLE auth_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
) STRICT;
CREATE INDEX auth_changes_changed_at ON auth_changes (changed_at);

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    code        TEXT NOT NULL UNIQUE,
    description TEXT,
    is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE permissions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    code        TEXT NOT NULL UNIQUE,
    description TEXT,
    resource    TEXT NOT NULL,
    action      TEXT NOT NULL,
    is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT uq_permission_resource_action UNIQUE (resource, action)
) STRICT;

CREATE TABLE user_roles (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id    INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (user_id, role_id)
) STRICT;
CREATE INDEX user_roles_role_id ON user_roles (role_id);

CREATE TABLE role_permissions (
    role_id       INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (role_id, permission_id)
) STRICT;

INSERT INTO roles (name, code, description) VALUES
    ('User', 'user', 'Standard user with basic permissions'),
    ('Admin', 'admin', 'Administrator with full permissions');

INSERT INTO permissions (name, code, resource, action, description) VALUES
    ('Read Library', 'library:read', 'library', 'read', 'Read user library'),
    ('Write Library', 'library:write', 'library', 'write', 'Modify user library'),
    ('Delete Library', 'library:delete', 'library', 'delete', 'Delete library items'),
    ('Read User', 'user:read', 'user', 'read', 'Read user information'),
    ('Write User', 'user:write', 'user', 'write', 'Modify user information'),
    ('Admin Access', 'admin:access', 'admin', 'access', 'Full administrative access');

INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r JOIN permissions p ON r.code = 'admin' OR p.code <> 'admin:access';

CREATE TABLE user_library_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    TEXT NOT NULL,
    title_id    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('watching', 'planned', 'completed', 'dropped')),
    is_favorite INTEGER NOT NULL DEFAULT 0 CHECK (is_favorite IN (0, 1)),
    score       INTEGER CHECK (score BETWEEN 0 AND 10),
    notes       TEXT CHECK (length(notes) <= 2000),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT uq_user_library_provider_title UNIQUE (user_id, provider, title_id)
) STRICT;
CREATE INDEX user_library_items_recent ON user_library_items (user_id, provider, updated_at DESC, id DESC);

-- Progress and history are rewritten every few seconds by every player:
-- no column such a save changes is indexed. Their lists sort one user's
-- rows, found by the unique key's prefix.
CREATE TABLE user_progress (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider          TEXT NOT NULL,
    title_id          TEXT NOT NULL,
    episode_id        TEXT NOT NULL,
    position_seconds  REAL NOT NULL,
    duration_seconds  REAL NOT NULL,
    client_updated_at INTEGER,
    updated_at        TEXT NOT NULL,
    CONSTRAINT uq_user_progress_provider_episode UNIQUE (user_id, provider, episode_id)
) STRICT;

CREATE TABLE user_history (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider         TEXT NOT NULL,
    title_id         TEXT NOT NULL,
    episode_id       TEXT NOT NULL,
    position_seconds REAL,
    watched_at       TEXT NOT NULL,
    CONSTRAINT uq_user_history_provider_episode UNIQUE (user_id, provider, episode_id)
) STRICT;

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    changes     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(changes)),
    trace_id    TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_recent ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, created_at DESC);
CREATE INDEX audit_log_action ON audit_log (action, created_at DESC);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE user_history;
DROP TABLE user_progress;
DROP TABLE user_library_items;
DROP TABLE role_permissions;
DROP TABLE user_roles;
DROP TABLE permissions;
DROP TABLE roles;
DROP TABLE auth_changes;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
