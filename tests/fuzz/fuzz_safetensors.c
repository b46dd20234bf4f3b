/* libFuzzer target: the safetensors reader on arbitrary bytes. Opening must either succeed, and then
 * every tensor's bytes lie inside the input (reading them all as f32 touches each one), or fail
 * with a message: never crash, overread (AddressSanitizer) or hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "subq/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: ASan then catches a read one byte past the input. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    subq_safetensors *file = NULL;
    if (subq_safetensors_open_memory(copy, size, &file) == SUBQ_OK) {
        for (int32_t i = 0; i < subq_safetensors_count(file); i++) {
            subq_safetensors_tensor t;
            if (subq_safetensors_get(file, i, &t) != SUBQ_OK || t.numel > (1 << 20)) continue;
            float *values = malloc((size_t)(t.numel ? t.numel : 1) * sizeof *values);
            if (values) subq_safetensors_read_f32(&t, values, t.numel);
            free(values);
            subq_safetensors_find(file, t.name, &t);
        }
        subq_safetensors_metadata(file, "subq_model");
        subq_safetensors_close(file);
    } else if (!subq_last_error()[0]) {
        abort(); /* a failure must say why */
    }
    free(copy);
    return 0;
}
