/* DynamoDB's numbers (N): the parse and check, the canonical key of NS members, their size, and
 * the plain JSON number for one. */
#include "ddb/marshal.h"
#include "ddb/marshal_parts.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Number limits (DynamoDB developer guide, "Supported data types", Number): at most 38
 * significant digits; magnitudes 1E-130 .. 9.99..E+125. Exponents are of the leading digit. */
#define NUM_MAX_DIGITS 38
#define NUM_MAX_EXP 125
#define NUM_MIN_EXP (-130)
/* Exponents this large are out of range anyway; saturating keeps the parse overflow-free. */
#define NUM_EXP_CAP 100000000LL

enum num_check { NUM_OK, NUM_SYNTAX, NUM_TOO_PRECISE, NUM_TOO_LARGE, NUM_TOO_SMALL };

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
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

ddb_status
marshal_number_check(const char *text, size_t len, struct number *n, const struct attr_path *p,
                     struct ddb_error *err)
{
    enum num_check c = number_parse(text, len, n);

    if (c != NUM_OK)
        return marshal_fail(err, DDB_ERR_INVALID, p, "number %.*s %s", QUOTE_MAX, text,
                            number_problem(c));
    return DDB_OK;
}

/* A form equal numbers share ("1", "1.0" and "10E-1" all give "+0:1"), to find NS
 * duplicates the way DynamoDB does. buf holds NUM_KEY_MAX bytes; returns the length. */
size_t
marshal_number_key(const struct number *n, char *buf)
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
size_t
marshal_number_size(const struct number *n)
{
    return (n->n_sig + 1) / 2 + 1;
}

/* The plain JSON number for a valid N: its own text when that is JSON already, else the
 * same value in JSON's grammar ("+5" -> "5", ".5" -> "0.5", "007" -> "7", "5." -> "5").
 * Integers that fit 64 bits become json-c ints (so json_object_get_int64 works); the rest
 * keep their text through json_object_new_double_s, whose double is only a convenience. */
ddb_status
marshal_plain_number_new(const char *text, size_t len, json_object **out)
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
ddb_status
marshal_plain_number_text(json_object *num, const struct attr_path *p, const char **text,
                          size_t *len, struct ddb_error *err)
{
    struct number n;

    *text = json_object_to_json_string_length(num, JSON_C_TO_STRING_PLAIN, len);
    if (*text == NULL)
        return marshal_nomem(err, p);
    return marshal_number_check(*text, *len, &n, p, err);
}

int
marshal_number_valid(const char *s)
{
    struct number n;

    return s != NULL && number_parse(s, strlen(s), &n) == NUM_OK;
}
