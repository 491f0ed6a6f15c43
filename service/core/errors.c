#include "core/errors.h"

G_DEFINE_QUARK(cirrina - error - quark, cirrina_error)
