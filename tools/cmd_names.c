/*
 * cmd_names.c -- `edist names [HOST]`: the nodes registered at an EPMD,
 * printed exactly as `epmd -names` prints them.
 *
 * `epmd -names` only asks the EPMD on its own machine; EPMD answers NAMES
 * from anywhere, so this asks any host's. The output is epmd's own:
 *
 *   epmd: up and running on port 4369 with data:
 *   name foo at port 37425
 *
 * that is, the port from the reply's first 4 bytes in epmd's header line
 * (epmd_cli.c), then the reply's text as it came. One difference, for
 * safety: control characters other than newline and tab are printed as
 * '?', so that an EPMD on another machine cannot write escape sequences to
 * the terminal. A real EPMD never sends any.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "epmd/epmd.h"
#include "tools/edist.h"

static const char names_usage[] =
    "usage: edist names [HOST]\n"
    "\n"
    "Prints the nodes registered at the EPMD on HOST (default localhost)\n"
    "as `epmd -names` does:\n"
    "\n"
    "  epmd: up and running on port 4369 with data:\n"
    "  name foo at port 37425\n"
    "\n"
    "HOST is a host name, an IPv4 address, or an IPv6 address (::1 or\n"
    "[::1]). EPMD answers this request from any machine.\n"
    "\n"
    "Options (before or after the command):\n"
    "  --epmd-port PORT   EPMD's port (default: ERL_EPMD_PORT, else 4369)\n"
    "  --timeout MS|Ns    give up after MS milliseconds or N seconds (10s)\n"
    "  -v                 print the EPMD messages, decoded, on stderr\n"
    "\n"
    "Exit codes: 0 success; 2 usage error; 3 no EPMD there, the host does\n"
    "not resolve, or the answer is not EPMD's; 5 timeout.\n";

/* Writes the reply's text, control characters other than newline and tab
 * replaced by '?'. Bytes of 128 and above are UTF-8 (node names may be
 * Unicode) and pass unchanged, as they do through epmd. */
static void print_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            c = '?';
        putchar(c);
    }
}

int cmd_names(int argc, char **argv, edist_opts *o)
{
    const char *host;
    int code = edist_one_operand(argc, argv, o, "names", names_usage, "HOST",
                                 0, &host);
    if (code >= 0)
        return code;

    epmd_client c;
    if (edist_epmd_client(o, host, &c) != 0)
        return EXIT_USAGE;
    epmd_reply raw = {0};
    epmd_names_reply names;
    epmd_error err;
    if (epmd_names(&c, &raw, &names, &err) != 0) {
        epmd_reply_release(&raw);
        return edist_epmd_fail(&err);
    }
    printf("epmd: up and running on port %u with data:\n",
           (unsigned)names.epmd_port);
    print_text(names.text, names.text_len);
    epmd_reply_release(&raw);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        edist_error("cannot write standard output: %s", strerror(errno));
        return EXIT_REMOTE; /* as edist etf does */
    }
    return EXIT_OK;
}
