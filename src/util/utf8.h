/* The one UTF-8 check every layer uses. */
#ifndef SAVEALIFE_UTIL_UTF8_H
#define SAVEALIFE_UTIL_UTF8_H

#include <stddef.h>

/* Whether s[0..len) is well-formed UTF-8 (Unicode 3.9, table 3-7: no overlong form, no
 * surrogate, nothing above U+10FFFF); a NUL inside is U+0000. 1 or 0. */
int utf8_valid(const void *s, size_t len);

#endif
