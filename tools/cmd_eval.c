/*
 * cmd_eval.c -- `edist eval NODE [EXPR|-]`: evaluate Erlang expressions
 * (or Elixir code, with --elixir) on a live node, as the node's shell
 * would, and print the value.
 *
 * A C node cannot run Erlang, but every node can: erl_scan, erl_parse
 * and erl_eval are in every release. So edist sends the node a small
 * program, already parsed -- the abstract syntax tree below, a term --
 * and asks erl_eval to run it with the source text bound to Src:
 *
 *     erl_eval:expr(Driver, [{'Src', SourceBinary}], none, none, value)
 *
 * The driver scans, parses and evaluates the source there, and answers
 * {edist_value, Value} or {edist_syntax, Location, Message}; an
 * exception in the user's code travels as the call's own (dist/call.c).
 * The driver, in Erlang (tests/integration/eval_driver.test checks on every
 * release that it parses to exactly DRIVER_AST; keep them together):
 *
 * BEGIN DRIVER
 * (fun() ->
 *      Chars = case unicode:characters_to_list(Src) of
 *                  L when is_list(L) -> L;
 *                  _ -> binary_to_list(Src)    % not UTF-8: read as Latin-1
 *              end,
 *      case erl_scan:string(Chars, {1, 1}) of
 *          {ok, T0, _} ->
 *              %% The last dot is optional; the others separate
 *              %% expressions that share their bindings, as commas do.
 *              T1 = case lists:reverse(T0) of
 *                       [{dot, _} | R] -> lists:reverse(R);
 *                       _ -> T0
 *                   end,
 *              case [case T of {dot, A} -> {',', A}; _ -> T end || T <- T1] of
 *                  [] -> {edist_syntax, {1, 1}, "no expression"};
 *                  T2 ->
 *                      Dot = {dot, element(2, lists:last(T2))},
 *                      case erl_parse:parse_exprs(T2 ++ [Dot]) of
 *                          {ok, Es} ->
 *                              {edist_value,
 *                               element(2, erl_eval:exprs(
 *                                            Es, erl_eval:new_bindings()))};
 *                          {error, {Loc, M, D}} ->
 *                              {edist_syntax, Loc, M:format_error(D)}
 *                      end
 *              end;
 *          {error, {Loc, M, D}, _} ->
 *              {edist_syntax, Loc, M:format_error(D)}
 *      end
 *  end)().
 * END DRIVER
 *
 * Elixir code goes to Code.eval_string/1, which Elixir nodes have.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/remote.h"

/* The driver above, as erl_parse makes it (every location 1). */
static const char DRIVER_AST[] =
    "{call,1,{'fun',1,{clauses,[{clause,1,[],[],[{match,1,{var,1,'Chars'},"
    "{'case',1,{call,1,{remote,1,{atom,1,unicode},{atom,1,characters_to_list}},"
    "[{var,1,'Src'}]},[{clause,1,[{var,1,'L'}],[[{call,1,{atom,1,is_list},"
    "[{var,1,'L'}]}]],[{var,1,'L'}]},{clause,1,[{var,1,'_'}],[],[{call,"
    "1,{atom,1,binary_to_list},[{var,1,'Src'}]}]}]}},{'case',1,{call,1,"
    "{remote,1,{atom,1,erl_scan},{atom,1,string}},[{var,1,'Chars'},{tuple,"
    "1,[{integer,1,1},{integer,1,1}]}]},[{clause,1,[{tuple,1,[{atom,1,ok},"
    "{var,1,'T0'},{var,1,'_'}]}],[],[{match,1,{var,1,'T1'},{'case',1,{call,"
    "1,{remote,1,{atom,1,lists},{atom,1,reverse}},[{var,1,'T0'}]},[{clause,"
    "1,[{cons,1,{tuple,1,[{atom,1,dot},{var,1,'_'}]},{var,1,'R'}}],[],[{call,"
    "1,{remote,1,{atom,1,lists},{atom,1,reverse}},[{var,1,'R'}]}]},{clause,"
    "1,[{var,1,'_'}],[],[{var,1,'T0'}]}]}},{'case',1,{lc,1,{'case',1,{var,"
    "1,'T'},[{clause,1,[{tuple,1,[{atom,1,dot},{var,1,'A'}]}],[],[{tuple,"
    "1,[{atom,1,','},{var,1,'A'}]}]},{clause,1,[{var,1,'_'}],[],[{var,1,"
    "'T'}]}]},[{generate,1,{var,1,'T'},{var,1,'T1'}}]},[{clause,1,[{nil,"
    "1}],[],[{tuple,1,[{atom,1,edist_syntax},{tuple,1,[{integer,1,1},{integer,"
    "1,1}]},{string,1,[110,111,32,101,120,112,114,101,115,115,105,111,110]}]}]},"
    "{clause,1,[{var,1,'T2'}],[],[{match,1,{var,1,'Dot'},{tuple,1,[{atom,"
    "1,dot},{call,1,{atom,1,element},[{integer,1,2},{call,1,{remote,1,{atom,"
    "1,lists},{atom,1,last}},[{var,1,'T2'}]}]}]}},{'case',1,{call,1,{remote,"
    "1,{atom,1,erl_parse},{atom,1,parse_exprs}},[{op,1,'++',{var,1,'T2'},"
    "{cons,1,{var,1,'Dot'},{nil,1}}}]},[{clause,1,[{tuple,1,[{atom,1,ok},"
    "{var,1,'Es'}]}],[],[{tuple,1,[{atom,1,edist_value},{call,1,{atom,1,"
    "element},[{integer,1,2},{call,1,{remote,1,{atom,1,erl_eval},{atom,"
    "1,exprs}},[{var,1,'Es'},{call,1,{remote,1,{atom,1,erl_eval},{atom,"
    "1,new_bindings}},[]}]}]}]}]},{clause,1,[{tuple,1,[{atom,1,error},{tuple,"
    "1,[{var,1,'Loc'},{var,1,'M'},{var,1,'D'}]}]}],[],[{tuple,1,[{atom,"
    "1,edist_syntax},{var,1,'Loc'},{call,1,{remote,1,{var,1,'M'},{atom,"
    "1,format_error}},[{var,1,'D'}]}]}]}]}]}]}]},{clause,1,[{tuple,1,[{atom,"
    "1,error},{tuple,1,[{var,1,'Loc'},{var,1,'M'},{var,1,'D'}]},{var,1,"
    "'_'}]}],[],[{tuple,1,[{atom,1,edist_syntax},{var,1,'Loc'},{call,1,"
    "{remote,1,{var,1,'M'},{atom,1,format_error}},[{var,1,'D'}]}]}]}]}]}]}},"
    "[]}";

static const char eval_usage[] =
    "usage: edist eval [OPTIONS] NODE [EXPR|-]\n"
    "\n"
    "Evaluates EXPR (Erlang expressions; from standard input if EXPR is -\n"
    "or missing) on NODE (name@host, or name for this host) and prints\n"
    "the value of the last one. The final dot is optional; expressions\n"
    "separated by dots or commas share their variables:\n"
    "\n"
    "    edist eval app@host 'erlang:memory(total)'\n"
    "    edist eval app@host 'X = 6. Y = 7. X * Y'\n"
    "    edist eval app@host - < script.erl\n"
    "    edist eval --elixir app@host 'Application.started_applications() |> length()'\n"
    "\n"
    "edist is the group leader of the evaluation: io:format, IO.puts and\n"
    "the like print here as they run, and io:get_line or IO.gets read\n"
    "standard input (eof when it ends, or when EXPR itself came from it).\n"
    "The value is printed in Elixir syntax on a node that runs Elixir,\n"
    "else in Erlang's. An exception is shown as the node's shell shows it,\n"
    "on stderr, and edist exits 1. Ctrl-C stops the evaluation.\n"
    "\n"
    "Options (before or after the command):\n"
    "  --elixir              EXPR is Elixir code (Code.eval_string/1)\n"
    "  --timeout MS|Ns       stop the evaluation (its process is killed) if\n"
    "                        it has not ended after MS milliseconds or N\n"
    "                        seconds, and exit 5 (default: no limit; 10s to\n"
    "                        connect)\n"
    "  --format erlang|elixir|json\n"
    "                        how to print the value (default: the node's\n"
    "                        language)\n"
    "  --oneline             print the value on one line\n"
    EDIST_CONNECT_HELP
    "\n"
    "Exit codes: 0 a value; 1 an exception; 2 usage error, or EXPR does\n"
    "not scan or parse; 3 no EPMD, node not found, connection refused or\n"
    "lost; 4 cookie rejected; 5 timeout.\n";

/* All of standard input, or NULL after printing why. */
static char *read_stdin(size_t *len)
{
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    while (b != NULL) {
        if (n == cap) {
            char *nb = cap < ((size_t)1 << 30) ? realloc(b, cap * 2) : NULL;
            if (nb == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(STDIN_FILENO, b + n, cap - n);
        if (r == 0)
            break;
        if (r < 0) {
            edist_error("eval: cannot read standard input");
            free(b);
            return NULL;
        }
        n += (size_t)r;
    }
    if (b == NULL)
        edist_error("eval: standard input is too large");
    *len = n;
    return b;
}

/* {edist_syntax, Location, Message}: as the shell says it, "* 1:7: ...". */
static void syntax_error(const etf_term *loc, const etf_term *msg)
{
    etf_buf text = {0};
    const etf_term *l = loc->type == ETF_TUPLE && loc->n == 2
                            ? loc->u.elems : NULL;
    if (l && l[0].type == ETF_INTEGER && l[1].type == ETF_INTEGER)
        fprintf(stderr, "* %lld:%lld: ", (long long)l[0].u.i,
                (long long)l[1].u.i);
    else if (loc->type == ETF_INTEGER)
        fprintf(stderr, "* %lld: ", (long long)loc->u.i);
    else
        fputs("* ", stderr);
    if (dist_io_chardata(msg, 0, &text) == 0 && text.data != NULL)
        fprintf(stderr, "%s\n", (const char *)text.data);
    else
        fprintf(stderr, "syntax error\n");
    etf_buf_release(&text);
}

int cmd_eval(int argc, char **argv, edist_opts *o)
{
    const char *node = NULL, *expr = NULL;
    int elixir = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = edist_common_option(o, argc, argv, &i);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(eval_usage, stdout);
            return EXIT_OK;
        }
        if (strcmp(a, "--elixir") == 0) {
            elixir = 1;
            continue;
        }
        if (a[0] == '-' && a[1] != 0) {
            edist_error("eval: unknown option '%s' (see edist eval --help)",
                        a);
            return EXIT_USAGE;
        }
        if (node == NULL) {
            node = a;
        } else if (expr == NULL) {
            expr = a;
        } else {
            edist_error("eval: one EXPR only (quote it: edist eval NODE "
                        "'X = 1, X + 1')");
            return EXIT_USAGE;
        }
    }
    if (node == NULL) {
        fputs(eval_usage, stderr);
        return EXIT_USAGE;
    }
    char *input = NULL;
    size_t len;
    if (expr == NULL || strcmp(expr, "-") == 0) {
        input = read_stdin(&len);
        if (input == NULL)
            return EXIT_USAGE;
    } else {
        len = strlen(expr);
    }
    const char *src = input ? input : expr;

    etf_arena a;
    etf_arena_init(&a);
    etf_term args;
    etf_error pe;
    int code = EXIT_OK;
    if (elixir) {
        args = etf_list(&a, 1); /* Code.eval_string(Src) */
        if (args.u.elems != NULL)
            args.u.elems[0] = etf_binary(src, len);
    } else {
        /* erl_eval:expr(Driver, [{'Src', Src}], none, none, value) */
        etf_term driver, bs = etf_list(&a, 1), b = etf_tuple(&a, 2);
        args = etf_list(&a, 5);
        if (etf_parse(DRIVER_AST, sizeof DRIVER_AST - 1, &a, &driver, &pe)) {
            edist_error("internal error: the eval driver does not parse: "
                        "%s", pe.message);
            code = EXIT_USAGE;
        } else if (args.u.elems != NULL && bs.u.elems != NULL &&
                   b.u.elems != NULL) {
            b.u.elems[0] = etf_atom_z("Src");
            b.u.elems[1] = etf_binary(src, len);
            bs.u.elems[0] = b;
            args.u.elems[0] = driver;
            args.u.elems[1] = bs;
            args.u.elems[2] = etf_atom_z("none");
            args.u.elems[3] = etf_atom_z("none");
            args.u.elems[4] = etf_atom_z("value");
        }
    }
    if (code == EXIT_OK && args.u.elems == NULL) {
        edist_error("out of memory");
        code = EXIT_USAGE;
    }
    edist_remote r;
    if (code == EXIT_OK)
        code = edist_remote_open(o, node, &r);
    if (code != EXIT_OK) {
        etf_arena_release(&a);
        free(input);
        return code;
    }
    if (input != NULL)
        close(STDIN_FILENO); /* read already: the code gets eof */
    if (elixir && r.elixir < 0 && !o->format_set)
        r.elixir = 1;
    dist_message *m;
    dist_call_result res;
    code = edist_remote_call(&r, o, elixir ? "Elixir.Code" : "erl_eval",
                             elixir ? "eval_string" : "expr", &args, 0, &m,
                             &res);
    if (code == EXIT_OK) {
        const etf_term *v = &res.value;
        const etf_term *e = v->type == ETF_TUPLE ? v->u.elems : NULL;
        if (res.class != DIST_CALL_RETURN) {
            code = edist_remote_show(&r, o, &res);
        } else if (elixir && e && v->n == 2) {
            /* {Value, Binding} */
            edist_remote_print(&r, o, &e[0], stdout);
        } else if (!elixir && e && v->n == 2 &&
                   etf_atom_is(&e[0], "edist_value")) {
            edist_remote_print(&r, o, &e[1], stdout);
        } else if (!elixir && e && v->n == 3 &&
                   etf_atom_is(&e[0], "edist_syntax")) {
            fflush(stdout);
            syntax_error(&e[1], &e[2]);
            code = EXIT_USAGE;
        } else {
            edist_error("eval: %s answered what edist did not ask for:",
                        r.node);
            edist_remote_print(&r, o, v, stderr);
            code = EXIT_REMOTE;
        }
        dist_message_free(m);
    }
    edist_remote_close(&r);
    etf_arena_release(&a);
    free(input);
    return code;
}
