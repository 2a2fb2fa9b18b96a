-- Every method as its full check found the model at upload (JSON: name, applies, reason); null for models
-- registered before, whose offers come from the summary alone.
alter table models add column method_offers text;
