#include "config.h"

#define G_LOG_DOMAIN "HfhubAuthExported"

#include "hfhub-auth-exported.h"

#include <gio/gunixfdlist.h>

#include "hfhub-engine.h"
#include "hfhub-error.h"

struct _HfhubAuthExported {
	HfhubDBusAuthSkeleton parent_instance;
	HfhubIdentities *identities;
};

static void
hfhub_auth_exported_iface_init(HfhubDBusAuthIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HfhubAuthExported, hfhub_auth_exported, HFHUB_DBUS_TYPE_AUTH_SKELETON,
			      G_IMPLEMENT_INTERFACE(HFHUB_DBUS_TYPE_AUTH,
						    hfhub_auth_exported_iface_init))

static const HfhubOptionSpec login_options[] = {
	{ "name", "s" },
	{ "endpoint", "s" },
	{ "make-default", "b" },
	{ NULL, NULL },
};

static const HfhubOptionSpec logout_options[] = {
	{ "endpoint", "s" },
	{ "all", "b" },
	{ NULL, NULL },
};

static const HfhubOptionSpec whoami_options[] = {
	{ "endpoint", "s" },
	{ "identity", "s" },
	{ "refresh", "b" },
	{ NULL, NULL },
};

static const HfhubOptionSpec endpoint_options[] = {
	{ "endpoint", "s" },
	{ NULL, NULL },
};

static void
return_error(GDBusMethodInvocation *invocation, GError *error)
{
	hfhub_error_convert(&error);
	g_dbus_method_invocation_take_error(invocation, error);
}

static const gchar *
lookup_string(GVariant *options, const gchar *key)
{
	const gchar *value = NULL;

	g_variant_lookup(options, key, "&s", &value);
	return value;
}

/* The identity as a{sv}: metadata only, by construction there is no token
 * to put in. */
typedef enum {
	SHOW_STORED,	  /* a stored identity, with its token's status */
	SHOW_ENVIRONMENT, /* HF_TOKEN */
	SHOW_REMOVED,	  /* just logged out: no status */
} Show;

static void
add_identity(GVariantBuilder *builder, HfhubIdentities *identities, const HfhubIdentityInfo *info,
	     Show show)
{
	const gchar *const empty[] = { NULL };

	g_variant_builder_add(builder, "{sv}", "name", g_variant_new_string(info->name));
	g_variant_builder_add(builder, "{sv}", "endpoint", g_variant_new_string(info->endpoint));
	g_variant_builder_add(builder, "{sv}", "user",
			      g_variant_new_string(info->user != NULL ? info->user : ""));
	g_variant_builder_add(builder, "{sv}", "fullname",
			      g_variant_new_string(info->fullname != NULL ? info->fullname : ""));
	g_variant_builder_add(
		builder, "{sv}", "orgs",
		g_variant_new_strv(info->orgs != NULL ? (const gchar *const *)info->orgs : empty,
				   -1));
	g_variant_builder_add(builder, "{sv}", "role",
			      g_variant_new_string(info->role != NULL ? info->role : ""));
	g_variant_builder_add(
		builder, "{sv}", "token-name",
		g_variant_new_string(info->token_name != NULL ? info->token_name : ""));
	g_variant_builder_add(builder, "{sv}", "default", g_variant_new_boolean(info->is_default));
	g_variant_builder_add(builder, "{sv}", "added", g_variant_new_int64(info->added));
	/* HF_TOKEN is no stored identity */
	g_variant_builder_add(
		builder, "{sv}", "storage",
		g_variant_new_string(show == SHOW_ENVIRONMENT
					     ? "environment"
					     : hfhub_secrets_storage_to_string(info->storage)));
	if (show == SHOW_ENVIRONMENT)
		g_variant_builder_add(builder, "{sv}", "status", g_variant_new_string("available"));
	else if (show == SHOW_STORED)
		g_variant_builder_add(
			builder, "{sv}", "status",
			g_variant_new_string(hfhub_identities_token_status(identities, info)));
}

static GVariant *
identity_to_variant(HfhubIdentities *identities, const HfhubIdentityInfo *info, Show show)
{
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);

	add_identity(&builder, identities, info, show);
	return g_variant_builder_end(&builder);
}

static GVariant *
identities_to_variant(HfhubIdentities *identities, GPtrArray *infos, Show show)
{
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));

	for (guint i = 0; i < infos->len; i++)
		g_variant_builder_add_value(
			&builder,
			identity_to_variant(identities, g_ptr_array_index(infos, i), show));
	return g_variant_builder_end(&builder);
}

/* ---- Login */

static void
login_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	HfhubIdentities *identities = HFHUB_IDENTITIES(source);
	HfhubDBusAuth *iface = g_object_get_data(G_OBJECT(invocation), "hfhub-auth");
	g_autoptr(HfhubIdentityInfo) info = NULL;
	g_autofree gchar *warning = NULL;
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	GError *error = NULL;

	info = hfhub_identities_login_finish(identities, res, &warning, &error);
	if (info == NULL) {
		return_error(invocation, error);
		return;
	}
	add_identity(&builder, identities, info, SHOW_STORED);
	if (warning != NULL)
		g_variant_builder_add(&builder, "{sv}", "warning", g_variant_new_string(warning));
	hfhub_dbus_auth_complete_login(iface, g_steal_pointer(&invocation), NULL, info->name,
				       g_variant_builder_end(&builder));
}

static gboolean
handle_login(HfhubDBusAuth *iface, GDBusMethodInvocation *invocation, GUnixFDList *fd_list,
	     GVariant *token_fd, GVariant *options)
{
	HfhubAuthExported *self = HFHUB_AUTH_EXPORTED(iface);
	gboolean make_default = TRUE;
	gint fd;
	GError *error = NULL;

	if (!hfhub_options_validate(options, login_options, &error)) {
		return_error(invocation, error);
		return TRUE;
	}
	if (fd_list == NULL ||
	    g_variant_get_handle(token_fd) >= g_unix_fd_list_get_length(fd_list)) {
		g_dbus_method_invocation_return_error_literal(
			invocation, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			"the token must come as a file descriptor (h) with the message");
		return TRUE;
	}
	fd = g_unix_fd_list_get(fd_list, g_variant_get_handle(token_fd), &error);
	if (fd < 0) {
		return_error(invocation, error);
		return TRUE;
	}
	g_variant_lookup(options, "make-default", "b", &make_default);
	g_object_set_data_full(G_OBJECT(invocation), "hfhub-auth", g_object_ref(self),
			       g_object_unref);
	hfhub_identities_login_async(self->identities, fd, lookup_string(options, "name"),
				     lookup_string(options, "endpoint"), make_default, NULL,
				     login_cb, g_object_ref(invocation));
	return TRUE;
}

/* ---- Logout */

static void
logout_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	HfhubIdentities *identities = HFHUB_IDENTITIES(source);
	HfhubDBusAuth *iface = g_object_get_data(G_OBJECT(invocation), "hfhub-auth");
	g_autoptr(GPtrArray) removed = NULL;
	GError *error = NULL;

	removed = hfhub_identities_logout_finish(identities, res, &error);
	if (removed == NULL) {
		return_error(invocation, error);
		return;
	}
	hfhub_dbus_auth_complete_logout(iface, g_steal_pointer(&invocation),
					identities_to_variant(identities, removed, SHOW_REMOVED));
}

static gboolean
handle_logout(HfhubDBusAuth *iface, GDBusMethodInvocation *invocation, const gchar *name,
	      GVariant *options)
{
	HfhubAuthExported *self = HFHUB_AUTH_EXPORTED(iface);
	gboolean all = FALSE;
	GError *error = NULL;

	if (!hfhub_options_validate(options, logout_options, &error)) {
		return_error(invocation, error);
		return TRUE;
	}
	g_variant_lookup(options, "all", "b", &all);
	g_object_set_data_full(G_OBJECT(invocation), "hfhub-auth", g_object_ref(self),
			       g_object_unref);
	hfhub_identities_logout_async(self->identities, name, lookup_string(options, "endpoint"),
				      all, NULL, logout_cb, g_object_ref(invocation));
	return TRUE;
}

/* ---- Whoami */

static void
whoami_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	HfhubIdentities *identities = HFHUB_IDENTITIES(source);
	HfhubDBusAuth *iface = g_object_get_data(G_OBJECT(invocation), "hfhub-auth");
	g_autoptr(HfhubIdentityInfo) info = NULL;
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	HfhubIdentitySource src = HFHUB_IDENTITY_SOURCE_IDENTITY;
	gboolean verified = FALSE;
	GError *error = NULL;

	info = hfhub_identities_whoami_finish(identities, res, &src, &verified, &error);
	if (info == NULL) {
		return_error(invocation, error);
		return;
	}
	add_identity(&builder, identities, info,
		     src == HFHUB_IDENTITY_SOURCE_ENVIRONMENT ? SHOW_ENVIRONMENT : SHOW_STORED);
	g_variant_builder_add(&builder, "{sv}", "source",
			      g_variant_new_string(src == HFHUB_IDENTITY_SOURCE_ENVIRONMENT
							   ? "environment"
							   : "identity"));
	g_variant_builder_add(&builder, "{sv}", "verified", g_variant_new_boolean(verified));
	hfhub_dbus_auth_complete_whoami(iface, g_steal_pointer(&invocation),
					g_variant_builder_end(&builder));
}

static gboolean
handle_whoami(HfhubDBusAuth *iface, GDBusMethodInvocation *invocation, GVariant *options)
{
	HfhubAuthExported *self = HFHUB_AUTH_EXPORTED(iface);
	gboolean refresh = FALSE;
	GError *error = NULL;

	if (!hfhub_options_validate(options, whoami_options, &error)) {
		return_error(invocation, error);
		return TRUE;
	}
	g_variant_lookup(options, "refresh", "b", &refresh);
	g_object_set_data_full(G_OBJECT(invocation), "hfhub-auth", g_object_ref(self),
			       g_object_unref);
	hfhub_identities_whoami_async(self->identities, lookup_string(options, "identity"),
				      lookup_string(options, "endpoint"), refresh, NULL, whoami_cb,
				      g_object_ref(invocation));
	return TRUE;
}

/* ---- ListIdentities, SwitchDefault: metadata in memory, no waiting */

static gboolean
handle_list_identities(HfhubDBusAuth *iface, GDBusMethodInvocation *invocation, GVariant *options)
{
	HfhubAuthExported *self = HFHUB_AUTH_EXPORTED(iface);
	g_autoptr(GPtrArray) infos = NULL;
	GError *error = NULL;

	if (!hfhub_options_validate(options, endpoint_options, &error)) {
		return_error(invocation, error);
		return TRUE;
	}
	infos = hfhub_identities_list(self->identities, lookup_string(options, "endpoint"), &error);
	if (infos == NULL) {
		return_error(invocation, error);
		return TRUE;
	}
	hfhub_dbus_auth_complete_list_identities(
		iface, invocation, identities_to_variant(self->identities, infos, SHOW_STORED));
	return TRUE;
}

static gboolean
handle_switch_default(HfhubDBusAuth *iface, GDBusMethodInvocation *invocation, const gchar *name,
		      GVariant *options)
{
	HfhubAuthExported *self = HFHUB_AUTH_EXPORTED(iface);
	g_autoptr(HfhubIdentityInfo) info = NULL;
	GError *error = NULL;

	if (!hfhub_options_validate(options, endpoint_options, &error)) {
		return_error(invocation, error);
		return TRUE;
	}
	info = hfhub_identities_switch_default(self->identities, name,
					       lookup_string(options, "endpoint"), &error);
	if (info == NULL) {
		return_error(invocation, error);
		return TRUE;
	}
	hfhub_dbus_auth_complete_switch_default(
		iface, invocation, identity_to_variant(self->identities, info, SHOW_STORED));
	return TRUE;
}

static void
hfhub_auth_exported_iface_init(HfhubDBusAuthIface *iface)
{
	iface->handle_login = handle_login;
	iface->handle_logout = handle_logout;
	iface->handle_whoami = handle_whoami;
	iface->handle_list_identities = handle_list_identities;
	iface->handle_switch_default = handle_switch_default;
}

static void
sync_properties(HfhubAuthExported *self)
{
	HfhubDBusAuth *iface = HFHUB_DBUS_AUTH(self);

	hfhub_dbus_auth_set_storage(iface, hfhub_identities_get_storage(self->identities));
	hfhub_dbus_auth_set_environment_token(
		iface, hfhub_identities_has_environment_token(self->identities));
}

static void
identities_changed_cb(HfhubIdentities *identities, gpointer user_data)
{
	HfhubAuthExported *self = HFHUB_AUTH_EXPORTED(user_data);

	sync_properties(self);
	hfhub_dbus_auth_emit_identities_changed(HFHUB_DBUS_AUTH(self));
}

static void
hfhub_auth_exported_dispose(GObject *object)
{
	HfhubAuthExported *self = HFHUB_AUTH_EXPORTED(object);

	g_clear_object(&self->identities);
	G_OBJECT_CLASS(hfhub_auth_exported_parent_class)->dispose(object);
}

static void
hfhub_auth_exported_class_init(HfhubAuthExportedClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_auth_exported_dispose;
}

static void
hfhub_auth_exported_init(HfhubAuthExported *self)
{
}

HfhubAuthExported *
hfhub_auth_exported_new(HfhubIdentities *identities)
{
	HfhubAuthExported *self = g_object_new(HFHUB_TYPE_AUTH_EXPORTED, NULL);

	self->identities = g_object_ref(identities);
	sync_properties(self);
	g_signal_connect_object(identities, "changed", G_CALLBACK(identities_changed_cb), self, 0);
	return self;
}
