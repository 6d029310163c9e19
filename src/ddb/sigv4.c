/* placeholder */
typedef int savealife_placeholder_sigv4;
