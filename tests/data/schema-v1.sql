-- A database as hfhubd wrote it at schema version 1 (jobs table only).
-- Loaded by tests/test-store.c into a fresh file, then upgraded by
-- hfhub_store_new(). The DDL must stay identical to hfhub_store_migrate_v1()
-- in daemon/hfhub-store.c; never edit it once released.

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

INSERT INTO jobs (id, kind, state, state_reason, repo_type, repo_id, revision, options,
                  priority, owner, identity, created, updated, bytes_done, bytes_total,
                  files_done, files_total, error_name, error_message, result)
VALUES (1, 'download', 'succeeded', NULL, 'model', 'gpt2', 'main',
        '{''allow-patterns'': <[''*.json'', ''*.safetensors'']>, ''force'': <false>}',
        0, ':1.42', 'default', 1700000000, 1700000060, 548118077, 548118077,
        7, 7, NULL, NULL, '{''snapshot'': <''/home/u/.cache/huggingface/hub/models--gpt2''>}');

INSERT INTO jobs (id, kind, state, state_reason, repo_type, repo_id, revision, options,
                  priority, owner, identity, created, updated, bytes_done, bytes_total,
                  files_done, files_total, error_name, error_message, result)
VALUES (2, 'upload', 'failed', 'network', 'dataset', 'müller/daten-ß', NULL,
        '{''message'': <''Grüße – «test»''>}',
        -5, ':1.43', 'work', 1700000100, 1700000200, 1024, 4096,
        1, 3, 'io.github.hfhub.Hub1.Error.Network', 'connection reset', NULL);

INSERT INTO jobs (id, kind, state, options, created, updated)
VALUES (3, 'sync', 'queued', NULL, 1700000300, 1700000300);

PRAGMA user_version = 1;
