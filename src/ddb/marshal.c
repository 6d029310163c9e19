/* Plain JSON <-> DynamoDB attribute values, exact numbers, and item size by the AWS rules.
 * The plain conventions ($binary, $set) are described in marshal.h. */
#include "ddb/marshal.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/utf8.h"

/* DynamoDB nests documents at most 32 levels deep: an item's attribute is level 1, and AWS
 * accepts a scalar inside 31 maps or lists (level 32) but not inside 32. */
#define MARSHAL_MAX_DEPTH 32

/* Number limits (DynamoDB developer guide, "Supported data types", Number): at most 38
 * significant digits; magnitudes 1E-130 .. 9.99..E+125. Exponents are of the leading digit. */
#define NUM_MAX_DIGITS 38
#define NUM_MAX_EXP 125
#define NUM_MIN_EXP (-130)
/* Exponents this large are out of range anyway; saturating keeps the parse overflow-free. */
#define NUM_EXP_CAP 100000000LL
/* A canonical NS member ("+125:" and 38 digits) fits with room to spare. */
#define NUM_KEY_MAX 48

/* How much of a bad value is quoted back in an error message. */
#define QUOTE_MAX 40

#define ATTR_PATH_MAX 200

/* Where in a document a failure is, as "donor.addresses[2].zip", for error messages. */
struct attr_path {
    char buf[ATTR_PATH_MAX];
    size_t len;
};

/* A decimal number as DynamoDB reads it (the grammar of Java's BigDecimal). */
struct number {
    int negative;
    const char *int_digits; /* digits before the point */
    size_t n_int;
    const char *frac_digits; /* digits after the point */
    size_t n_frac;
    const char *exp_text; /* "e-5" as written, "" when absent */
    size_t n_exp;
    size_t first;    /* index of the first significant digit among int and frac digits */
    size_t n_sig;    /* significant digits: leading and trailing zeros don't count */
    long long exp10; /* exponent of the first significant digit; 0 for zero */
};

enum num_check { NUM_OK, NUM_SYNTAX, NUM_TOO_PRECISE, NUM_TOO_LARGE, NUM_TOO_SMALL };

enum set_kind { SET_S, SET_N, SET_B };

static const char *const set_av_type[] = {"SS", "NS", "BS"};
static const char *const set_kind_name[] = {"string", "number", "binary"};

/* One set member: its text as sent (string, number, base64) and what duplicates compare. */
struct set_member {
    const char *text;
    size_t len;
    const char *key;
    size_t key_len;
};

static ddb_status to_av(json_object *plain, int depth, struct attr_path *p, json_object **out,
                        struct ddb_error *err);
static ddb_status from_av(json_object *av, int depth, struct attr_path *p, json_object **plain,
                          size_t *size, struct ddb_error *err);

/* Appends ".key" (or "key" first), cut at the end of the buffer. Copied by hand: it runs for
 * every attribute of every item, and only matters when something fails. */
static size_t
path_push_key(struct attr_path *p, const char *key)
{
    size_t mark = p->len;

    if (p->len > 0 && p->len + 1 < sizeof(p->buf))
        p->buf[p->len++] = '.';
    for (; *key != '\0' && p->len + 1 < sizeof(p->buf); key++)
        p->buf[p->len++] = *key;
    p->buf[p->len] = '\0';
    return mark;
}

static size_t
path_push_index(struct attr_path *p, size_t i)
{
    size_t mark = p->len;
    size_t room = sizeof(p->buf) - p->len;
    int n = snprintf(p->buf + p->len, room, "[%zu]", i);

    if (n < 0)
        p->buf[mark] = '\0';
    else
        p->len = (size_t)n >= room ? sizeof(p->buf) - 1 : p->len + (size_t)n;
    return mark;
}

static void
path_pop(struct attr_path *p, size_t mark)
{
    p->len = mark;
    p->buf[mark] = '\0';
}

static ddb_status fail(struct ddb_error *err, ddb_status status, const struct attr_path *p,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets err to "<path>: <what>" and returns status. */
static ddb_status
fail(struct ddb_error *err, ddb_status status, const struct attr_path *p, const char *fmt, ...)
{
    char what[320];
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(what, sizeof(what), fmt, ap) < 0)
        what[0] = '\0';
    va_end(ap);
    if (p != NULL && p->len > 0)
        return ddb_error_set(err, status, "%s: %s", p->buf, what);
    return ddb_error_set(err, status, "%s", what);
}

static ddb_status
nomem(struct ddb_error *err, const struct attr_path *p)
{
    return fail(err, DDB_ERR_NOMEM, p, "out of memory");
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Sizes are sums over the document; saturate rather than wrap on absurd shared trees. */
static size_t
size_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static json_object *
new_string(const char *s, size_t len)
{
    if (len > INT_MAX)
        return NULL;
    return json_object_new_string_len(s, (int)len);
}

/* Checks that text is padded standard base64 in its one canonical form (equal bytes, equal
 * text) and sets *bytes to its decoded size. */
static ddb_status
binary_size(const char *text, size_t len, size_t *bytes, const struct attr_path *p,
            struct ddb_error *err)
{
    unsigned char *raw = NULL;
    int rc = base64_decode(text, len, &raw, bytes);

    free(raw);
    if (rc == BASE64_NOMEM)
        return nomem(err, p);
    if (rc != BASE64_OK)
        return fail(err, DDB_ERR_INVALID, p, "binary is not canonical padded base64");
    return DDB_OK;
}

static char
number_digit(const struct number *n, size_t k)
{
    return k < n->n_int ? n->int_digits[k] : n->frac_digits[k - n->n_int];
}

/* Reads s[0..len) as [+-]digits[.digits][(e|E)[+-]digits] (at least one mantissa digit)
 * and checks DynamoDB's precision and range. '+' and forms like ".5" and "5." are allowed
 * because DynamoDB parses numbers like Java's BigDecimal (it accepts "+5", stored as "5"). */
static enum num_check
number_parse(const char *s, size_t len, struct number *n)
{
    size_t i = 0, total, k, last, exp_at;
    long long exp = 0;
    int exp_negative = 0;

    memset(n, 0, sizeof(*n));
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        n->negative = s[i] == '-';
        i++;
    }
    n->int_digits = s + i;
    while (i < len && is_digit(s[i]))
        i++;
    n->n_int = (size_t)(s + i - n->int_digits);
    n->frac_digits = s + i;
    if (i < len && s[i] == '.') {
        i++;
        n->frac_digits = s + i;
        while (i < len && is_digit(s[i]))
            i++;
        n->n_frac = (size_t)(s + i - n->frac_digits);
    }
    if (n->n_int + n->n_frac == 0)
        return NUM_SYNTAX;
    n->exp_text = s + i;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+')) {
            exp_negative = s[i] == '-';
            i++;
        }
        exp_at = i;
        while (i < len && is_digit(s[i])) {
            if (exp < NUM_EXP_CAP)
                exp = exp * 10 + (s[i] - '0');
            i++;
        }
        if (i == exp_at)
            return NUM_SYNTAX;
        n->n_exp = (size_t)(s + i - n->exp_text);
    }
    if (i != len)
        return NUM_SYNTAX;

    total = n->n_int + n->n_frac;
    for (k = 0; k < total && number_digit(n, k) == '0'; k++)
        ;
    if (k == total)
        return NUM_OK; /* zero, whatever its exponent */
    for (last = total - 1; number_digit(n, last) == '0'; last--)
        ;
    n->first = k;
    n->n_sig = last - k + 1;
    n->exp10 = (exp_negative ? -exp : exp) + (long long)n->n_int - (long long)k - 1;
    if (n->exp10 > NUM_MAX_EXP)
        return NUM_TOO_LARGE;
    if (n->exp10 < NUM_MIN_EXP)
        return NUM_TOO_SMALL;
    if (n->n_sig > NUM_MAX_DIGITS)
        return NUM_TOO_PRECISE;
    return NUM_OK;
}

static const char *
number_problem(enum num_check c)
{
    switch (c) {
    case NUM_SYNTAX:
        return "is not a decimal number";
    case NUM_TOO_PRECISE:
        return "has more than 38 significant digits";
    case NUM_TOO_LARGE:
        return "is larger in magnitude than 9.9999999999999999999999999999999999999E+125";
    case NUM_TOO_SMALL:
        return "is smaller in magnitude than 1E-130";
    case NUM_OK:
        break;
    }
    return "is valid";
}

/* A form equal numbers share ("1", "1.0" and "10E-1" all give "+0:1"), to find NS
 * duplicates the way DynamoDB does. buf holds NUM_KEY_MAX bytes; returns the length. */
static size_t
number_key(const struct number *n, char *buf)
{
    size_t len, k;
    int w;

    if (n->n_sig == 0) {
        buf[0] = '0';
        return 1;
    }
    w = snprintf(buf, NUM_KEY_MAX, "%c%lld:", n->negative ? '-' : '+', n->exp10);
    len = w < 0 ? 0 : (size_t)w;
    for (k = 0; k < n->n_sig && len < NUM_KEY_MAX; k++)
        buf[len++] = number_digit(n, n->first + k);
    return len;
}

/* "The size of a number is approximately (number of UTF-8-encoded bytes of attribute name)
 * + (1 byte per two significant digits) + (1 byte)" (DynamoDB developer guide, "DynamoDB
 * item sizes and formats"); an odd digit takes a byte of its own, zero is 1 byte. */
static size_t
number_size(const struct number *n)
{
    return (n->n_sig + 1) / 2 + 1;
}

/* The plain JSON number for a valid N: its own text when that is JSON already, else the
 * same value in JSON's grammar ("+5" -> "5", ".5" -> "0.5", "007" -> "7", "5." -> "5").
 * Integers that fit 64 bits become json-c ints (so json_object_get_int64 works); the rest
 * keep their text through json_object_new_double_s, whose double is only a convenience. */
static ddb_status
plain_number_new(const char *text, size_t len, json_object **out)
{
    struct number n;
    char *json, *end;
    size_t o = 0, z = 0;
    json_object *num = NULL;

    *out = NULL;
    if (number_parse(text, len, &n) != NUM_OK || len > SIZE_MAX - 3)
        return DDB_ERR_INVALID;
    json = malloc(len + 3);
    if (json == NULL)
        return DDB_ERR_NOMEM;
    if (n.negative)
        json[o++] = '-';
    if (n.n_int == 0) {
        json[o++] = '0';
    } else {
        while (z + 1 < n.n_int && n.int_digits[z] == '0')
            z++;
        memcpy(json + o, n.int_digits + z, n.n_int - z);
        o += n.n_int - z;
    }
    if (n.n_frac > 0) {
        json[o++] = '.';
        memcpy(json + o, n.frac_digits, n.n_frac);
        o += n.n_frac;
    }
    memcpy(json + o, n.exp_text, n.n_exp);
    o += n.n_exp;
    json[o] = '\0';

    /* "-0" stays text: as an int it would print as "0". */
    if (n.n_frac == 0 && n.n_exp == 0 && !(n.negative && n.n_sig == 0)) {
        errno = 0;
        if (n.negative) {
            long long v = strtoll(json, &end, 10);
            if (errno == 0 && *end == '\0')
                num = json_object_new_int64(v);
        } else {
            unsigned long long v = strtoull(json, &end, 10);
            if (errno == 0 && *end == '\0')
                num =
                    v <= INT64_MAX ? json_object_new_int64((int64_t)v) : json_object_new_uint64(v);
        }
    }
    /* strtod follows the C locale's decimal point, which this program never changes. */
    if (num == NULL)
        num = json_object_new_double_s(strtod(json, NULL), json);
    free(json);
    if (num == NULL)
        return DDB_ERR_NOMEM;
    *out = num;
    return DDB_OK;
}

/* The decimal text of a json-c number: parsed doubles print their original text
 * (json_tokener keeps it with json_object_new_double_s), ints print exactly. */
static ddb_status
plain_number_text(json_object *num, const struct attr_path *p, const char **text, size_t *len,
                  struct ddb_error *err)
{
    struct number n;
    enum num_check c;

    *text = json_object_to_json_string_length(num, JSON_C_TO_STRING_PLAIN, len);
    if (*text == NULL)
        return nomem(err, p);
    c = number_parse(*text, *len, &n);
    if (c != NUM_OK)
        return fail(err, DDB_ERR_INVALID, p, "number %.*s %s", QUOTE_MAX, *text, number_problem(c));
    return DDB_OK;
}

/* Takes val, always: {type: val} in *out, or val released on failure. */
static ddb_status
wrap(const char *type, json_object *val, json_object **out, const struct attr_path *p,
     struct ddb_error *err)
{
    json_object *o;

    if (val == NULL)
        return nomem(err, p);
    o = json_object_new_object();
    if (o == NULL || json_object_object_add(o, type, val) != 0) {
        json_object_put(val);
        json_object_put(o);
        return nomem(err, p);
    }
    *out = o;
    return DDB_OK;
}

static int
member_cmp(const void *a, const void *b)
{
    const struct set_member *x = *(const struct set_member *const *)a;
    const struct set_member *y = *(const struct set_member *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = n > 0 ? memcmp(x->key, y->key, n) : 0;

    if (c != 0)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* Sorts equal keys by position, so that the later of two duplicates is the one reported. */
static int
member_sort_cmp(const void *a, const void *b)
{
    const struct set_member *x = *(const struct set_member *const *)a;
    const struct set_member *y = *(const struct set_member *const *)b;
    int c = member_cmp(a, b);

    if (c != 0)
        return c;
    return (x > y) - (x < y);
}

/* Validates the members of a set of one kind, adds their sizes ("sum of elements") and
 * rejects duplicates, found by sorting so that a large set costs n log n, not n^2. */
static ddb_status
set_check(enum set_kind kind, struct set_member *m, size_t n, struct attr_path *p, size_t *size,
          struct ddb_error *err)
{
    char *num_keys = NULL;
    struct set_member **sorted = NULL;
    ddb_status st = DDB_OK;
    size_t i, mark, total = 0, bytes = 0;
    struct number num;
    enum num_check c;

    if (n == 0)
        return fail(err, DDB_ERR_INVALID, p, "a set must not be empty");
    if (kind == SET_N) {
        if (n > SIZE_MAX / NUM_KEY_MAX)
            return nomem(err, p);
        num_keys = malloc(n * NUM_KEY_MAX);
        if (num_keys == NULL)
            return nomem(err, p);
    }
    for (i = 0; i < n; i++) {
        mark = path_push_index(p, i);
        m[i].key = m[i].text;
        m[i].key_len = m[i].len;
        switch (kind) {
        case SET_S:
            if (!utf8_valid((const unsigned char *)m[i].text, m[i].len))
                st = fail(err, DDB_ERR_INVALID, p, "string is not valid UTF-8");
            bytes = m[i].len;
            break;
        case SET_N:
            c = number_parse(m[i].text, m[i].len, &num);
            if (c != NUM_OK) {
                st = fail(err, DDB_ERR_INVALID, p, "number %.*s %s", QUOTE_MAX, m[i].text,
                          number_problem(c));
                break;
            }
            bytes = number_size(&num);
            m[i].key = num_keys + i * NUM_KEY_MAX;
            m[i].key_len = number_key(&num, num_keys + i * NUM_KEY_MAX);
            break;
        case SET_B:
            st = binary_size(m[i].text, m[i].len, &bytes, p, err);
            break;
        }
        path_pop(p, mark);
        if (st != DDB_OK)
            goto done;
        total = size_add(total, bytes);
    }

    sorted = malloc(n * sizeof(*sorted));
    if (sorted == NULL) {
        st = nomem(err, p);
        goto done;
    }
    for (i = 0; i < n; i++)
        sorted[i] = &m[i];
    qsort(sorted, n, sizeof(*sorted), member_sort_cmp);
    for (i = 1; i < n; i++) {
        if (member_cmp(&sorted[i - 1], &sorted[i]) == 0) {
            const struct set_member *dup = sorted[i];
            mark = path_push_index(p, (size_t)(dup - m));
            st = fail(err, DDB_ERR_INVALID, p, "duplicate %s set member \"%.*s\"",
                      set_kind_name[kind], QUOTE_MAX, dup->text);
            path_pop(p, mark);
            goto done;
        }
    }
    if (size != NULL)
        *size = size_add(*size, total);

done:
    free(sorted);
    free(num_keys);
    return st;
}

/* {"$binary": ...} and {"$set": ...}: the one-member objects that mean B and sets. */
static const char *
plain_tag(json_object *obj, json_object **value)
{
    struct json_object_iter it;

    if (json_object_object_length(obj) != 1)
        return NULL;
    json_object_object_foreachC(obj, it)
    {
        if (strcmp(it.key, "$binary") == 0 || strcmp(it.key, "$set") == 0) {
            *value = it.val;
            return it.key;
        }
    }
    return NULL;
}

/* The kind of one plain $set member and its text as the AV carries it. */
static ddb_status
plain_member(json_object *v, const struct attr_path *p, enum set_kind *kind, struct set_member *m,
             struct ddb_error *err)
{
    json_object *tv = NULL;
    const char *tag;

    switch (json_object_get_type(v)) {
    case json_type_string:
        *kind = SET_S;
        m->text = json_object_get_string(v);
        m->len = (size_t)json_object_get_string_len(v);
        return DDB_OK;
    case json_type_int:
    case json_type_double:
        *kind = SET_N;
        return plain_number_text(v, p, &m->text, &m->len, err);
    case json_type_object:
        tag = plain_tag(v, &tv);
        if (tag != NULL && strcmp(tag, "$binary") == 0 &&
            json_object_is_type(tv, json_type_string)) {
            *kind = SET_B;
            m->text = json_object_get_string(tv);
            m->len = (size_t)json_object_get_string_len(tv);
            return DDB_OK;
        }
        break;
    default:
        break;
    }
    return fail(err, DDB_ERR_INVALID, p,
                "a set member must be a string, a number or {\"$binary\": \"<base64>\"}");
}

/* {"$set": [...]} to SS, NS or BS, the kind given by the members. */
static ddb_status
set_to_av(json_object *arr, struct attr_path *p, json_object **out, struct ddb_error *err)
{
    struct set_member *m = NULL;
    json_object *list = NULL, *s;
    enum set_kind kind = SET_S, k = SET_S;
    size_t n, i, mark;
    ddb_status st = DDB_OK;

    if (!json_object_is_type(arr, json_type_array))
        return fail(err, DDB_ERR_INVALID, p, "\"$set\" must be an array");
    n = json_object_array_length(arr);
    if (n == 0)
        return fail(err, DDB_ERR_INVALID, p, "a set must not be empty");
    m = calloc(n, sizeof(*m));
    if (m == NULL)
        return nomem(err, p);
    for (i = 0; i < n; i++) {
        mark = path_push_index(p, i);
        st = plain_member(json_object_array_get_idx(arr, i), p, &k, &m[i], err);
        if (st == DDB_OK && i > 0 && k != kind)
            st = fail(err, DDB_ERR_INVALID, p, "a set mixes %s and %s members", set_kind_name[kind],
                      set_kind_name[k]);
        path_pop(p, mark);
        if (st != DDB_OK)
            goto done;
        kind = k;
    }
    st = set_check(kind, m, n, p, NULL, err);
    if (st != DDB_OK)
        goto done;

    list = json_object_new_array();
    if (list == NULL) {
        st = nomem(err, p);
        goto done;
    }
    for (i = 0; i < n; i++) {
        s = new_string(m[i].text, m[i].len);
        if (s == NULL || json_object_array_add(list, s) != 0) {
            json_object_put(s);
            st = nomem(err, p);
            goto done;
        }
    }
    st = wrap(set_av_type[kind], list, out, p, err);
    list = NULL;

done:
    json_object_put(list);
    free(m);
    return st;
}

/* One member of an item or M (name given) or of an L (name NULL) to its attribute value,
 * added to container. */
static ddb_status
member_to_av(json_object *plain, const char *name, size_t index, int depth, struct attr_path *p,
             json_object *container, struct ddb_error *err)
{
    json_object *av = NULL;
    size_t mark = name != NULL ? path_push_key(p, name) : path_push_index(p, index);
    ddb_status st;

    if (name != NULL && !utf8_valid(name, strlen(name)))
        st = fail(err, DDB_ERR_INVALID, p, "attribute name is not valid UTF-8");
    else
        st = to_av(plain, depth, p, &av, err);
    if (st == DDB_OK && (name != NULL ? json_object_object_add(container, name, av)
                                      : json_object_array_add(container, av)) != 0) {
        json_object_put(av);
        st = nomem(err, p);
    }
    path_pop(p, mark);
    return st;
}

/* An object's members (an item's, children at depth 1, or an M's content) or an array's
 * elements (an L's) to attribute values, in a new object or array. */
static ddb_status
members_to_av(json_object *v, int depth, struct attr_path *p, json_object **out,
              struct ddb_error *err)
{
    int is_map = json_object_is_type(v, json_type_object);
    json_object *container = is_map ? json_object_new_object() : json_object_new_array();
    ddb_status st = DDB_OK;

    *out = NULL;
    if (container == NULL)
        return nomem(err, p);
    if (is_map) {
        struct json_object_iter it;

        json_object_object_foreachC(v, it)
        {
            st = member_to_av(it.val, it.key, 0, depth, p, container, err);
            if (st != DDB_OK)
                break;
        }
    } else {
        size_t n = json_object_array_length(v);

        for (size_t i = 0; i < n && st == DDB_OK; i++)
            st = member_to_av(json_object_array_get_idx(v, i), NULL, i, depth, p, container, err);
    }
    if (st != DDB_OK) {
        json_object_put(container);
        return st;
    }
    *out = container;
    return DDB_OK;
}

static ddb_status
to_av(json_object *plain, int depth, struct attr_path *p, json_object **out, struct ddb_error *err)
{
    json_object *val = NULL, *tv = NULL;
    const char *type = NULL, *text, *tag;
    size_t len, bytes;
    ddb_status st;

    *out = NULL;
    if (depth > MARSHAL_MAX_DEPTH)
        return fail(err, DDB_ERR_INVALID, p, "nested deeper than %d levels", MARSHAL_MAX_DEPTH);
    switch (json_object_get_type(plain)) {
    case json_type_null:
        type = "NULL";
        val = json_object_new_boolean(1);
        break;
    case json_type_boolean:
        type = "BOOL";
        val = json_object_new_boolean(json_object_get_boolean(plain));
        break;
    case json_type_int:
    case json_type_double:
        st = plain_number_text(plain, p, &text, &len, err);
        if (st != DDB_OK)
            return st;
        type = "N";
        val = new_string(text, len);
        break;
    case json_type_string:
        text = json_object_get_string(plain);
        len = (size_t)json_object_get_string_len(plain);
        if (!utf8_valid((const unsigned char *)text, len))
            return fail(err, DDB_ERR_INVALID, p, "string is not valid UTF-8");
        type = "S";
        val = new_string(text, len);
        break;
    case json_type_array:
        st = members_to_av(plain, depth + 1, p, &val, err);
        if (st != DDB_OK)
            return st;
        type = "L";
        break;
    case json_type_object:
        tag = plain_tag(plain, &tv);
        if (tag != NULL && strcmp(tag, "$set") == 0)
            return set_to_av(tv, p, out, err);
        if (tag != NULL) {
            if (!json_object_is_type(tv, json_type_string))
                return fail(err, DDB_ERR_INVALID, p, "\"$binary\" must be a base64 string");
            text = json_object_get_string(tv);
            len = (size_t)json_object_get_string_len(tv);
            if ((st = binary_size(text, len, &bytes, p, err)) != DDB_OK)
                return st;
            type = "B";
            val = new_string(text, len);
            break;
        }
        st = members_to_av(plain, depth + 1, p, &val, err);
        if (st != DDB_OK)
            return st;
        type = "M";
        break;
    }
    if (type == NULL)
        return fail(err, DDB_ERR_INVALID, p, "unsupported JSON type");
    return wrap(type, val, out, p, err);
}

/* SS, NS or BS to {"$set": [...]} (when plain is wanted) and their size. */
static ddb_status
set_from_av(enum set_kind kind, json_object *arr, struct attr_path *p, json_object **plain,
            size_t *size, struct ddb_error *err)
{
    struct set_member *m = NULL;
    json_object *list = NULL, *v, *e = NULL;
    size_t n, i, mark;
    ddb_status st = DDB_OK;

    if (!json_object_is_type(arr, json_type_array))
        return fail(err, DDB_ERR_INVALID, p, "%s must be an array", set_av_type[kind]);
    n = json_object_array_length(arr);
    if (n == 0)
        return fail(err, DDB_ERR_INVALID, p, "a set must not be empty");
    m = calloc(n, sizeof(*m));
    if (m == NULL)
        return nomem(err, p);
    for (i = 0; i < n; i++) {
        v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string)) {
            mark = path_push_index(p, i);
            st = fail(err, DDB_ERR_INVALID, p, "%s members must be strings", set_av_type[kind]);
            path_pop(p, mark);
            goto done;
        }
        m[i].text = json_object_get_string(v);
        m[i].len = (size_t)json_object_get_string_len(v);
    }
    st = set_check(kind, m, n, p, size, err);
    if (st != DDB_OK || plain == NULL)
        goto done;

    list = json_object_new_array();
    if (list == NULL) {
        st = nomem(err, p);
        goto done;
    }
    for (i = 0; i < n; i++) {
        e = NULL;
        if (kind == SET_N) {
            st = plain_number_new(m[i].text, m[i].len, &e);
            if (st != DDB_OK) {
                st = nomem(err, p);
                goto done;
            }
        } else if (kind == SET_S) {
            e = new_string(m[i].text, m[i].len);
        } else {
            st = wrap("$binary", new_string(m[i].text, m[i].len), &e, p, err);
            if (st != DDB_OK)
                goto done;
        }
        if (e == NULL || json_object_array_add(list, e) != 0) {
            json_object_put(e);
            st = nomem(err, p);
            goto done;
        }
    }
    st = wrap("$set", list, plain, p, err);
    list = NULL;

done:
    json_object_put(list);
    free(m);
    return st;
}

/* One member of an item, an M (name given) or an L (name NULL): checked, its size (with its
 * name's, and 1 byte more when nested) added to *sz, and added to container when there is one. */
static ddb_status
member_from_av(json_object *av, const char *name, size_t index, int depth, int nested,
               struct attr_path *p, json_object *container, size_t *sz, struct ddb_error *err)
{
    json_object *child = NULL;
    size_t name_len = name != NULL ? strlen(name) : 0, child_size = 0;
    size_t mark = name != NULL ? path_push_key(p, name) : path_push_index(p, index);
    ddb_status st;
    int added;

    if (name != NULL && !utf8_valid(name, name_len))
        st = fail(err, DDB_ERR_INVALID, p, "attribute name is not valid UTF-8");
    else
        st = from_av(av, depth, p, container != NULL ? &child : NULL, &child_size, err);
    if (st == DDB_OK && container != NULL) {
        added = name != NULL ? json_object_object_add(container, name, child)
                             : json_object_array_add(container, child);
        if (added != 0) {
            json_object_put(child);
            st = nomem(err, p);
        }
    }
    path_pop(p, mark);
    if (st == DDB_OK)
        *sz = size_add(*sz, size_add(name_len, size_add(child_size, nested ? 1 : 0)));
    return st;
}

/* An item's or M's content (names to plain values), or an L's, and its size. In an M or L
 * (nested) each element costs 1 byte more, and an M whose name would read as a $binary or
 * $set tag has no plain form. */
static ddb_status
members_from_av(json_object *v, int depth, int nested, struct attr_path *p, json_object **plain,
                size_t *size, struct ddb_error *err)
{
    int is_map = json_object_is_type(v, json_type_object);
    json_object *out = NULL, *tv = NULL;
    ddb_status st = DDB_OK;
    size_t sz = 0;

    if (plain != NULL) {
        *plain = NULL;
        if (is_map && nested && plain_tag(v, &tv) != NULL)
            return fail(err, DDB_ERR_INVALID, p,
                        "a map whose only key is \"$binary\" or \"$set\" has no plain form");
        out = is_map ? json_object_new_object() : json_object_new_array();
        if (out == NULL)
            return nomem(err, p);
    }
    if (is_map) {
        struct json_object_iter it;

        json_object_object_foreachC(v, it)
        {
            st = member_from_av(it.val, it.key, 0, depth, nested, p, out, &sz, err);
            if (st != DDB_OK)
                goto done;
        }
    } else {
        size_t n = json_object_array_length(v);

        for (size_t i = 0; i < n && st == DDB_OK; i++)
            st = member_from_av(json_object_array_get_idx(v, i), NULL, i, depth, nested, p, out,
                                &sz, err);
        if (st != DDB_OK)
            goto done;
    }
    if (size != NULL)
        *size = sz;
    if (plain != NULL) {
        *plain = out;
        out = NULL;
    }

done:
    json_object_put(out);
    return st;
}

/* One attribute value: validated, its size added to *size, and, when plain is not NULL,
 * converted. Sizes follow the DynamoDB developer guide, "DynamoDB item sizes and formats":
 * S its UTF-8 bytes; N see number_size; B its decoded bytes; BOOL and NULL 1 byte; L and M
 * 3 bytes plus, per element, 1 byte and the element (with its name, for M); sets the sum
 * of their members. */
static ddb_status
from_av(json_object *av, int depth, struct attr_path *p, json_object **plain, size_t *size,
        struct ddb_error *err)
{
    struct json_object_iter it;
    const char *type = NULL, *text;
    json_object *v = NULL, *out = NULL;
    size_t len, sz = 0;
    struct number num;
    enum num_check c;
    ddb_status st = DDB_OK;

    if (plain != NULL)
        *plain = NULL;
    if (depth > MARSHAL_MAX_DEPTH)
        return fail(err, DDB_ERR_INVALID, p, "nested deeper than %d levels", MARSHAL_MAX_DEPTH);
    if (!json_object_is_type(av, json_type_object) || json_object_object_length(av) != 1)
        return fail(err, DDB_ERR_INVALID, p,
                    "an attribute value must be an object with exactly one type member");
    json_object_object_foreachC(av, it)
    {
        type = it.key;
        v = it.val;
    }

    if (strcmp(type, "S") == 0 || strcmp(type, "N") == 0 || strcmp(type, "B") == 0) {
        if (!json_object_is_type(v, json_type_string))
            return fail(err, DDB_ERR_INVALID, p, "%s must be a string", type);
        text = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (type[0] == 'S') {
            if (!utf8_valid((const unsigned char *)text, len))
                return fail(err, DDB_ERR_INVALID, p, "string is not valid UTF-8");
            sz = len;
            /* The same string object, shared: nothing changes a string once made. */
            if (plain != NULL)
                out = json_object_get(v);
        } else if (type[0] == 'N') {
            c = number_parse(text, len, &num);
            if (c != NUM_OK)
                return fail(err, DDB_ERR_INVALID, p, "number %.*s %s", QUOTE_MAX, text,
                            number_problem(c));
            sz = number_size(&num);
            if (plain != NULL && plain_number_new(text, len, &out) != DDB_OK)
                return nomem(err, p);
        } else {
            if ((st = binary_size(text, len, &sz, p, err)) != DDB_OK)
                return st;
            if (plain != NULL) {
                st = wrap("$binary", new_string(text, len), &out, p, err);
                if (st != DDB_OK)
                    return st;
            }
        }
    } else if (strcmp(type, "BOOL") == 0) {
        if (!json_object_is_type(v, json_type_boolean))
            return fail(err, DDB_ERR_INVALID, p, "BOOL must be true or false");
        sz = 1;
        if (plain != NULL && (out = json_object_new_boolean(json_object_get_boolean(v))) == NULL)
            return nomem(err, p);
    } else if (strcmp(type, "NULL") == 0) {
        if (!json_object_is_type(v, json_type_boolean) || !json_object_get_boolean(v))
            return fail(err, DDB_ERR_INVALID, p, "NULL must be true");
        sz = 1; /* plain null is json-c's NULL */
    } else if (strcmp(type, "L") == 0) {
        if (!json_object_is_type(v, json_type_array))
            return fail(err, DDB_ERR_INVALID, p, "L must be an array");
        st = members_from_av(v, depth + 1, 1, p, plain != NULL ? &out : NULL, &sz, err);
        sz = size_add(sz, 3);
    } else if (strcmp(type, "M") == 0) {
        if (!json_object_is_type(v, json_type_object))
            return fail(err, DDB_ERR_INVALID, p, "M must be an object");
        st = members_from_av(v, depth + 1, 1, p, plain != NULL ? &out : NULL, &sz, err);
        sz = size_add(sz, 3);
    } else if (strcmp(type, "SS") == 0) {
        st = set_from_av(SET_S, v, p, plain != NULL ? &out : NULL, &sz, err);
    } else if (strcmp(type, "NS") == 0) {
        st = set_from_av(SET_N, v, p, plain != NULL ? &out : NULL, &sz, err);
    } else if (strcmp(type, "BS") == 0) {
        st = set_from_av(SET_B, v, p, plain != NULL ? &out : NULL, &sz, err);
    } else {
        return fail(err, DDB_ERR_INVALID, p, "unknown attribute value type \"%.*s\"", QUOTE_MAX,
                    type);
    }
    if (st != DDB_OK)
        return st;
    if (size != NULL)
        *size = size_add(*size, sz);
    if (plain != NULL)
        *plain = out;
    return DDB_OK;
}

ddb_status
marshal_to_av(json_object *plain, json_object **out, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (out == NULL)
        return fail(err, DDB_ERR_INVALID, NULL, "marshal_to_av: no output");
    return to_av(plain, 1, &p, out, err);
}

ddb_status
marshal_item_to_av(json_object *plain, json_object **out, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (out == NULL)
        return fail(err, DDB_ERR_INVALID, NULL, "marshal_item_to_av: no output");
    *out = NULL;
    if (!json_object_is_type(plain, json_type_object))
        return fail(err, DDB_ERR_INVALID, NULL, "an item must be a JSON object");
    return members_to_av(plain, 1, &p, out, err);
}

ddb_status
marshal_from_av(json_object *av, json_object **out, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (out == NULL)
        return fail(err, DDB_ERR_INVALID, NULL, "marshal_from_av: no output");
    return from_av(av, 1, &p, out, NULL, err);
}

ddb_status
marshal_item_from_av(json_object *item, json_object **out, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (out == NULL)
        return fail(err, DDB_ERR_INVALID, NULL, "marshal_item_from_av: no output");
    *out = NULL;
    if (!json_object_is_type(item, json_type_object))
        return fail(err, DDB_ERR_INVALID, NULL, "an item must be a JSON object");
    return members_from_av(item, 1, 0, &p, out, NULL, err);
}

ddb_status
marshal_item_pick_from_av(json_object *item, const char *const *names, size_t n, json_object **out,
                          struct ddb_error *err)
{
    struct attr_path p = {"", 0};
    json_object *obj = NULL, *av, *v;
    ddb_status st = DDB_OK;
    size_t mark, i;

    if (out == NULL || (n > 0 && names == NULL))
        return fail(err, DDB_ERR_INVALID, NULL, "marshal_item_pick_from_av: no output or names");
    *out = NULL;
    if (!json_object_is_type(item, json_type_object))
        return fail(err, DDB_ERR_INVALID, NULL, "an item must be a JSON object");
    obj = json_object_new_object();
    if (obj == NULL)
        return nomem(err, NULL);
    for (i = 0; i < n; i++) {
        if (!json_object_object_get_ex(item, names[i], &av))
            continue;
        v = NULL;
        mark = path_push_key(&p, names[i]);
        st = from_av(av, 1, &p, &v, NULL, err);
        path_pop(&p, mark);
        if (st != DDB_OK)
            goto out;
        if (json_object_object_add_ex(obj, names[i], v, JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0) {
            json_object_put(v);
            st = nomem(err, NULL);
            goto out;
        }
    }
    /* The members left out are checked all the same, as marshal_item_from_av checks them. */
    if ((size_t)json_object_object_length(item) > (size_t)json_object_object_length(obj)) {
        json_object_object_foreach(item, key, val)
        {
            for (i = 0; i < n && strcmp(key, names[i]) != 0; i++)
                ;
            if (i < n)
                continue;
            mark = path_push_key(&p, key);
            if (!utf8_valid((const unsigned char *)key, strlen(key)))
                st = fail(err, DDB_ERR_INVALID, &p, "attribute name is not valid UTF-8");
            else
                st = from_av(val, 1, &p, NULL, NULL, err);
            path_pop(&p, mark);
            if (st != DDB_OK)
                goto out;
        }
    }
    *out = obj;
    obj = NULL;
out:
    json_object_put(obj);
    return st;
}

int
marshal_number_valid(const char *s)
{
    struct number n;

    return s != NULL && number_parse(s, strlen(s), &n) == NUM_OK;
}

/* The item's size is the sum over its attributes of name bytes plus value size; the item
 * itself has no overhead of its own (unlike a nested M). */
ddb_status
marshal_item_size(json_object *item, size_t *size, struct ddb_error *err)
{
    struct attr_path p = {"", 0};

    if (size == NULL)
        return fail(err, DDB_ERR_INVALID, NULL, "marshal_item_size: no output");
    *size = 0;
    if (!json_object_is_type(item, json_type_object))
        return fail(err, DDB_ERR_INVALID, NULL, "an item must be a JSON object");
    return members_from_av(item, 1, 0, &p, NULL, size, err);
}

ddb_status
marshal_check_item_size(json_object *item, struct ddb_error *err)
{
    size_t size = 0;
    ddb_status st = marshal_item_size(item, &size, err);

    if (st != DDB_OK)
        return st;
    if (size > MARSHAL_ITEM_MAX)
        return fail(err, DDB_ERR_ITEM_TOO_LARGE, NULL,
                    "item is %zu bytes, over DynamoDB's limit of %d bytes", size, MARSHAL_ITEM_MAX);
    return DDB_OK;
}
