/* HfhubReposExported: the io.github.hfhub.Hub1.Repos face of HfhubRepos.
 *
 * A thin adaptor: every method hands its arguments to HfhubRepos, which
 * checks them and does the work off the main loop, and completes the call
 * with the a{sv} answer (or the error) when that is done. */
#pragma once

#include "hfhub-dbus-generated.h"
#include "hfhub-engine.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_REPOS_EXPORTED (hfhub_repos_exported_get_type())
G_DECLARE_FINAL_TYPE(HfhubReposExported, hfhub_repos_exported, HFHUB, REPOS_EXPORTED,
		     HfhubDBusReposSkeleton)

HfhubReposExported *
hfhub_repos_exported_new(HfhubEngine *engine);

G_END_DECLS
