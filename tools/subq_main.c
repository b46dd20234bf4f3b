#include <stdio.h>
#include "subq/subq.h"
int main(void){ subq_context *c; subq_status s = subq_context_create(NULL,&c); printf("%s %s\n", subq_status_name(s), subq_last_error()); subq_device_info i; subq_context_get_device_info(c,&i); printf("%s\n", i.name); subq_context_destroy(c); return 0;}
