-- 002: projections for the patient list and observation charts. Each is
-- derived from the log and rebuilt by Rebuild; sealed columns hold the
-- identifying parts.

CREATE TABLE p_patients (
    id         TEXT PRIMARY KEY,
    status     TEXT NOT NULL, -- registered, admitted, discharged, entered-in-error
    ward       TEXT NOT NULL,
    bed        TEXT NOT NULL,
    updated    INTEGER NOT NULL, -- HLC wall ms of the newest event
    sealed     BLOB NOT NULL     -- identifiers and stay details
) STRICT;
CREATE INDEX p_patients_ward ON p_patients (ward, bed);

CREATE TABLE p_observations (
    event_id     TEXT PRIMARY KEY,
    patient_id   TEXT NOT NULL,
    performed_at INTEGER NOT NULL, -- Unix ms
    status       TEXT NOT NULL,    -- final, amended, entered-in-error
    corrected_by TEXT NOT NULL,
    sealed       BLOB NOT NULL     -- the observation set, author, times
) STRICT;
CREATE INDEX p_observations_patient ON p_observations (patient_id, performed_at);
