/* Names and constants of the D-Bus contract, shared by hfhubd and clients. */
#pragma once

#define HFHUB_DBUS_NAME		 "io.github.hfhub.Hub1"
#define HFHUB_DBUS_PATH		 "/io/github/hfhub/Hub1"
#define HFHUB_DBUS_JOBS_PATH	 "/io/github/hfhub/Hub1/jobs"
#define HFHUB_DBUS_IFACE_MANAGER "io.github.hfhub.Hub1.Manager"
#define HFHUB_DBUS_IFACE_JOB	 "io.github.hfhub.Hub1.Job"
#define HFHUB_DBUS_IFACE_AUTH	 "io.github.hfhub.Hub1.Auth"
#define HFHUB_DBUS_IFACE_CACHE	 "io.github.hfhub.Hub1.Cache"
#define HFHUB_DBUS_IFACE_REPOS	 "io.github.hfhub.Hub1.Repos"
#define HFHUB_DBUS_ERROR_PREFIX	 "io.github.hfhub.Hub1.Error."

/* bumped whenever members are added to any interface:
 * 1  Manager, Job
 * 2  Auth, Cache, Repos; Manager.GetConfig/SetConfig, Job.SetPriority;
 *    uploads and commits on the Manager */
#define HFHUB_DBUS_API_VERSION 3
