-- A job's optional measurements (JobRequest.Measure, JSON); null reads as the defaults (interpreter latency off).
alter table jobs add column measure text;
