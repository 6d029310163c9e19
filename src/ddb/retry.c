/* placeholder */
typedef int savealife_placeholder_retry;
