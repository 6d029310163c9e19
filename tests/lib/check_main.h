/* A main() for Check test programs: runs one suite, TAP on standard output when
 * CK_TAP_LOG_FILE_NAME=- (as `make check` sets it), exit status 0 only if all passed. */
#ifndef SAVEALIFE_CHECK_MAIN_H
#define SAVEALIFE_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(suite_fn)                                                                       \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        if (sr == NULL)                                                                            \
            return EXIT_FAILURE;                                                                   \
        srunner_run_all(sr, CK_ENV);                                                               \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
