-- 009: scope keys. Payloads of every scope but the site are sealed under
-- a key of their scope before they are signed (see scopekeys.go).
-- events.opened is such a payload opened on this device, sealed at rest
-- like the row; NULL for the site's clear payloads, and for sealed ones
-- this device cannot (yet) read, which are listed in unread by the key
-- that opens them.
ALTER TABLE events ADD COLUMN opened BLOB;

CREATE TABLE unread (
    id     TEXT PRIMARY KEY,
    key_id TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX unread_key ON unread (key_id);

-- Who each scope key was handed to, and when it was first named: a
-- projection of scope.key events.
CREATE TABLE scope_keys (
    key_id      TEXT NOT NULL,
    scope       TEXT NOT NULL,
    device      TEXT NOT NULL,
    creator     TEXT NOT NULL, -- the device of the earliest record naming the key
    hlc_wall    INTEGER NOT NULL,
    hlc_logical INTEGER NOT NULL,
    PRIMARY KEY (key_id, device)
) STRICT, WITHOUT ROWID;
CREATE INDEX scope_keys_scope ON scope_keys (scope);

-- The scope keys handed to this device, sealed at rest.
CREATE TABLE scope_keys_mine (
    key_id TEXT PRIMARY KEY,
    scope  TEXT NOT NULL,
    sealed BLOB NOT NULL
) STRICT, WITHOUT ROWID;
