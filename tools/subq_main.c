/* The subq command-line tool: one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"run", command_run, "run a model file (default: the shipped KJV model) on the chosen device"},
    {"generate", command_run, "generate text with a language model (subq generate --help)"},
    {"devices", command_devices, "list Vulkan devices, the one subq chooses, and its limits"},
    {"selftest", command_selftest, "check every operator against its CPU reference on the chosen device"},
    {"bench", command_bench, "time operators next to the device's copy bandwidth (subq bench --list)"},
    {"cp-bench", command_cp_bench, "context parallelism over NCCL, one process per GPU: check and time"},
};

static int usage(FILE *out)
{
    fprintf(out, "usage: subq <command> [arguments]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\nenvironment: SUBQ_DEVICE (index or name substring), SUBQ_VALIDATION=1\n");
    return out == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(stderr);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) return usage(stdout);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "subq: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
