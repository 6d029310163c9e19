/* placeholder */
typedef int savealife_placeholder_marshal;
