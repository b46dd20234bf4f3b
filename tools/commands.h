#ifndef SUBQ_TOOL_COMMANDS_H
#define SUBQ_TOOL_COMMANDS_H

/* Each returns the process exit code; argv[0] is the command's own name. */
int command_devices(int argc, char **argv);
int command_selftest(int argc, char **argv);
int command_bench(int argc, char **argv);
int command_run(int argc, char **argv);
int command_cp_bench(int argc, char **argv);

#endif
