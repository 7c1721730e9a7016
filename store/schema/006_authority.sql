-- 006: authority on apply. A revocation names the last sequence number of
-- the revoked device that the ward accepts (revoked_seq, meaningful when
-- revoked_at > 0), and every role a person has ever been given is kept
-- (user_roles), so that the role check of a clinical record does not
-- depend on which of the person's records arrived first.
ALTER TABLE devices ADD COLUMN revoked_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE user_roles (
    user_id TEXT NOT NULL,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO user_roles (user_id, role) SELECT id, role FROM users;
