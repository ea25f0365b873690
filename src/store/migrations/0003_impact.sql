-- What the detector expected of each bucket (NULL while it was still learning), so
-- the incident chart can draw the expected band and the impact can be reckoned per
-- hour from stored data. `sd` is the noise around the expectation.
ALTER TABLE metric_buckets ADD COLUMN expected REAL;
ALTER TABLE metric_buckets ADD COLUMN sd REAL;
ALTER TABLE metric_hourly ADD COLUMN expected REAL;

-- Each incident's latest impact estimate (JSON, with the model it was computed by).
ALTER TABLE incidents ADD COLUMN impact TEXT;
