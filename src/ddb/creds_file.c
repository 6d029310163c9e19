/* The shared credentials file link of the chain (~/.aws/credentials, INI). Nothing of a line
 * is echoed once it may hold a secret; every buffer a line passed through is wiped. */
#include "creds.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "creds_chain.h"
#include "creds_test.h"

/* Large enough for any line of a credentials file, so getline never reallocates (and never
 * frees a copy of a secret we could not wipe). */
#define FILE_LINE_INIT 8192

/* What the shared file had for the profile, when it had no credentials to give. */
enum file_outcome { FILE_FOUND, FILE_NO_FILE, FILE_NO_PROFILE, FILE_NO_KEYS };

/* Formats a note for a later message; truncation is fine, it is only shown to people. */
static void __attribute__((format(printf, 3, 4)))
note_set(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(buf, size, fmt, ap) < 0 && size > 0)
        buf[0] = '\0';
    va_end(ap);
}

static char *
trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    *e = '\0';
    return s;
}

/* --- shared credentials file --- */

/* A comment after a value starts at whitespace followed by '#' or ';' (as the AWS SDKs read
 * it); keys, secrets and tokens never contain whitespace, so nothing real is cut. */
static void
strip_inline_comment(char *v)
{
    for (char *p = v; *p != '\0'; p++) {
        if (isspace((unsigned char)p[0]) && (p[1] == '#' || p[1] == ';')) {
            *p = '\0';
            break;
        }
    }
}

/* Reads profile from path into out. Absences (no file, no profile, no keys) are DDB_OK with
 * *outcome saying which, so the chain can move on; anything malformed is an error. */
static ddb_status
file_read(const char *path, const char *profile, struct creds *out, enum file_outcome *outcome,
          struct ddb_error *err)
{
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = FILE_LINE_INIT;
    ssize_t len;
    unsigned long lineno = 0;
    int in_section = 0, in_profile = 0, seen_profile = 0;
    int have_id = 0, have_secret = 0;
    struct creds c;
    ddb_status st = DDB_OK;

    memset(&c, 0, sizeof(c));
    *outcome = FILE_NO_FILE;
    f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            goto done;
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "cannot open %s: %s", path, strerror(errno));
        goto done;
    }
    line = malloc(cap);
    if (line == NULL) {
        st = ddb_error_set(err, DDB_ERR_NOMEM, "out of memory reading %s", path);
        goto done;
    }

    while ((len = getline(&line, &cap, f)) != -1) {
        char *s = line;
        char *eq;
        char *key;
        char *val;
        char *field;
        size_t size;

        lineno++;
        if (lineno == 1 && (size_t)len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3; /* a UTF-8 byte order mark, as some editors write */
        if ((size_t)len != strlen(line)) {
            st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: NUL byte in line", path, lineno);
            goto done;
        }
        s = trim(s);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            char *rest;
            char *name;

            if (close == NULL) {
                st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: section without ']'", path,
                                   lineno);
                goto done;
            }
            rest = close + 1;
            while (isspace((unsigned char)*rest))
                rest++;
            *close = '\0';
            name = trim(s + 1);
            if ((*rest != '\0' && *rest != '#' && *rest != ';') || *name == '\0') {
                st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: malformed section name", path,
                                   lineno);
                goto done;
            }
            in_section = 1;
            in_profile = strcmp(name, profile) == 0;
            seen_profile |= in_profile;
            continue;
        }
        /* Nothing of the line is echoed from here on: it may hold a secret. */
        eq = strchr(s, '=');
        if (eq == NULL) {
            st =
                ddb_error_set(err, DDB_ERR_CREDENTIALS,
                              "%s:%lu: expected [profile], key = value or a comment", path, lineno);
            goto done;
        }
        if (!in_section) {
            st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: setting outside any [profile]",
                               path, lineno);
            goto done;
        }
        *eq = '\0';
        key = trim(s);
        val = eq + 1; /* split at the first '=': base64 values end in '=' */
        strip_inline_comment(val);
        val = trim(val);
        if (*key == '\0') {
            st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: setting without a name", path,
                               lineno);
            goto done;
        }
        if (!in_profile)
            continue;
        /* Key names are case-insensitive, as Python's configparser (the AWS CLI) reads them. */
        if (strcasecmp(key, "aws_access_key_id") == 0) {
            field = c.access_key_id;
            size = sizeof(c.access_key_id);
            have_id = *val != '\0';
        } else if (strcasecmp(key, "aws_secret_access_key") == 0) {
            field = c.secret_access_key;
            size = sizeof(c.secret_access_key);
            have_secret = *val != '\0';
        } else if (strcasecmp(key, "aws_session_token") == 0) {
            field = c.session_token;
            size = sizeof(c.session_token);
        } else {
            continue; /* region, output and the like belong to other readers */
        }
        if (!creds_copy_field(field, size, val)) {
            st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "%s:%lu: %s is too long", path, lineno,
                               key);
            goto done;
        }
    }
    if (ferror(f)) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS, "cannot read %s", path);
        goto done;
    }

    if (!seen_profile) {
        *outcome = FILE_NO_PROFILE;
    } else if (!have_id && !have_secret) {
        *outcome = FILE_NO_KEYS;
    } else if (!have_id) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "profile [%s] of %s has aws_secret_access_key but no aws_access_key_id",
                           profile, path);
    } else if (!have_secret) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "profile [%s] of %s has aws_access_key_id but no aws_secret_access_key",
                           profile, path);
    } else if (!creds_header_safe(c.session_token)) {
        st = ddb_error_set(err, DDB_ERR_CREDENTIALS,
                           "profile [%s] of %s: aws_session_token holds a control or non-ASCII "
                           "character",
                           profile, path);
    } else {
        c.expiration = 0;
        c.source = "shared-file";
        *out = c;
        *outcome = FILE_FOUND;
    }

done:
    if (line != NULL) {
        OPENSSL_cleanse(line, cap);
        free(line);
    }
    if (f != NULL)
        fclose(f);
    creds_wipe(&c);
    return st;
}

ddb_status
creds_read_file(const char *path, const char *profile, struct creds *out, struct ddb_error *err)
{
    enum file_outcome outcome;
    ddb_status st;

    if (path == NULL || profile == NULL || out == NULL)
        return ddb_error_set(err, DDB_ERR_INVALID, "creds_read_file: NULL argument");
    st = file_read(path, profile, out, &outcome, err);
    if (st != DDB_OK)
        return st;
    switch (outcome) {
    case FILE_FOUND:
        return DDB_OK;
    case FILE_NO_FILE:
        return ddb_error_set(err, DDB_ERR_CREDENTIALS, "no credentials file %s", path);
    case FILE_NO_PROFILE:
        return ddb_error_set(err, DDB_ERR_CREDENTIALS, "no profile [%s] in %s", profile, path);
    case FILE_NO_KEYS:
        break;
    }
    return ddb_error_set(err, DDB_ERR_CREDENTIALS,
                         "profile [%s] of %s has no aws_access_key_id or aws_secret_access_key",
                         profile, path);
}

/* The shared-file link of the chain. *found is 0 when it has nothing to give; why says what
 * was looked at, for the final "no credentials" message. */
ddb_status
creds_file_source(struct creds *out, int *found, char *why, size_t why_size, struct ddb_error *err)
{
    const char *path = creds_env("AWS_SHARED_CREDENTIALS_FILE");
    const char *profile = creds_env("AWS_PROFILE");
    const char *home;
    char buf[4096];
    enum file_outcome outcome;
    ddb_status st;
    int n;

    *found = 0;
    if (path == NULL) {
        home = creds_env("HOME");
        if (home == NULL) {
            note_set(why, why_size, "no shared credentials file (HOME is not set)");
            return DDB_OK;
        }
        n = snprintf(buf, sizeof(buf), "%s/.aws/credentials", home);
        if (n < 0 || (size_t)n >= sizeof(buf))
            return ddb_error_set(err, DDB_ERR_CONFIG, "HOME is too long");
        path = buf;
    }
    /* A profile named in AWS_PROFILE is a demand: if it cannot be met that is an error, not
     * a reason to go on to the metadata service with other credentials. */
    if (profile != NULL) {
        st = creds_read_file(path, profile, out, err);
        if (st == DDB_OK)
            *found = 1;
        else if (err != NULL && st == DDB_ERR_CREDENTIALS) {
            char msg[sizeof(err->message)];
            snprintf(msg, sizeof(msg), "%s", err->message);
            st = ddb_error_set(err, st, "AWS_PROFILE=%s: %s", profile, msg);
        }
        return st;
    }
    st = file_read(path, "default", out, &outcome, err);
    if (st != DDB_OK)
        return st;
    switch (outcome) {
    case FILE_FOUND:
        *found = 1;
        break;
    case FILE_NO_FILE:
        note_set(why, why_size, "no file %s", path);
        break;
    case FILE_NO_PROFILE:
        note_set(why, why_size, "no profile [default] in %s", path);
        break;
    case FILE_NO_KEYS:
        note_set(why, why_size, "no keys in profile [default] of %s", path);
        break;
    }
    return DDB_OK;
}
