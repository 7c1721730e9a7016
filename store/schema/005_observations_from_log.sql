-- 005: observation charts are read from the log itself (the events_subject
-- index finds a patient's sets; events_corrects their corrections), so
-- the chart view and its three B-trees per set are gone: a new device
-- takes in a ward's history about a quarter faster, and the file holds
-- each set once.
DROP TABLE p_observations;
