-- 008: scopes. Each device holds and is served only the scopes it is
-- given (its ward or wards, the pharmacy, the site; a relay every scope).
-- device_scopes is each device's current subscription, from its
-- enrolment or the newest device.scopes event (by clock, then chain and
-- seq); scope_grants is every scope a device has ever been given, which
-- is what its records there are checked against, whatever order they
-- arrive in. revoked_chains holds, for a revoked device's chains outside
-- the site scope, the last seq the ward accepts.
CREATE TABLE device_scopes (
    device     TEXT PRIMARY KEY,
    scopes     TEXT NOT NULL,    -- one per line; '*' is every scope
    at_wall    INTEGER NOT NULL, -- the clock of the event that set it
    at_logical INTEGER NOT NULL,
    at_chain   TEXT NOT NULL,
    at_seq     INTEGER NOT NULL
) STRICT;

CREATE TABLE scope_grants (
    device TEXT NOT NULL,
    scope  TEXT NOT NULL,
    PRIMARY KEY (device, scope)
) STRICT, WITHOUT ROWID;

CREATE TABLE revoked_chains (
    chain    TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Every device enrolled before scopes existed holds every scope, as it
-- did: nothing changes until an IT admin narrows it.
INSERT INTO device_scopes (device, scopes, at_wall, at_logical, at_chain, at_seq)
    SELECT device, '*', 0, 0, '', 0 FROM devices;
INSERT INTO scope_grants (device, scope) SELECT device, '*' FROM devices;
