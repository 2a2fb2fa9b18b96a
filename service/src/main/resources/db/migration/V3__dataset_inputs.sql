-- Datasets for models with several inputs: each input's name and sample shape, one per line ("name<TAB>d1,d2").
alter table datasets add column inputs varchar(4096) default '' not null;
