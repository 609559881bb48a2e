/* peak.c -- run one command and say how long it took and how much memory
 * it used at its peak, for bench/rpc.
 *
 *   peak CMD ARGS...
 *
 * Forks, execs CMD (looked up in PATH) with its arguments, stdin, stdout
 * and stderr untouched, waits for it with wait4(2) and writes one line:
 *
 *   <wall_us> <maxrss_kib> <exit_status>
 *
 * wall_us: microseconds from just before fork to wait4's return
 * (CLOCK_MONOTONIC). maxrss_kib: ru_maxrss of the child as wait4 gives
 * it: the largest resident set, in KiB, of the child over its execs
 * (a script that execs a program counts the larger of the two) and of
 * any descendant it waited for itself; the largest one process, not a
 * sum. exit_status: the child's exit status, 128+N if signal N ended it,
 * 127 if it could not be executed.
 *
 * The line is appended to the file named by PEAK_OUT if that is set,
 * else written to stderr. peak exits with the child's exit status.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    struct rusage ru;
    int status, code;
    pid_t pid;

    if (argc < 2) {
        fprintf(stderr, "usage: peak CMD ARGS...  (PEAK_OUT=FILE: append the line there)\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid < 0) { perror("peak: fork"); return 127; }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) != pid) { perror("peak: wait4"); return 127; }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

    const char *path = getenv("PEAK_OUT");
    FILE *out = path && *path ? fopen(path, "a") : stderr;
    if (!out) { perror(path); return 127; }
    fprintf(out, "%lld %ld %d\n",
            (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000,
            ru.ru_maxrss, code);
    if (out != stderr && fclose(out) != 0) { perror(path); return 127; }
    return code;
}
