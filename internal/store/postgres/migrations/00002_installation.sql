-- The installation id: made once with the schema, it names this database's
-- data wherever it is kept outside it (every Redis key), so two databases
-- sharing one Redis never read each other's entries, even with equal ids.

-- +goose Up
CREATE TABLE installation (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    id        TEXT NOT NULL CHECK (id ~ '^[0-9a-f]{32}$')
);
INSERT INTO installation (id) VALUES (replace(gen_random_uuid()::text, '-', ''));

-- +goose Down
DROP TABLE installation;
