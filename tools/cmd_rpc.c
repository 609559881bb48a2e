/*
 * cmd_rpc.c -- `edist rpc NODE MOD FUN [ARG...]`: apply(MOD, FUN, ARGS)
 * on a live node, from a machine without Erlang, as erl_call -a and
 * `bin/app rpc` do.
 *
 * MOD and FUN are atoms (an Elixir alias such as Enum is the atom
 * 'Elixir.Enum'; :ets is ets); each ARG is one term in Erlang syntax,
 * read by etf/parse.c. The call itself, its output and the way its
 * outcome is shown are tools/remote.c's.
 */
#include <stdio.h>
#include <string.h>

#include "tools/remote.h"

static const char rpc_usage[] =
    "usage: edist rpc [OPTIONS] NODE MOD FUN [ARG...]\n"
    "\n"
    "Calls MOD:FUN(ARG...) on NODE (name@host, or name for this host) and\n"
    "prints the result. Each ARG is one term in Erlang syntax; Elixir\n"
    "aliases and :atoms are read as Elixir writes them:\n"
    "\n"
    "    edist rpc app@host erlang memory total\n"
    "    edist rpc app@host lists seq 1 5\n"
    "    edist rpc app@host Enum sum '[1,2,3]'\n"
    "    edist rpc app@host ets lookup my_table '{key, <<\"k\">>}'\n"
    "\n"
    "edist is the call's group leader: what it prints (io:format,\n"
    "IO.puts) appears here as it happens, and what it reads (io:get_line,\n"
    "IO.gets) comes from standard input (eof when that ends). The result\n"
    "is printed in Elixir syntax on a node that runs Elixir, else in\n"
    "Erlang's. An exception is shown as the node's shell shows it, on\n"
    "stderr, and edist exits 1. Ctrl-C stops the call.\n"
    "\n"
    "Options (before FUN: after it, every word is an ARG, -1 too):\n"
    "  --timeout MS|Ns       stop the call (its process is killed) if it\n"
    "                        has not returned after MS milliseconds or N\n"
    "                        seconds, and exit 5 (default: no limit on the\n"
    "                        call; 10s to connect)\n"
    "  --format erlang|elixir|json\n"
    "                        how to print the result (default: the node's\n"
    "                        language)\n"
    "  --oneline             print the result on one line\n"
    "  --rex                 call through the node's rex server, as erl_call\n"
    "                        does (throw is then not told from return, and\n"
    "                        --timeout cannot stop the call)\n"
    EDIST_CONNECT_HELP
    "\n"
    "Exit codes: 0 the call returned; 1 it raised an exception (or\n"
    "{badrpc, ...}); 2 usage error, or an ARG that is not a term; 3 no\n"
    "EPMD, node not found, connection refused or lost; 4 cookie rejected;\n"
    "5 timeout.\n";

/* MOD or FUN as typed: an atom in Erlang syntax ('quoted' if need be),
 * an Elixir alias (MOD only), or :atom. Writes the atom's name into
 * out[ETF_MAX_ATOM_BYTES + 1]. */
static int atom_arg(const char *what, const char *text, int alias,
                    char *out)
{
    if (text[0] == ':' && text[1] != 0 && text[1] != ':')
        text++;
    etf_arena a;
    etf_arena_init(&a);
    etf_term t;
    etf_error e;
    int ok;
    if (!alias && text[0] != '\'') {
        /* A function name as typed, even one with a capital letter. */
        ok = strlen(text) > 0 && strlen(text) <= ETF_MAX_ATOM_BYTES &&
             etf_utf8_valid((const uint8_t *)text, strlen(text));
        if (ok)
            strcpy(out, text);
    } else {
        ok = etf_parse(text, strlen(text), &a, &t, &e) == 0 &&
             t.type == ETF_ATOM && t.n <= ETF_MAX_ATOM_BYTES;
        if (ok) {
            memcpy(out, t.u.atom, t.n);
            out[t.n] = 0;
        }
    }
    etf_arena_release(&a);
    if (!ok)
        edist_error("rpc: %s '%s' is not an atom (quote it as 'like "
                    "this' if need be)", what, text);
    return ok ? 0 : -1;
}

int cmd_rpc(int argc, char **argv, edist_opts *o)
{
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    unsigned flags = 0;
    /* Options go before FUN (after `--`, words are NODE, MOD and FUN
     * whatever they look like); every word after FUN is an ARG, so that
     * a negative number is not read as an option. */
    int i = 1, dashdash = 0;
    for (; i < argc && npos < 3; i++) {
        const char *a = argv[i];
        if (!dashdash) {
            if (strcmp(a, "--") == 0) {
                dashdash = 1;
                continue;
            }
            int r = edist_common_option(o, argc, argv, &i);
            if (r < 0)
                return EXIT_USAGE;
            if (r > 0)
                continue;
            if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                fputs(rpc_usage, stdout);
                return EXIT_OK;
            }
            if (strcmp(a, "--rex") == 0) {
                flags |= DIST_CALL_REX;
                continue;
            }
            if (a[0] == '-' && a[1] != 0) {
                edist_error("rpc: unknown option '%s' (see edist rpc --help)",
                            a);
                return EXIT_USAGE;
            }
        }
        pos[npos++] = a;
    }
    char **args = argv + i;
    int nargs = argc - i;
    if (npos < 3) {
        if (npos == 0)
            fputs(rpc_usage, stderr);
        else
            edist_error("rpc: give NODE, MOD and FUN, then the arguments "
                        "(see edist rpc --help)");
        return EXIT_USAGE;
    }
    char mod[ETF_MAX_ATOM_BYTES + 1], fun[ETF_MAX_ATOM_BYTES + 1];
    if (atom_arg("MOD", pos[1], 1, mod) != 0 ||
        atom_arg("FUN", pos[2], 0, fun) != 0)
        return EXIT_USAGE;
    if (nargs > 255) {
        edist_error("rpc: %d arguments: a function takes 255 at most",
                    nargs);
        return EXIT_USAGE;
    }
    etf_arena a;
    etf_arena_init(&a);
    etf_term list = nargs ? etf_list(&a, (uint32_t)nargs) : etf_nil();
    if (nargs && list.u.elems == NULL) {
        edist_error("out of memory");
        etf_arena_release(&a);
        return EXIT_USAGE;
    }
    for (int k = 0; k < nargs; k++) {
        etf_error e;
        if (etf_parse(args[k], strlen(args[k]), &a, &list.u.elems[k], &e) !=
            0) {
            edist_error("rpc: argument %d, '%s', is not a term: %u:%u: %s",
                        k + 1, args[k], e.line, e.column, e.message);
            etf_arena_release(&a);
            return EXIT_USAGE;
        }
    }

    edist_remote r;
    int code = edist_remote_open(o, pos[0], &r);
    if (code == EXIT_OK) {
        dist_message *m;
        dist_call_result res;
        code = edist_remote_call(&r, o, mod, fun, &list, flags, &m, &res);
        if (code == EXIT_OK) {
            code = edist_remote_show(&r, o, &res);
            dist_message_free(m);
        }
        edist_remote_close(&r);
    }
    etf_arena_release(&a);
    return code;
}
