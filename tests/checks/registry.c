/* Every operator's check: one line per operator. */
#include "check.h"

void check_depthwise_conv(checker *c);
void check_gate(checker *c);
void check_norm(checker *c);
void check_linear(checker *c);

const check_entry subq_checks[] = {
    {"depthwise_conv", check_depthwise_conv},
    {"gate", check_gate},
    {"norm", check_norm},
    {"linear", check_linear},
    {NULL, NULL},
};
