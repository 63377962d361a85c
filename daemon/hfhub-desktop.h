/* HfhubDesktop: what a session service owes the desktop. While transfers
 * run it holds a logind sleep inhibitor (and a forced suspend stops them
 * until the machine wakes up), and when a job nobody follows
 * (detached, or its caller went with an earlier hfhubd) ends it sends a
 * notification (desktop.notifications). Both are silent where no logind or notification
 * server exists, and never block the main loop. */
#pragma once

#include "hfhub-engine.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_DESKTOP (hfhub_desktop_get_type())
G_DECLARE_FINAL_TYPE(HfhubDesktop, hfhub_desktop, HFHUB, DESKTOP, GObject)

HfhubDesktop *
hfhub_desktop_new(HfhubEngine *engine);

G_END_DECLS
