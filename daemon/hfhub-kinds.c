#include "config.h"

#include "hfhub-kinds.h"

#include "hfhub-cache-jobs.h"
#include "hfhub-commit-job.h"
#include "hfhub-download.h"
#include "hfhub-upload.h"

void
hfhub_kinds_register_all(HfhubEngine *engine)
{
	hfhub_engine_register_kind(engine, hfhub_download_kind());
	hfhub_engine_register_kind(engine, hfhub_upload_kind());
	hfhub_engine_register_kind(engine, hfhub_commit_job_kind());
	hfhub_engine_register_kind(engine, hfhub_cache_delete_kind());
	hfhub_engine_register_kind(engine, hfhub_cache_verify_kind());
}
