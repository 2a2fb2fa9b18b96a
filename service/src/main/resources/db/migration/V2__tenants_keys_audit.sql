-- Tenants own models, datasets and jobs; API keys belong to a tenant and are stored only as SHA-256 hashes.
create table tenants (
    id          uuid primary key,
    name        varchar(255)             not null,
    created_at  timestamp with time zone not null,
    constraint tenants_name unique (name)
);

create table api_keys (
    id           uuid primary key,
    tenant_id    uuid                     not null references tenants (id),
    name         varchar(255)             not null,
    -- The first characters of the key, shown in listings so a user can tell keys apart without the secret.
    prefix       varchar(32)              not null,
    hash         varchar(64)              not null,
    created_at   timestamp with time zone not null,
    revoked_at   timestamp with time zone,
    constraint api_keys_hash unique (hash)
);
create index api_keys_tenant on api_keys (tenant_id, created_at);

-- Rows from before tenants existed go to a tenant named "default" (created only when there are such rows);
-- an operator gives it a key with the admin API to reach them.
insert into tenants (id, name, created_at)
select '00000000-0000-0000-0000-000000000001', 'default', current_timestamp
where exists (select 1 from models) or exists (select 1 from datasets) or exists (select 1 from jobs);

alter table models add column tenant_id uuid not null default '00000000-0000-0000-0000-000000000001';
alter table models alter column tenant_id drop default;
alter table datasets add column tenant_id uuid not null default '00000000-0000-0000-0000-000000000001';
alter table datasets alter column tenant_id drop default;
alter table jobs add column tenant_id uuid not null default '00000000-0000-0000-0000-000000000001';
alter table jobs alter column tenant_id drop default;

create index models_tenant_created on models (tenant_id, created_at, id);
create index datasets_tenant_created on datasets (tenant_id, created_at, id);
create index jobs_tenant_created on jobs (tenant_id, created_at, id);

-- An Idempotency-Key is the client's own; two tenants may pick the same one.
alter table jobs drop constraint jobs_idempotency_key;
alter table jobs add constraint jobs_tenant_idempotency_key unique (tenant_id, idempotency_key);

-- Audit: who asked for what.
alter table jobs add column submitted_by varchar(255);
alter table job_events add column actor varchar(255);
