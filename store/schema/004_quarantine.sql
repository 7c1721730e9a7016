-- 004: events refused from peers (unknown or revoked device, bad
-- signature, a flood of corrections), kept for an IT admin to release
-- (re-checked like any event from a peer) or discard. The event and the
-- reason are sealed like the log; only index columns are in clear.

CREATE TABLE quarantine (
    event_id TEXT PRIMARY KEY, -- the event's ID, or "hash:" and its hash
    device   TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    peer     TEXT NOT NULL,    -- the device it came from
    at       INTEGER NOT NULL, -- Unix ms, first refused
    reason   BLOB NOT NULL,    -- sealed
    sealed   BLOB NOT NULL     -- the event as received, sealed
) STRICT;
CREATE INDEX quarantine_at ON quarantine (at);
