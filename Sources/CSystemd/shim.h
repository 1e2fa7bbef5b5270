// libsystemd: sd_notify, sd_listen_fds and the journal.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
