// libidn2: IDNA2008 / UTS 46 conversion of domain names to A-labels.
#include <idn2.h>
