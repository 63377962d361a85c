#include "config.h"

#define G_LOG_DOMAIN "HfhubJobExported"

#include "hfhub-job-exported.h"

#include "hfhub-caller.h"
#include "hfhub-error.h"
#include "hfhub-names.h"

struct _HfhubJobExported {
	HfhubDBusJobSkeleton parent_instance;
	HfhubEngine *engine;
	HfhubJob *job;
	GVariant *properties; /* every property as a{sv}, NULL after a change */
};

static void
hfhub_job_exported_iface_init(HfhubDBusJobIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HfhubJobExported, hfhub_job_exported, HFHUB_DBUS_TYPE_JOB_SKELETON,
			      G_IMPLEMENT_INTERFACE(HFHUB_DBUS_TYPE_JOB,
						    hfhub_job_exported_iface_init))

gchar *
hfhub_job_exported_path_for_id(guint64 id)
{
	return g_strdup_printf(HFHUB_DBUS_JOBS_PATH "/%" G_GUINT64_FORMAT, id);
}

static void
sync_properties(HfhubJobExported *self, guint flags)
{
	HfhubDBusJob *iface = HFHUB_DBUS_JOB(self);
	const HfhubJobRecord *rec = hfhub_job_get_record(self->job);

	g_object_freeze_notify(G_OBJECT(self));
	if (flags & HFHUB_JOB_CHANGED_STATE) {
		hfhub_dbus_job_set_state(iface, hfhub_job_state_to_string(rec->state));
		hfhub_dbus_job_set_state_reason(iface, rec->state_reason);
		hfhub_dbus_job_set_error_name(iface, rec->error_name);
		hfhub_dbus_job_set_error_message(iface, rec->error_message);
		hfhub_dbus_job_set_updated(iface, rec->updated);
	}
	if (flags & HFHUB_JOB_CHANGED_PROGRESS) {
		hfhub_dbus_job_set_bytes_done(iface, rec->bytes_done);
		hfhub_dbus_job_set_bytes_total(iface, rec->bytes_total);
		hfhub_dbus_job_set_files_done(iface, rec->files_done);
		hfhub_dbus_job_set_files_total(iface, rec->files_total);
	}
	if (flags & HFHUB_JOB_CHANGED_RESULT)
		hfhub_dbus_job_set_result(iface, rec->result);
	if (flags & HFHUB_JOB_CHANGED_PRIORITY)
		hfhub_dbus_job_set_priority(iface, rec->priority);
	if (flags & HFHUB_JOB_CHANGED_OWNER) {
		hfhub_dbus_job_set_owner_app(iface, rec->owner_app != NULL ? rec->owner_app : "");
		hfhub_dbus_job_set_owner_executable(iface,
						    rec->owner_exe != NULL ? rec->owner_exe : "");
	}
	g_object_thaw_notify(G_OBJECT(self));
}

static void
job_changed_cb(HfhubJob *job, guint flags, gpointer user_data)
{
	sync_properties(HFHUB_JOB_EXPORTED(user_data), flags);
}

static void
job_finished_cb(HfhubJob *job, gpointer user_data)
{
	HfhubJobExported *self = HFHUB_JOB_EXPORTED(user_data);
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	g_auto(GVariantDict) details = G_VARIANT_DICT_INIT(rec->result);

	if (rec->state == HFHUB_JOB_STATE_FAILED) {
		g_variant_dict_insert(&details, "error-name", "s", rec->error_name);
		g_variant_dict_insert(&details, "error-message", "s", rec->error_message);
	}
	/* properties first, so that a client reading them on Finished sees the
	 * final values */
	g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(self));
	hfhub_dbus_job_emit_finished(HFHUB_DBUS_JOB(self), hfhub_job_state_to_string(rec->state),
				     g_variant_dict_end(&details));
}

static gboolean
finish_call(GDBusMethodInvocation *invocation, gboolean ok, GError *error)
{
	if (!ok) {
		hfhub_error_convert(&error);
		g_dbus_method_invocation_take_error(invocation, error);
		return TRUE;
	}
	g_dbus_method_invocation_return_value(invocation, NULL);
	return TRUE;
}

typedef gboolean (*JobAction)(HfhubJobExported *self, GVariant *parameters, GError **error);

static gboolean
cancel_action(HfhubJobExported *self, GVariant *parameters, GError **error)
{
	return hfhub_engine_cancel_job(self->engine, self->job, error);
}

static gboolean
pause_action(HfhubJobExported *self, GVariant *parameters, GError **error)
{
	return hfhub_engine_pause_job(self->engine, self->job, error);
}

static gboolean
resume_action(HfhubJobExported *self, GVariant *parameters, GError **error)
{
	return hfhub_engine_resume_job(self->engine, self->job, error);
}

static gboolean
set_priority_action(HfhubJobExported *self, GVariant *parameters, GError **error)
{
	gint priority = 0;

	g_variant_get(parameters, "(i)", &priority);
	return hfhub_engine_set_job_priority(self->engine, self->job, priority, error);
}

typedef struct {
	HfhubJobExported *self;
	GDBusMethodInvocation *invocation;
	JobAction action;
} ControlCall;

static void
run_action(HfhubJobExported *self, GDBusMethodInvocation *invocation, JobAction action)
{
	GError *error = NULL;
	gboolean ok = action(self, g_dbus_method_invocation_get_parameters(invocation), &error);
	finish_call(invocation, ok, error);
}

/* who the job belongs to, in words */
static gchar *
describe_owner(const HfhubJobRecord *rec)
{
	if (rec->owner_app != NULL && rec->owner_app[0] != '\0')
		return g_strdup_printf("%s (%s)", rec->owner_app, rec->owner);
	if (rec->owner_exe != NULL && rec->owner_exe[0] != '\0') {
		g_autofree gchar *base = g_path_get_basename(rec->owner_exe);
		return g_strdup_printf("%s (%s)", base, rec->owner);
	}
	return g_strdup(rec->owner != NULL && rec->owner[0] != '\0' ? rec->owner
								    : "an earlier caller");
}

static void
controller_found_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	ControlCall *call = user_data;
	g_autoptr(HfhubCallerInfo) info = hfhub_caller_lookup_finish(result, NULL);
	const HfhubJobRecord *rec = hfhub_job_get_record(call->self->job);

	if (hfhub_caller_info_is_hfhub_cli(info)) {
		run_action(call->self, call->invocation, call->action);
	} else {
		g_autofree gchar *owner = describe_owner(rec);
		g_autofree gchar *message = g_strdup_printf(
			"job %" G_GUINT64_FORMAT " belongs to %s: only its owner, or the user "
			"with “hfhub jobs …”, may control it",
			rec->id, owner);
		g_dbus_method_invocation_return_dbus_error(
			call->invocation, HFHUB_DBUS_ERROR_PREFIX "AccessDenied", message);
	}
	g_object_unref(call->self);
	g_free(call);
}

/* The owner (on the connection that created the job) and the user's own
 * hfhub control a job; see dbus/README.md "Who controls a job". */
static gboolean
authorize_and_run(HfhubJobExported *self, GDBusMethodInvocation *invocation, JobAction action)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(self->job);
	GDBusConnection *connection = g_dbus_method_invocation_get_connection(invocation);
	ControlCall *call;

	if (g_strcmp0(rec->owner, hfhub_caller_of(invocation)) == 0 &&
	    g_strcmp0(rec->owner_session, hfhub_engine_get_owner_session(self->engine)) == 0) {
		run_action(self, invocation, action);
		return TRUE;
	}
	call = g_new0(ControlCall, 1);
	call->self = g_object_ref(self);
	call->invocation = invocation;
	call->action = action;
	hfhub_caller_lookup_async(connection, g_dbus_method_invocation_get_sender(invocation), NULL,
				  controller_found_cb, call);
	return TRUE;
}

static gboolean
handle_cancel(HfhubDBusJob *iface, GDBusMethodInvocation *invocation)
{
	return authorize_and_run(HFHUB_JOB_EXPORTED(iface), invocation, cancel_action);
}

static gboolean
handle_pause(HfhubDBusJob *iface, GDBusMethodInvocation *invocation)
{
	return authorize_and_run(HFHUB_JOB_EXPORTED(iface), invocation, pause_action);
}

static gboolean
handle_resume(HfhubDBusJob *iface, GDBusMethodInvocation *invocation)
{
	return authorize_and_run(HFHUB_JOB_EXPORTED(iface), invocation, resume_action);
}

static gboolean
handle_set_priority(HfhubDBusJob *iface, GDBusMethodInvocation *invocation, gint priority)
{
	return authorize_and_run(HFHUB_JOB_EXPORTED(iface), invocation, set_priority_action);
}

static void
hfhub_job_exported_iface_init(HfhubDBusJobIface *iface)
{
	iface->handle_set_priority = handle_set_priority;
	iface->handle_cancel = handle_cancel;
	iface->handle_pause = handle_pause;
	iface->handle_resume = handle_resume;
}

static void
hfhub_job_exported_dispose(GObject *object)
{
	HfhubJobExported *self = HFHUB_JOB_EXPORTED(object);

	if (self->job != NULL)
		g_signal_handlers_disconnect_by_data(self->job, self);
	g_clear_object(&self->job);
	g_clear_object(&self->engine);
	g_clear_pointer(&self->properties, g_variant_unref);
	G_OBJECT_CLASS(hfhub_job_exported_parent_class)->dispose(object);
}

/* ---- every property at once, cached
 *
 * GDBusObjectManagerServer asks each exported interface for all its
 * properties as one a{sv} (GetManagedObjects, InterfacesAdded). The generated
 * get_properties builds it anew on every call, property by property: lookup
 * by name, g_object_get_property() into a GValue, conversion to a GVariant.
 * With 1,000 jobs that was half of hfhubd's time in a GetManagedObjects. A
 * job's properties change seldom (progress at most every
 * HFHUB_JOB_PROGRESS_INTERVAL_MS while it runs), so the a{sv} is kept in the
 * object and built again only after a property has changed: every property
 * change ends in a "notify" (at the latest when sync_properties thaws them),
 * and notify drops the cache.
 *
 * The a{sv} is built as the generated code builds it, from the interface
 * info: every readable property, in the interface's order, read through the
 * GObject property whose nick is the D-Bus name (gdbus-codegen gives each
 * property the D-Bus name as its nick) and converted with
 * g_dbus_gvalue_to_gvariant(). A property added to the XML is thus in it
 * without a change here; test-dbus compares the two. Should a readable
 * property have no GObject property, the generated code answers instead.
 *
 * Like everything else about jobs, this runs on the main thread only. */

typedef struct {
	const gchar *name; /* the D-Bus name */
	const GVariantType *type;
	const gchar *gobject_name;
	GType value_type;
} JobProperty;

static JobProperty *job_properties; /* NULL when a property has no GObject property */
static guint n_job_properties;

static void
job_properties_init(GDBusInterfaceSkeleton *skeleton)
{
	static gsize done = 0;
	GDBusInterfaceInfo *info;
	GParamSpec **pspecs;
	guint n_pspecs = 0;
	JobProperty *props;
	guint n = 0;
	gboolean complete = TRUE;

	if (!g_once_init_enter(&done))
		return;
	info = g_dbus_interface_skeleton_get_info(skeleton);
	pspecs = g_object_class_list_properties(G_OBJECT_GET_CLASS(skeleton), &n_pspecs);
	props = g_new0(JobProperty, 1);
	for (guint i = 0; info->properties != NULL && info->properties[i] != NULL; i++) {
		const GDBusPropertyInfo *p = info->properties[i];
		const gchar *gobject_name = NULL;
		GType value_type = G_TYPE_INVALID;

		if (!(p->flags & G_DBUS_PROPERTY_INFO_FLAGS_READABLE))
			continue;
		for (guint j = 0; j < n_pspecs && gobject_name == NULL; j++) {
			/* the interface's properties (which the generated class
			 * overrides; the list has the interface's GParamSpecs) */
			GParamSpec *target = g_param_spec_get_redirect_target(pspecs[j]);

			if (target == NULL)
				target = pspecs[j];
			if (G_TYPE_IS_INTERFACE(target->owner_type) &&
			    g_strcmp0(g_param_spec_get_nick(target), p->name) == 0) {
				gobject_name = pspecs[j]->name;
				value_type = G_PARAM_SPEC_VALUE_TYPE(pspecs[j]);
			}
		}
		if (gobject_name == NULL) {
			g_warning("%s.%s has no GObject property: not cached", info->name, p->name);
			complete = FALSE;
			break;
		}
		props = g_renew(JobProperty, props, n + 1);
		props[n].name = p->name;
		props[n].type = G_VARIANT_TYPE(p->signature);
		props[n].gobject_name = gobject_name;
		props[n].value_type = value_type;
		n++;
	}
	g_free(pspecs);
	if (complete) {
		job_properties = props;
		n_job_properties = n;
	} else {
		g_free(props);
	}
	g_once_init_leave(&done, 1);
}

static GVariant *
build_properties(GObject *object)
{
	GVariantBuilder builder;
	GVariant *dict;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	for (guint i = 0; i < n_job_properties; i++) {
		GValue value = G_VALUE_INIT;
		GVariant *v;

		g_value_init(&value, job_properties[i].value_type);
		g_object_get_property(object, job_properties[i].gobject_name, &value);
		v = g_variant_take_ref(g_dbus_gvalue_to_gvariant(&value, job_properties[i].type));
		g_value_unset(&value);
		g_variant_builder_add_value(
			&builder,
			g_variant_new_dict_entry(g_variant_new_string(job_properties[i].name),
						 g_variant_new_variant(v)));
		g_variant_unref(v);
	}
	dict = g_variant_ref_sink(g_variant_builder_end(&builder));
	/* kept serialised: one block instead of a tree of some 100 GVariants
	 * per job (with 1,000 jobs, 21 instead of 30 MiB RSS); GDBus writes
	 * the reply as fast from either */
	(void)g_variant_get_data(dict);
	return dict;
}

static GVariant *
hfhub_job_exported_get_properties(GDBusInterfaceSkeleton *skeleton)
{
	HfhubJobExported *self = HFHUB_JOB_EXPORTED(skeleton);

	job_properties_init(skeleton);
	if (job_properties == NULL)
		return G_DBUS_INTERFACE_SKELETON_CLASS(hfhub_job_exported_parent_class)
			->get_properties(skeleton);
	if (self->properties == NULL)
		self->properties = build_properties(G_OBJECT(self));
	return g_variant_ref(self->properties);
}

static void
hfhub_job_exported_notify(GObject *object, GParamSpec *pspec)
{
	g_clear_pointer(&HFHUB_JOB_EXPORTED(object)->properties, g_variant_unref);
	if (G_OBJECT_CLASS(hfhub_job_exported_parent_class)->notify != NULL)
		G_OBJECT_CLASS(hfhub_job_exported_parent_class)->notify(object, pspec);
}

static void
hfhub_job_exported_class_init(HfhubJobExportedClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_job_exported_dispose;
	G_OBJECT_CLASS(klass)->notify = hfhub_job_exported_notify;
	G_DBUS_INTERFACE_SKELETON_CLASS(klass)->get_properties = hfhub_job_exported_get_properties;
}

static void
hfhub_job_exported_init(HfhubJobExported *self)
{
}

HfhubJobExported *
hfhub_job_exported_new(HfhubEngine *engine, HfhubJob *job)
{
	HfhubJobExported *self = g_object_new(HFHUB_TYPE_JOB_EXPORTED, NULL);
	HfhubDBusJob *iface = HFHUB_DBUS_JOB(self);
	const HfhubJobRecord *rec = hfhub_job_get_record(job);

	self->engine = g_object_ref(engine);
	self->job = g_object_ref(job);
	hfhub_dbus_job_set_id(iface, rec->id);
	hfhub_dbus_job_set_kind(iface, rec->kind);
	hfhub_dbus_job_set_repo_type(iface, rec->repo_type);
	hfhub_dbus_job_set_repo_id(iface, rec->repo_id);
	hfhub_dbus_job_set_revision(iface, rec->revision);
	hfhub_dbus_job_set_options(iface, rec->options);
	hfhub_dbus_job_set_owner(iface, rec->owner);
	hfhub_dbus_job_set_created(iface, rec->created);
	sync_properties(self, HFHUB_JOB_CHANGED_STATE | HFHUB_JOB_CHANGED_PROGRESS |
				      HFHUB_JOB_CHANGED_RESULT | HFHUB_JOB_CHANGED_PRIORITY |
				      HFHUB_JOB_CHANGED_OWNER);
	g_signal_connect_object(job, "changed", G_CALLBACK(job_changed_cb), self, 0);
	g_signal_connect_object(job, "finished", G_CALLBACK(job_finished_cb), self, 0);
	return self;
}

HfhubJob *
hfhub_job_exported_get_job(HfhubJobExported *self)
{
	return self->job;
}
