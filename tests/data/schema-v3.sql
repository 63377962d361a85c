-- A database as hfhubd wrote it at schema version 3 (jobs, job_files,
-- hub_answers). Loaded by tests/test-store.c into a fresh file, then upgraded
-- by hfhub_store_new(). The DDL must stay identical to
-- hfhub_store_migrate_v1() … hfhub_store_migrate_v3() in daemon/hfhub-store.c;
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

INSERT INTO jobs (id, kind, state, state_reason, repo_type, repo_id, revision, options,
                  priority, owner, identity, created, updated, bytes_done, bytes_total,
                  files_done, files_total, error_name, error_message, result)
VALUES (1, 'download', 'paused', NULL, 'model', 'org/model', 'main',
        '{''include'': <[''*.json'']>, ''offline'': <false>}',
        3, ':1.7', NULL, 1710000000, 1710000050, 100, 3145745,
        1, 2, NULL, NULL, NULL);

INSERT INTO job_files (job_id, path, size, oid, lfs, state, partial, bytes_done, etag)
VALUES (1, 'model.safetensors', 3145728,
        'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c', 1, 'partial',
        '/home/u/.cache/huggingface/hub/models--org--model/blobs/b5bb.incomplete', 100,
        'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c');

INSERT INTO job_files (job_id, path, size, oid, lfs, state, partial, bytes_done, etag)
VALUES (1, 'config.json', 17, '0b5e8d4c8e1a6f1c2b4f3e6d7a8b9c0d1e2f3a4b', 0, 'done', NULL, 17,
        '0b5e8d4c8e1a6f1c2b4f3e6d7a8b9c0d1e2f3a4b');


-- an upload half done: its rows before job_files had local_path & co
INSERT INTO jobs (id, kind, state, state_reason, repo_type, repo_id, revision, options,
                  priority, owner, identity, created, updated, bytes_done, bytes_total,
                  files_done, files_total, error_name, error_message, result)
VALUES (2, 'upload', 'queued', 'resuming after a restart', 'dataset', 'org/data', 'main',
        '{''local-path'': <''/home/u/data''>, ''path-in-repo'': <''''>}',
        0, ':1.9', NULL, 1720000000, 1720000100, 0, 0, 0, 0, NULL, NULL, NULL);

INSERT INTO job_files (job_id, path, size, oid, lfs, state, partial, bytes_done, etag)
VALUES (2, 'train.csv', 5, 'f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2',
        0, 'hashed', NULL, 0, 'ce013625030ba8dba906f756967f9e9ca394464a');

INSERT INTO hub_answers (endpoint, repo_type, repo_id, what, revision, answer, fetched)
VALUES ('https://hub.example', 'model', 'org/model', 'info', 'main', X'', 1720000000);

PRAGMA user_version = 3;
