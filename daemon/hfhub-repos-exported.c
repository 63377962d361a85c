#include "config.h"

#define G_LOG_DOMAIN "HfhubReposExported"

#include "hfhub-repos-exported.h"

#include "hfhub-error.h"
#include "hfhub-repos.h"

struct _HfhubReposExported {
	HfhubDBusReposSkeleton parent_instance;
	HfhubRepos *repos;
};

static void
hfhub_repos_exported_iface_init(HfhubDBusReposIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HfhubReposExported, hfhub_repos_exported,
			      HFHUB_DBUS_TYPE_REPOS_SKELETON,
			      G_IMPLEMENT_INTERFACE(HFHUB_DBUS_TYPE_REPOS,
						    hfhub_repos_exported_iface_init))

/* every method of the interface answers one a{sv} */
static void
call_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GDBusMethodInvocation *invocation = user_data;
	GError *error = NULL;
	g_autoptr(GVariant) answer = hfhub_repos_call_finish(HFHUB_REPOS(source), res, &error);

	if (answer == NULL) {
		hfhub_error_convert(&error);
		g_dbus_method_invocation_take_error(invocation, error);
		return;
	}
	g_dbus_method_invocation_return_value(invocation, g_variant_new("(@a{sv})", answer));
}

static gboolean
start(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, HfhubReposOp op,
      const gchar *repo_type, const gchar *repo_id, const gchar *revision, const gchar *name,
      GVariant *options)
{
	HfhubReposExported *self = HFHUB_REPOS_EXPORTED(iface);

	/* the invocation is completed (and released) by call_done_cb */
	hfhub_repos_call_async(self->repos, op, repo_type, repo_id, revision, name, options, NULL,
			       call_done_cb, invocation);
	return TRUE;
}

static gboolean
handle_get_repo_info(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		     const gchar *repo_type, const gchar *revision, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_INFO, repo_type, repo_id, revision, NULL,
		     options);
}

static gboolean
handle_list_files(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		  const gchar *repo_type, const gchar *revision, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_FILES, repo_type, repo_id, revision, NULL,
		     options);
}

static gboolean
handle_list_refs(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		 const gchar *repo_type, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_REFS, repo_type, repo_id, NULL, NULL,
		     options);
}

static gboolean
handle_list_commits(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		    const gchar *repo_type, const gchar *revision, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_COMMITS, repo_type, repo_id, revision, NULL,
		     options);
}

static gboolean
handle_search(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_type,
	      GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_SEARCH, repo_type, NULL, NULL, NULL,
		     options);
}

static gboolean
handle_create_repo(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		   const gchar *repo_type, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_CREATE, repo_type, repo_id, NULL, NULL,
		     options);
}

static gboolean
handle_delete_repo(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		   const gchar *repo_type, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_DELETE, repo_type, repo_id, NULL, NULL,
		     options);
}

static gboolean
handle_update_settings(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation,
		       const gchar *repo_id, const gchar *repo_type, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_SETTINGS, repo_type, repo_id, NULL, NULL,
		     options);
}

static gboolean
handle_move_repo(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *from_id,
		 const gchar *to_id, const gchar *repo_type, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_MOVE, repo_type, from_id, NULL, to_id,
		     options);
}

static gboolean
handle_create_branch(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		     const gchar *repo_type, const gchar *branch, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_BRANCH_CREATE, repo_type, repo_id, NULL,
		     branch, options);
}

static gboolean
handle_delete_branch(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		     const gchar *repo_type, const gchar *branch, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_BRANCH_DELETE, repo_type, repo_id, NULL,
		     branch, options);
}

static gboolean
handle_create_tag(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		  const gchar *repo_type, const gchar *tag, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_TAG_CREATE, repo_type, repo_id, NULL, tag,
		     options);
}

static gboolean
handle_delete_tag(HfhubDBusRepos *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		  const gchar *repo_type, const gchar *tag, GVariant *options)
{
	return start(iface, invocation, HFHUB_REPOS_OP_TAG_DELETE, repo_type, repo_id, NULL, tag,
		     options);
}

static void
hfhub_repos_exported_iface_init(HfhubDBusReposIface *iface)
{
	iface->handle_get_repo_info = handle_get_repo_info;
	iface->handle_list_files = handle_list_files;
	iface->handle_list_refs = handle_list_refs;
	iface->handle_list_commits = handle_list_commits;
	iface->handle_search = handle_search;
	iface->handle_create_repo = handle_create_repo;
	iface->handle_delete_repo = handle_delete_repo;
	iface->handle_update_settings = handle_update_settings;
	iface->handle_move_repo = handle_move_repo;
	iface->handle_create_branch = handle_create_branch;
	iface->handle_delete_branch = handle_delete_branch;
	iface->handle_create_tag = handle_create_tag;
	iface->handle_delete_tag = handle_delete_tag;
}

static void
hfhub_repos_exported_dispose(GObject *object)
{
	HfhubReposExported *self = HFHUB_REPOS_EXPORTED(object);

	g_clear_object(&self->repos);
	G_OBJECT_CLASS(hfhub_repos_exported_parent_class)->dispose(object);
}

static void
hfhub_repos_exported_class_init(HfhubReposExportedClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_repos_exported_dispose;
}

static void
hfhub_repos_exported_init(HfhubReposExported *self)
{
}

HfhubReposExported *
hfhub_repos_exported_new(HfhubEngine *engine)
{
	HfhubReposExported *self = g_object_new(HFHUB_TYPE_REPOS_EXPORTED, NULL);

	self->repos = hfhub_repos_new(engine);
	return self;
}
