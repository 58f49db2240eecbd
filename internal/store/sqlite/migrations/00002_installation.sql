-- The installation id: made once with the schema, it names this database's
-- data wherever it is kept outside it (every Redis key), so two databases
-- sharing one Redis never read each other's entries, even with equal ids.

-- +goose Up
CREATE TABLE installation (
    singleton INTEGER PRIMARY KEY DEFAULT 1 CHECK (singleton = 1),
    id        TEXT NOT NULL CHECK (length(id) = 32)
) STRICT;
INSERT INTO installation (id) VALUES (lower(hex(randomblob(16))));

-- +goose Down
DROP TABLE installation;
