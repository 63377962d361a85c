-- A database as hfhubd wrote it at schema version 4 (jobs, job_files with the
-- upload columns, hub_answers). Loaded by tests/test-store.c into a fresh
-- file, then upgraded by hfhub_store_new(). The DDL must stay identical to
-- hfhub_store_migrate_v1() … hfhub_store_migrate_v4() in daemon/hfhub-store.c;
-- never edit it once released.

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  state_reason TEXT,
  repo_type TEXT,
  repo_id TEXT,
  revision TEXT,
  options TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  owner TEXT,
  identity TEXT,
  created INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  bytes_done INTEGER NOT NULL DEFAULT 0,
  bytes_total INTEGER NOT NULL DEFAULT 0,
  files_done INTEGER NOT NULL DEFAULT 0,
  files_total INTEGER NOT NULL DEFAULT 0,
  error_name TEXT,
  error_message TEXT,
  result TEXT
);
CREATE INDEX jobs_state ON jobs (state);
CREATE TABLE job_files (
  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  size INTEGER NOT NULL DEFAULT 0,
  oid TEXT,
  lfs INTEGER NOT NULL DEFAULT 0,
  state TEXT,
  partial TEXT,
  bytes_done INTEGER NOT NULL DEFAULT 0,
  etag TEXT,
  PRIMARY KEY (job_id, path)
);
CREATE TABLE hub_answers (
  endpoint TEXT NOT NULL,
  repo_type TEXT NOT NULL,
  repo_id TEXT NOT NULL,
  what TEXT NOT NULL,
  revision TEXT NOT NULL,
  answer BLOB NOT NULL,
  fetched INTEGER NOT NULL,
  PRIMARY KEY (endpoint, repo_type, repo_id, what, revision)
);

ALTER TABLE job_files ADD COLUMN local_path TEXT;
ALTER TABLE job_files ADD COLUMN mtime_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_files ADD COLUMN inode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_files ADD COLUMN transfer TEXT;
CREATE INDEX job_files_local_path ON job_files (local_path) WHERE local_path IS NOT NULL;

-- a detached download of an earlier daemon, running when it stopped
INSERT INTO jobs (id, kind, state, state_reason, repo_type, repo_id, revision, options,
                  priority, owner, identity, created, updated, bytes_done, bytes_total,
                  files_done, files_total, error_name, error_message, result)
VALUES (1, 'download', 'running', NULL, 'model', 'org/model', 'main',
        '{''detach'': <true>}',
        0, ':1.7', NULL, 1730000000, 1730000050, 100, 3145745,
        1, 2, NULL, NULL, NULL);

-- an upload with a file in flight
INSERT INTO jobs (id, kind, state, state_reason, repo_type, repo_id, revision, options,
                  priority, owner, identity, created, updated, bytes_done, bytes_total,
                  files_done, files_total, error_name, error_message, result)
VALUES (2, 'upload', 'paused', NULL, 'dataset', 'org/data', 'main',
        '{''local-path'': <''/home/u/data''>, ''path-in-repo'': <''''>}',
        0, 'peer-3', NULL, 1730000000, 1730000100, 0, 5, 0, 1, NULL, NULL, NULL);

INSERT INTO job_files (job_id, path, size, oid, lfs, state, partial, bytes_done, etag,
                       local_path, mtime_ns, inode, transfer)
VALUES (2, 'train.csv', 5, 'f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2',
        0, 'uploading', NULL, 0, 'ce013625030ba8dba906f756967f9e9ca394464a',
        '/home/u/data/train.csv', 1730000000123456789, 4242, '{"parts":[]}');

PRAGMA user_version = 4;
