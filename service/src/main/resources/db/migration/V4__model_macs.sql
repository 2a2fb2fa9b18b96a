-- Multiply-accumulates per layer and in all, counted at upload (JSON); null for models registered before.
alter table models add column macs text;
