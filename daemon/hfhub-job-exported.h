/* HfhubJobExported: the io.github.hfhub.Hub1.Job face of one HfhubJob. */
#pragma once

#include "hfhub-dbus-generated.h"
#include "hfhub-engine.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_JOB_EXPORTED (hfhub_job_exported_get_type())
G_DECLARE_FINAL_TYPE(HfhubJobExported, hfhub_job_exported, HFHUB, JOB_EXPORTED,
		     HfhubDBusJobSkeleton)

HfhubJobExported *
hfhub_job_exported_new(HfhubEngine *engine, HfhubJob *job);

HfhubJob *
hfhub_job_exported_get_job(HfhubJobExported *self);

gchar *
hfhub_job_exported_path_for_id(guint64 id);

G_END_DECLS
