/* The JSON body parser (http_body_parse_json, src/http/body.c): any bytes, as a client may send
 * them. What it accepts must print as JSON that parses again to the same print (exact numbers
 * kept).
 *
 * Under SAVEALIFE_FUZZ_STRICT=1, what it accepts must also be I-JSON (RFC 7493) and parsed
 * without loss: the text is walked again here, beside the parsed tree, and must be one JSON
 * value (RFC 8259 grammar, nothing after it but white space, no raw NUL or control byte),
 * with unique member names free of U+0000, no lone surrogate escape, and every string the
 * tree holds equal to the one the text spells. */
#include <json-c/json.h>

#include "http/body.h"
#include "fuzz.h"

struct walk {
    const char *p, *end;
    const char *why; /* the first rule broken, or NULL */
};

static const char *
print(json_object *v)
{
    /* json-c prints NULL as "null", as the parser gives NULL for the literal null. */
    return json_object_to_json_string_ext(v,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static int
broken(struct walk *w, const char *why)
{
    if (w->why == NULL)
        w->why = why;
    return -1;
}

static void
skip_ws(struct walk *w)
{
    while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
        w->p++;
}

static int
hex4(struct walk *w, unsigned *out)
{
    unsigned v = 0;

    if (w->end - w->p < 4)
        return broken(w, "short \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = *w->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return broken(w, "bad \\u escape");
    }
    *out = v;
    return 0;
}

static void
put_utf8(char *buf, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        buf[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        buf[(*n)++] = (char)(0xc0 | cp >> 6);
        buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        buf[(*n)++] = (char)(0xe0 | cp >> 12);
        buf[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
        buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        buf[(*n)++] = (char)(0xf0 | cp >> 18);
        buf[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3f));
        buf[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
        buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
}

/* A string at w->p, decoded into a new buffer (*len bytes; it may hold NULs). */
static char *
string(struct walk *w, size_t *len)
{
    char *buf;
    size_t n = 0;

    if (w->p >= w->end || *w->p != '"') {
        broken(w, "not JSON where a string must be");
        return NULL;
    }
    w->p++;
    /* Decoding never makes the text longer. */
    buf = malloc((size_t)(w->end - w->p) + 1);
    FUZZ_CHECK(buf != NULL);
    while (w->p < w->end && *w->p != '"') {
        unsigned char c = (unsigned char)*w->p++;
        unsigned cp, lo;
        if (c < 0x20) {
            broken(w, "raw control character in a string");
            goto fail;
        }
        if (c != '\\') {
            buf[n++] = (char)c;
            continue;
        }
        if (w->p >= w->end)
            break;
        c = (unsigned char)*w->p++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            buf[n++] = (char)c;
            break;
        case 'b':
            buf[n++] = '\b';
            break;
        case 'f':
            buf[n++] = '\f';
            break;
        case 'n':
            buf[n++] = '\n';
            break;
        case 'r':
            buf[n++] = '\r';
            break;
        case 't':
            buf[n++] = '\t';
            break;
        case 'u':
            if (hex4(w, &cp) != 0)
                goto fail;
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                broken(w, "lone low surrogate escape");
                goto fail;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (w->end - w->p < 6 || w->p[0] != '\\' || w->p[1] != 'u') {
                    broken(w, "lone high surrogate escape");
                    goto fail;
                }
                w->p += 2;
                if (hex4(w, &lo) != 0)
                    goto fail;
                if (lo < 0xdc00 || lo > 0xdfff) {
                    broken(w, "lone high surrogate escape");
                    goto fail;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            put_utf8(buf, &n, cp);
            break;
        default:
            broken(w, "bad escape");
            goto fail;
        }
    }
    if (w->p >= w->end) {
        broken(w, "unterminated string");
        goto fail;
    }
    w->p++;
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    free(buf);
    return NULL;
}

static int
digits(struct walk *w)
{
    const char *start = w->p;

    while (w->p < w->end && *w->p >= '0' && *w->p <= '9')
        w->p++;
    return w->p > start ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
number(struct walk *w)
{
    if (w->p < w->end && *w->p == '-')
        w->p++;
    if (w->p < w->end && *w->p == '0')
        w->p++;
    else if (w->p >= w->end || *w->p < '1' || *w->p > '9' || digits(w) != 0)
        return broken(w, "number outside JSON's grammar");
    if (w->p < w->end && *w->p == '.') {
        w->p++;
        if (digits(w) != 0)
            return broken(w, "number outside JSON's grammar");
    }
    if (w->p < w->end && (*w->p == 'e' || *w->p == 'E')) {
        w->p++;
        if (w->p < w->end && (*w->p == '+' || *w->p == '-'))
            w->p++;
        if (digits(w) != 0)
            return broken(w, "number outside JSON's grammar");
    }
    if (w->p < w->end && ((*w->p >= '0' && *w->p <= '9') || *w->p == '.'))
        return broken(w, "number outside JSON's grammar"); /* 01, 1.2.3 */
    return 0;
}

static int
literal(struct walk *w, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(w->end - w->p) < n || memcmp(w->p, word, n) != 0)
        return broken(w, "not JSON");
    w->p += n;
    return 0;
}

static int value(struct walk *w, json_object *v);

static int
object(struct walk *w, json_object *v)
{
    char **names = NULL;
    size_t *lens = NULL, count = 0;
    int rc = -1;

    if (!json_object_is_type(v, json_type_object))
        return broken(w, "an object parsed as something else");
    w->p++;
    skip_ws(w);
    if (w->p < w->end && *w->p == '}') {
        w->p++;
        rc = 0;
        goto out;
    }
    for (;;) {
        json_object *member;
        size_t len;
        char *name;

        skip_ws(w);
        name = string(w, &len);
        if (name == NULL)
            goto out;
        names = realloc(names, (count + 1) * sizeof(*names));
        lens = realloc(lens, (count + 1) * sizeof(*lens));
        FUZZ_CHECK(names != NULL && lens != NULL);
        names[count] = name;
        lens[count++] = len;
        if (memchr(name, '\0', len) != NULL) {
            broken(w, "U+0000 in a member name");
            goto out;
        }
        for (size_t i = 0; i + 1 < count; i++)
            if (lens[i] == len && memcmp(names[i], name, len) == 0) {
                broken(w, "duplicate member name");
                goto out;
            }
        skip_ws(w);
        if (w->p >= w->end || *w->p != ':') {
            broken(w, "not JSON (no ':')");
            goto out;
        }
        w->p++;
        if (!json_object_object_get_ex(v, name, &member)) {
            broken(w, "a member lost");
            goto out;
        }
        if (value(w, member) != 0)
            goto out;
        skip_ws(w);
        if (w->p < w->end && *w->p == ',') {
            w->p++;
            continue;
        }
        if (w->p < w->end && *w->p == '}') {
            w->p++;
            break;
        }
        broken(w, "not JSON (no ',' or '}')");
        goto out;
    }
    if ((size_t)json_object_object_length(v) != count) {
        broken(w, "members lost");
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    free(lens);
    return rc;
}

static int
array(struct walk *w, json_object *v)
{
    size_t i = 0;

    if (!json_object_is_type(v, json_type_array))
        return broken(w, "an array parsed as something else");
    w->p++;
    skip_ws(w);
    if (w->p < w->end && *w->p == ']') {
        w->p++;
        return json_object_array_length(v) == 0 ? 0 : broken(w, "elements made up");
    }
    for (;; i++) {
        if (i >= json_object_array_length(v))
            return broken(w, "elements lost");
        if (value(w, json_object_array_get_idx(v, i)) != 0)
            return -1;
        skip_ws(w);
        if (w->p < w->end && *w->p == ',') {
            w->p++;
            continue;
        }
        if (w->p < w->end && *w->p == ']') {
            w->p++;
            break;
        }
        return broken(w, "not JSON (no ',' or ']')");
    }
    return i + 1 == json_object_array_length(v) ? 0 : broken(w, "elements lost");
}

static int
value(struct walk *w, json_object *v)
{
    char *s;
    size_t len;
    int rc;

    skip_ws(w);
    if (w->p >= w->end)
        return broken(w, "not JSON (no value)");
    switch (*w->p) {
    case '{':
        return object(w, v);
    case '[':
        return array(w, v);
    case '"':
        if ((s = string(w, &len)) == NULL)
            return -1;
        rc = json_object_is_type(v, json_type_string) &&
                     (size_t)json_object_get_string_len(v) == len &&
                     memcmp(json_object_get_string(v), s, len) == 0
                 ? 0
                 : broken(w, "a string changed by parsing");
        free(s);
        return rc;
    case 't':
        return literal(w, "true");
    case 'f':
        return literal(w, "false");
    case 'n':
        return literal(w, "null");
    default:
        return number(w);
    }
}

/* The rule of I-JSON an accepted text breaks, or NULL. */
static const char *
ijson_broken(const char *text, size_t len, json_object *doc)
{
    struct walk w = {text, text + len, NULL};

    if (value(&w, doc) == 0) {
        skip_ws(&w);
        if (w.p != w.end)
            broken(&w, "bytes after the value");
    }
    return w.why;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *doc = NULL, *again = NULL;
    const char *why;
    char *first, message[320];
    http_body_status st;

    memset(message, 0, sizeof(message));
    st = http_body_parse_json((const char *)data, size, &doc, message, sizeof(message));
    if (st != HTTP_BODY_OK) {
        FUZZ_CHECK(doc == NULL);
        FUZZ_CHECK(st == HTTP_BODY_INVALID || st == HTTP_BODY_NOMEM);
        FUZZ_CHECK(memchr(message, '\0', sizeof(message)) != NULL);
        return 0;
    }
    if (fuzz_strict() && (why = ijson_broken((const char *)data, size, doc)) != NULL) {
        fprintf(stderr, "accepted, but not I-JSON: %s\n", why);
        FUZZ_CHECK(why == NULL);
    }
    first = strdup(print(doc));
    FUZZ_CHECK(first != NULL);
    st = http_body_parse_json(first, strlen(first), &again, message, sizeof(message));
    if (st != HTTP_BODY_OK)
        fprintf(stderr, "the print of an accepted body is refused: %s\n", message);
    FUZZ_CHECK(st == HTTP_BODY_OK);
    FUZZ_CHECK(strcmp(first, print(again)) == 0);
    free(first);
    json_object_put(again);
    json_object_put(doc);
    return 0;
}
