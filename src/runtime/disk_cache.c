#include "runtime/disk_cache.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/instance.h"

void subq_disk_cache_dir(const subq_context_options *options, char *dir, size_t size)
{
    bool enabled = options->pipeline_cache == SUBQ_TOGGLE_DEFAULT
                       ? subq_env_flag("SUBQ_PIPELINE_CACHE", true)
                       : options->pipeline_cache == SUBQ_TOGGLE_ON;
    const char *env;
    dir[0] = '\0';
    if (!enabled) return;
    if (options->cache_dir && *options->cache_dir)
        snprintf(dir, size, "%s", options->cache_dir);
    else if ((env = getenv("SUBQ_CACHE_DIR")) && *env)
        snprintf(dir, size, "%s", env);
    else if ((env = getenv("XDG_CACHE_HOME")) && *env)
        snprintf(dir, size, "%s/subq", env);
    else if ((env = getenv("HOME")) && *env)
        snprintf(dir, size, "%s/.cache/subq", env);
}

static void make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    mkdir(path, 0755);
}

void subq_disk_cache_write(const char *path, const void *header, size_t header_bytes, const void *data,
                           size_t data_bytes)
{
    char dir[1024], tmp[1100];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        make_dirs(dir);
    }
    static atomic_uint serial; /* two contexts of one process may write the same file at once */
    snprintf(tmp, sizeof tmp, "%s.%ld.%u.tmp", path, (long)getpid(), atomic_fetch_add(&serial, 1));
    FILE *f = fopen(tmp, "wb");
    if (!f) return;
    bool ok = fwrite(header, 1, header_bytes, f) == header_bytes && fwrite(data, 1, data_bytes, f) == data_bytes;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) remove(tmp);
}

unsigned long long subq_fnv1a(unsigned long long hash, const void *bytes, size_t size)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < size; i++) hash = (hash ^ p[i]) * 0x100000001b3ull;
    return hash;
}
