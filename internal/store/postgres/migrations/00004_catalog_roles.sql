-- Catalog editors: the permissions to read and change the catalog, a role
-- that holds them besides a user's own, the audit log read by target, and
-- the indexes of the editors' dashboard.

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

-- +goose Down
DROP INDEX audit_log_target;
DELETE FROM roles WHERE code = 'editor';
DELETE FROM permissions WHERE code IN ('catalog:read', 'catalog:write');
