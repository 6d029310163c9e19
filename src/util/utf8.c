/* libunistring's u8_check is the standard's definition; we link it for the character classes. */
#include "util/utf8.h"

#include <unistr.h>

int
utf8_valid(const void *s, size_t len)
{
    if (len == 0)
        return 1;
    return s != NULL && u8_check(s, len) == NULL;
}
