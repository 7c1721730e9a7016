-- 001: the event log, keys, devices, users, audit.
-- Only non-identifying columns are in clear: IDs, seq, clock readings,
-- kinds, hashes. Everything else is sealed (XChaCha20-Poly1305).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- The data key wrapped by an Argon2id key from the ward passphrase
-- (id 'passphrase') or from a user's PIN (id 'user:<user id>').
CREATE TABLE keyslots (
    id         TEXT PRIMARY KEY,
    salt       BLOB NOT NULL,
    kdf_time   INTEGER NOT NULL,
    kdf_memory INTEGER NOT NULL,
    kdf_lanes  INTEGER NOT NULL,
    wrapped    BLOB NOT NULL
) STRICT;

-- This device's Ed25519 key pair; the private key sealed by the data key.
CREATE TABLE device_key (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    device     TEXT NOT NULL,
    public     BLOB NOT NULL,
    sealed_key BLOB NOT NULL
) STRICT;

-- Every event ever recorded or received. sealed holds the whole canonical
-- encoding (signature included), bound to (id, device, seq, kind).
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    device      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    hlc_wall    INTEGER NOT NULL,
    hlc_logical INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    corrects    TEXT NOT NULL,
    hash        BLOB NOT NULL,
    prev        BLOB NOT NULL,
    sealed      BLOB NOT NULL,
    UNIQUE (device, seq)
) STRICT;
CREATE INDEX events_order ON events (hlc_wall, hlc_logical, device);
CREATE INDEX events_subject ON events (subject, kind);
CREATE INDEX events_corrects ON events (corrects) WHERE corrects <> '';
CREATE INDEX events_kind ON events (kind);

-- Per-device high-water marks: contiguous is the version vector entry
-- (every seq up to it is held); max may be higher while a gap is open.
CREATE TABLE heads (
    device     TEXT PRIMARY KEY,
    contiguous INTEGER NOT NULL,
    max_seq    INTEGER NOT NULL
) STRICT;

-- Devices whose signatures we accept. 'self' and 'anchor' rows are set
-- up locally; 'event' rows are a projection of device.* events.
CREATE TABLE devices (
    device      TEXT PRIMARY KEY,
    public      BLOB NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('self', 'anchor', 'event')),
    enrolled_by TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL DEFAULT 0, -- HLC (wall ms << 20 | logical) of the vouching event
    revoked_at  INTEGER NOT NULL DEFAULT 0, -- HLC wall ms of revocation, 0 if active
    sealed      BLOB NOT NULL               -- name, enrolling author
) STRICT;

-- Users: a projection of user.* events (name and PIN hash sealed).
CREATE TABLE users (
    id     TEXT PRIMARY KEY,
    role   TEXT NOT NULL,
    active INTEGER NOT NULL,
    sealed BLOB NOT NULL
) STRICT;

-- Failed sign-ins: local to this device, never synced.
CREATE TABLE lockouts (
    user_id      TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL -- Unix ms
) STRICT;

-- Local hash-chained audit log. mac = HMAC(audit key, prev mac || entry).
CREATE TABLE audit (
    seq    INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL, -- Unix ms
    action TEXT NOT NULL,
    sealed BLOB NOT NULL,    -- actor, subject, detail
    mac    BLOB NOT NULL
) STRICT;
