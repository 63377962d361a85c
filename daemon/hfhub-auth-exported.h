/* HfhubAuthExported: the io.github.hfhub.Hub1.Auth face of HfhubIdentities.
 *
 * A thin adaptor: checks the options, hands the work to HfhubIdentities
 * (which does the blocking parts in threads) and turns identities into a{sv}
 * dictionaries that never hold a token. */
#pragma once

#include "hfhub-dbus-generated.h"
#include "hfhub-identities.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_AUTH_EXPORTED (hfhub_auth_exported_get_type())
G_DECLARE_FINAL_TYPE(HfhubAuthExported, hfhub_auth_exported, HFHUB, AUTH_EXPORTED,
		     HfhubDBusAuthSkeleton)

HfhubAuthExported *
hfhub_auth_exported_new(HfhubIdentities *identities);

G_END_DECLS
