#include <stdio.h>
int main(void) { puts("savealife"); return 0; }
