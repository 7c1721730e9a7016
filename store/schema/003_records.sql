-- 003: clinical records of the ward workflows (medicines, controlled
-- drugs, beds, handover, pharmacy, stock, custom forms, patient moves).
-- One row per event with the status its corrections give it; each
-- workflow's view (MAR, CD register, bed board, ...) folds these rows with
-- the rules in package forms.

CREATE TABLE p_records (
    event_id     TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,    -- patient, register, bed, plan, stock item
    key          TEXT NOT NULL,    -- order, entry, ward, task, location, form
    performed_at INTEGER NOT NULL, -- Unix ms
    hlc_wall     INTEGER NOT NULL,
    hlc_logical  INTEGER NOT NULL,
    device       TEXT NOT NULL,
    status       TEXT NOT NULL,    -- final, amended, entered-in-error
    corrected_by TEXT NOT NULL,
    sealed       BLOB NOT NULL     -- envelope fields and the payload
) STRICT;
CREATE INDEX p_records_subject ON p_records (kind, subject, hlc_wall, hlc_logical, device);
CREATE INDEX p_records_key ON p_records (kind, key);

-- Reading a subject's newest events of one kind (the patient row, the
-- newest user record) walks this index from the end instead of sorting.
DROP INDEX events_subject;
CREATE INDEX events_subject ON events (subject, kind, hlc_wall, hlc_logical, device);
