#ifndef MAILSRVD_PEER_CREDENTIALS_H
#define MAILSRVD_PEER_CREDENTIALS_H

#include <sys/types.h>

/// The layout of glibc's `struct ucred`, which glibc declares only under _GNU_SOURCE and
/// so Swift's Glibc module does not see. Read with getsockopt(SOL_SOCKET, SO_PEERCRED);
/// peer_credentials.c checks at compile time that the layouts agree.
struct mailsrvd_ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

#endif
