// libunbound, the validating resolver library of NLnet Labs.
#include <unbound.h>
