/* The client's JSON body: strict RFC 8259, I-JSON (RFC 7493), and every number's exact text
 * kept, which json-c alone does not do (body.h). */
#include "http/body.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* json_tokener's depth: room for the 32 levels DynamoDB keeps plus the item and the $set and
 * $binary wrappers, so that a value too deep for the database is refused by the marshalling
 * that names its path, not here. */
#define HTTP_BODY_MAX_DEPTH 64

static http_body_status body_fail(char *why, size_t whylen, http_body_status st, const char *fmt,
                                  ...) __attribute__((format(printf, 4, 5)));

/* Writes why the text is refused (when asked for) and returns st. */
static http_body_status
body_fail(char *why, size_t whylen, http_body_status st, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || whylen == 0)
        return st;
    va_start(ap, fmt);
    if (vsnprintf(why, whylen, fmt, ap) < 0)
        why[0] = '\0';
    va_end(ap);
    return st;
}

static int
body_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The parser's answer to json_tokener clamping integers beyond int64/uint64: before
 * parsing, such an integer X is written "X.0" so that the tokener takes it for a double and
 * keeps its text; afterwards the ".0" is taken off again. To keep this reversible, a number
 * already written "X.0", "X.00"... with such an X gets one more '0', taken off afterwards. */

/* Whether the digits d[0..n) name an integer json-c cannot hold (below INT64_MIN if
 * negative, above UINT64_MAX otherwise). */
static int
int_overflows(const char *d, size_t n, int negative)
{
    const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
    size_t ln = strlen(limit);

    while (n > 1 && *d == '0') {
        d++;
        n--;
    }
    if (n != ln)
        return n > ln;
    return memcmp(d, limit, n) > 0;
}

/* For a number token t[0..n): the length of its big integer part ("-X") when it is "-X" or
 * "-X.0..." with X overflowing json-c's integers, else 0. */
static size_t
bigint_part(const char *t, size_t n)
{
    size_t i = 0, at;
    int negative = 0;

    if (i < n && t[i] == '-') {
        negative = 1;
        i++;
    }
    at = i;
    while (i < n && body_is_digit(t[i]))
        i++;
    if (i == at || !int_overflows(t + at, i - at, negative))
        return 0;
    if (i == n)
        return i;
    if (t[i] != '.' || i + 1 == n)
        return 0;
    for (at = i + 1; at < n; at++)
        if (t[at] != '0')
            return 0;
    return i;
}

static void
emit(char *out, size_t *o, const char *s, size_t n)
{
    if (out != NULL)
        memcpy(out + *o, s, n);
    *o += n;
}

/* What RFC 7493 (I-JSON) refuses that json-c takes, found by the same scan: the members of
 * every object (one ':' outside strings each), so that a duplicate name, which json-c merges,
 * shows as a tree with fewer members than the text; and why the text is refused, for a lone
 * surrogate escape (json-c stores U+FFFD) or a member name holding \u0000 (json-c cuts the
 * name there). */
struct ijson_scan {
    size_t members;
    const char *why; /* NULL while nothing is refused */
};

/* The value of the four hex digits at s (0..0xFFFF), or -1. */
static long
hex4(const char *s)
{
    long v = 0;

    for (int k = 0; k < 4; k++) {
        char c = s[k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The end of the string that starts at in[i] (its opening quote), past the closing quote.
 * Sets sc->why for a lone surrogate, and *nul when it holds \u0000. */
static size_t
ijson_string(const char *in, size_t len, size_t i, struct ijson_scan *sc, int *nul)
{
    size_t j = i + 1;
    long v, lo;

    *nul = 0;
    while (j < len && in[j] != '"') {
        if ((unsigned char)in[j] < 0x20) {
            sc->why = "a control character not escaped in a string";
            return j;
        }
        if (in[j] != '\\' || j + 1 >= len) {
            j++;
            continue;
        }
        if (in[j + 1] != 'u' || len - j < 6 || (v = hex4(in + j + 2)) < 0) {
            j += 2; /* any other escape, or a malformed one the tokener refuses */
            continue;
        }
        j += 6;
        if (v == 0)
            *nul = 1;
        if (v >= 0xDC00 && v <= 0xDFFF)
            sc->why = "a lone low surrogate escape";
        if (v >= 0xD800 && v <= 0xDBFF) {
            if (len - j < 6 || in[j] != '\\' || in[j + 1] != 'u' ||
                (lo = hex4(in + j + 2)) < 0xDC00 || lo > 0xDFFF)
                sc->why = "a lone high surrogate escape";
            else
                j += 6;
        }
    }
    return j < len ? j + 1 : j;
}

/* Copies the string in[i..j) (quotes included, already checked by ijson_string) to out, with
 * every surrogate pair escape ("\ud836\ude01") written as the UTF-8 bytes of its code point:
 * json-c 0.16 decodes the pairs of U+1D800..U+1DFFF to U+FFFD (found by the fuzz target),
 * and takes those bytes whole. Any other escape is copied as written. */
static void
emit_string(const char *in, size_t i, size_t j, char *out, size_t *o)
{
    long hi, lo;
    unsigned long cp;
    char utf8[4];

    while (i < j) {
        if (in[i] != '\\' || i + 1 >= j) {
            emit(out, o, in + i, 1);
            i++;
            continue;
        }
        if (in[i + 1] == 'u' && j - i >= 12 && (hi = hex4(in + i + 2)) >= 0xD800 && hi <= 0xDBFF &&
            in[i + 6] == '\\' && in[i + 7] == 'u' && (lo = hex4(in + i + 8)) >= 0xDC00 &&
            lo <= 0xDFFF) {
            cp = 0x10000 + (((unsigned long)hi - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
            utf8[0] = (char)(0xF0 | (cp >> 18));
            utf8[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
            utf8[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
            utf8[3] = (char)(0x80 | (cp & 0x3F));
            emit(out, o, utf8, 4);
            i += 12;
            continue;
        }
        /* Any other escape: both characters, so that an escaped backslash is never read as
         * the start of another escape. */
        emit(out, o, in + i, 2);
        i += 2;
    }
}

/* Whether s[0..n) is a number as JSON writes one (RFC 8259 6): an optional '-', 0 or digits
 * not starting with 0, then an optional fraction with digits and an optional exponent with
 * digits. json-c also takes "06.5", "13." and "-23.E24". */
static int
json_number_ok(const char *s, size_t n)
{
    size_t i = 0, d;

    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && body_is_digit(s[i]))
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        for (i++, d = 0; i < n && body_is_digit(s[i]); i++, d++)
            ;
        if (d == 0)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (d = 0; i < n && body_is_digit(s[i]); i++, d++)
            ;
        if (d == 0)
            return 0;
    }
    return i == n;
}

/* Writes the rewritten text to out (if not NULL); returns its length, or SIZE_MAX for a
 * single quote outside a string or what sc->why says. Strings are copied with their digits
 * untouched (in strict JSON they are the only place a digit can hide), their surrogate pair
 * escapes written as UTF-8 (emit_string). json-c 0.16 takes 'single-quoted' object
 * keys even when strict; they are not JSON, and refusing them keeps this scan in step with
 * the tokener. sc also counts the members (see struct ijson_scan). */
static size_t
bigint_rewrite(const char *in, size_t len, char *out, struct ijson_scan *sc)
{
    size_t i = 0, o = 0, j, n, part;
    int nul;

    sc->members = 0;
    sc->why = NULL;
    while (i < len) {
        if (in[i] == '\0') {
            /* The tokener stops here, and what follows is refused as bytes after the value. */
            emit(out, &o, in + i, len - i);
            break;
        }
        if (in[i] == '"') {
            j = ijson_string(in, len, i, sc, &nul);
            if (sc->why != NULL)
                return SIZE_MAX;
            emit_string(in, i, j, out, &o);
            i = j;
            /* A member name is a string followed by ':'. */
            while (nul && j < len &&
                   (in[j] == ' ' || in[j] == '\t' || in[j] == '\n' || in[j] == '\r'))
                j++;
            if (nul && j < len && in[j] == ':') {
                sc->why = "a member name holds \\u0000";
                return SIZE_MAX;
            }
            /* No text of this API may hold U+0000, and json-c does not always keep a string
             * that holds it whole (found by the fuzz targets). */
            if (nul) {
                sc->why = "a string holds \\u0000";
                return SIZE_MAX;
            }
        } else if (in[i] == '\'') {
            sc->why = "single-quoted string";
            return SIZE_MAX;
        } else if (in[i] == '-' || body_is_digit(in[i])) {
            for (n = 0;
                 i + n < len && (body_is_digit(in[i + n]) || in[i + n] == '.' || in[i + n] == 'e' ||
                                 in[i + n] == 'E' || in[i + n] == '+' || in[i + n] == '-');
                 n++)
                ;
            if (!json_number_ok(in + i, n)) {
                sc->why = "a number outside JSON's grammar";
                return SIZE_MAX;
            }
            part = bigint_part(in + i, n);
            emit(out, &o, in + i, n);
            if (part == n)
                emit(out, &o, ".0", 2);
            else if (part > 0)
                emit(out, &o, "0", 1);
            i += n;
        } else if ((in[i] >= 'a' && in[i] <= 'z') || (in[i] >= 'A' && in[i] <= 'Z')) {
            /* json-c also takes NaN, Infinity and the like; JSON has these three words. */
            for (n = 0; i + n < len && ((in[i + n] >= 'a' && in[i + n] <= 'z') ||
                                        (in[i + n] >= 'A' && in[i + n] <= 'Z'));
                 n++)
                ;
            if (!((n == 4 && memcmp(in + i, "true", 4) == 0) ||
                  (n == 5 && memcmp(in + i, "false", 5) == 0) ||
                  (n == 4 && memcmp(in + i, "null", 4) == 0))) {
                sc->why = "a word other than true, false or null";
                return SIZE_MAX;
            }
            emit(out, &o, in + i, n);
            i += n;
        } else {
            if (in[i] == ':')
                sc->members++;
            emit(out, &o, in + i, 1);
            i++;
        }
    }
    return o;
}

/* Undoes bigint_rewrite on the parsed tree: "X.0" -> "X", "X.00..." -> one '0' fewer. Adds
 * the members of every object to *members, for the duplicate check. */
static int
bigint_restore(json_object *o, size_t *members)
{
    struct json_object_iter it;
    const char *text;
    char *fixed;
    size_t len, part, i, n;

    switch (json_object_get_type(o)) {
    case json_type_object:
        *members += (size_t)json_object_object_length(o);
        json_object_object_foreachC(o, it)
        {
            if (bigint_restore(it.val, members) != 0)
                return -1;
        }
        return 0;
    case json_type_array:
        n = json_object_array_length(o);
        for (i = 0; i < n; i++) {
            if (bigint_restore(json_object_array_get_idx(o, i), members) != 0)
                return -1;
        }
        return 0;
    case json_type_double:
        text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
        if (text == NULL)
            return -1;
        part = bigint_part(text, len);
        if (part == 0 || part == len)
            return 0;
        len = len - part == 2 ? part : len - 1;
        fixed = malloc(len + 1);
        if (fixed == NULL)
            return -1;
        memcpy(fixed, text, len);
        fixed[len] = '\0';
        json_object_set_serializer(o, json_object_userdata_to_json_string, fixed,
                                   json_object_free_userdata);
        return 0;
    default:
        return 0;
    }
}

http_body_status
http_body_parse_json(const char *text, size_t len, json_object **out, char *why, size_t whylen)
{
    char *buf = NULL;
    json_tokener *tok = NULL;
    json_object *doc = NULL;
    enum json_tokener_error jerr;
    struct ijson_scan sc;
    size_t n, members = 0;
    http_body_status st = HTTP_BODY_OK;

    if (why != NULL && whylen > 0)
        why[0] = '\0';
    if (out == NULL || (text == NULL && len > 0))
        return body_fail(why, whylen, HTTP_BODY_INVALID, "%s", "no text or no output");
    *out = NULL;
    /* json-c's own UTF-8 check lets encoded surrogates (ED A0 80) through. */
    if (!utf8_valid(text, len))
        return body_fail(why, whylen, HTTP_BODY_INVALID, "%s",
                         "invalid JSON: text is not valid UTF-8");
    n = bigint_rewrite(text, len, NULL, &sc);
    if (n == SIZE_MAX)
        return body_fail(why, whylen, HTTP_BODY_INVALID, "invalid JSON: %s", sc.why);
    /* json_tokener takes an int length, and this one includes the final '\0'. */
    if (n >= INT_MAX)
        return body_fail(why, whylen, HTTP_BODY_INVALID, "%s", "JSON text is too long");
    buf = malloc(n + 1);
    tok = json_tokener_new_ex(HTTP_BODY_MAX_DEPTH);
    if (buf == NULL || tok == NULL) {
        st = body_fail(why, whylen, HTTP_BODY_NOMEM, "%s", "out of memory");
        goto done;
    }
    bigint_rewrite(text, len, buf, &sc);
    buf[n] = '\0';
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* The '\0' is passed too, so that a number at the very end is complete. */
    doc = json_tokener_parse_ex(tok, buf, (int)n + 1);
    jerr = json_tokener_get_error(tok);
    if (jerr != json_tokener_success) {
        st = body_fail(why, whylen, HTTP_BODY_INVALID, "invalid JSON: %s",
                       json_tokener_error_desc(jerr));
        goto done;
    }
    /* The tokener stops at a NUL byte: whatever follows it is not whitespace. */
    if (json_tokener_get_parse_end(tok) < n) {
        st = body_fail(why, whylen, HTTP_BODY_INVALID, "%s", "invalid JSON: bytes after the value");
        goto done;
    }
    if (bigint_restore(doc, &members) != 0) {
        st = body_fail(why, whylen, HTTP_BODY_NOMEM, "%s", "out of memory");
        goto done;
    }
    if (members != sc.members) {
        st = body_fail(why, whylen, HTTP_BODY_INVALID, "%s",
                       "invalid JSON: a member name given twice");
        goto done;
    }
    *out = doc;
    doc = NULL;

done:
    json_object_put(doc);
    json_tokener_free(tok);
    free(buf);
    return st;
}
