-- Whether a bucket's expectation is what the other event types' flow implied at the
-- usual share (during a share or funnel drop) rather than the detector's profile: it
-- is then already what would have arrived, and a loss is priced against it as it is.
ALTER TABLE metric_buckets ADD COLUMN implied INTEGER NOT NULL DEFAULT 0;
