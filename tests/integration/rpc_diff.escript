#!/usr/bin/env escript
%% -*- erlang -*-
%% rpc_diff.escript -- the judge of rpc.test's differential test: edist
%% rpc/eval against erl_call, the same calls on the same node.
%%
%%   rpc_diff.escript DIR
%%
%% DIR/cases has one line per case, "ID MODE KIND" (KIND: a for erl_call
%% -a, e for erl_call -e), and for each case DIR/ID.ec (erl_call's stdout),
%% DIR/ID.out, DIR/ID.err and DIR/ID.rc (edist's stdout, stderr and exit
%% code). It prints "PASS ID" or "FAIL ID: why" for each case.
%%
%% Both outputs are made terms, then compared:
%%   erl_call  prints with ei_print_term, which is not Erlang syntax:
%%             #Bin<1,2> and #Bits<1,2:3> for binaries, <node.90.0> for
%%             pids, #Ref<...>, #Fun{...}, #Port<...>, floats with 6
%%             decimals, strings with \x1 escapes (and \xffffffe9 for a
%%             byte above 127: a signed char), bignums as 16#HEX, and -e
%%             wraps the value in {ok, V} or says {error, "*** eval: ..."}
%%             with the ~p text of what catch gave. It does not escape "
%%             or \ in strings, nor ' in atoms, so no case has those.
%%   edist     prints the term in Erlang syntax.
%% In both, pids, refs, ports and local funs become the atoms 'PID',
%% 'REF', 'PORT' and 'FUN', and every float the text of its value to 6
%% decimals.
%%
%% MODE says how the two terms are compared:
%%   exact   equal after the above
%%   shape   equal once every integer is 'INT' and every float 'FLOAT'
%%           (memory sizes, counts: the same keys and kinds)
%%   digest  edist printed a binary B; erl_call printed
%%           {byte_size(B), erlang:md5(B)} (ei_print_term shows no more
%%           than the first 30 bytes of a binary)
%%   error   edist exited 1 with nothing on stdout and "** exception
%%           CLASS: ..." on stderr; erl_call's answer ({badrpc, {'EXIT',
%%           R}}, {error, "*** eval: ..."}, or the thrown value itself,
%%           which rpc:call returns) gives the same class, and edist's
%%           words name the same reason (badarg: "bad argument", undef:
%%           "undefined function"..., else the reason's own text)
-mode(compile).

main([Dir]) ->
    ok = io:setopts([{encoding, unicode}]),
    {ok, Bin} = file:read_file(filename:join(Dir, "cases")),
    Lines = [L || L <- string:split(binary_to_list(Bin), "\n", all), L =/= ""],
    lists:foreach(
      fun(Line) ->
              [Id, Mode, Kind] = string:lexemes(Line, " \t"),
              R = try judge(Dir, Id, list_to_atom(Mode), list_to_atom(Kind))
                  catch C:E:S -> {fail, io_lib:format("judge crashed: ~p:~tp ~p", [C, E, S])}
                  end,
              case R of
                  pass -> io:format("PASS ~s~n", [Id]);
                  {fail, Why} -> io:format("FAIL ~s: ~ts~n", [Id, oneline(Why)])
              end
      end, Lines);
main(_) ->
    io:format(standard_error, "usage: rpc_diff.escript DIR~n", []),
    halt(2).

judge(Dir, Id, Mode, Kind) ->
    Read = fun(Ext) ->
                   {ok, B} = file:read_file(filename:join(Dir, Id ++ Ext)),
                   text(B)
           end,
    Ec = string:trim(Read(".ec")),
    Out = string:trim(Read(".out")),
    Err = Read(".err"),
    Rc = string:trim(Read(".rc")),
    case Mode of
        error -> judge_error(Ec, Kind, Out, Err, Rc);
        _ when Rc =/= "0" ->
            {fail, io_lib:format("edist exited ~s, not 0", [Rc])};
        _ ->
            case {ei_value(Ec, Kind), edist_term(Out)} of
                {{error, Why}, _} -> {fail, io_lib:format("erl_call's output ~tp: ~ts", [Ec, Why])};
                {_, {error, Why}} -> {fail, io_lib:format("edist's output ~tp: ~ts", [Out, Why])};
                {{ok, Theirs}, {ok, Ours}} -> compare(Mode, Theirs, Ours)
            end
    end.

compare(exact, Theirs, Ours) ->
    same(norm(Theirs), norm(Ours));
compare(shape, Theirs, Ours) ->
    same(shape(norm(Theirs)), shape(norm(Ours)));
compare(digest, Theirs, Ours) when is_binary(Ours) ->
    same(Theirs, {byte_size(Ours), erlang:md5(Ours)});
compare(digest, _, Ours) ->
    {fail, io_lib:format("edist printed no binary: ~P", [Ours, 20])}.

same(T, T) -> pass;
same(Theirs, Ours) ->
    {Path, A, B} = first_difference(Theirs, Ours, []),
    {fail, io_lib:format("at ~w: erl_call ~tP, edist ~tP", [Path, A, 12, B, 12])}.

%% Where two terms first differ: the path of element indexes (map keys)
%% down to the two subterms.
first_difference(A, B, Path) when is_tuple(A), is_tuple(B), tuple_size(A) =:= tuple_size(B) ->
    first_difference(tuple_to_list(A), tuple_to_list(B), Path);
first_difference(A, B, Path) when is_map(A), is_map(B) ->
    case lists:sort(maps:keys(A)) =:= lists:sort(maps:keys(B)) of
        true ->
            [K | _] = [K || K <- lists:sort(maps:keys(A)), maps:get(K, A) =/= maps:get(K, B)],
            first_difference(maps:get(K, A), maps:get(K, B), Path ++ [K]);
        false -> {Path, A, B}
    end;
first_difference(A, B, Path) when is_list(A), is_list(B) -> list_difference(A, B, Path, 1);
first_difference(A, B, Path) -> {Path, A, B}.

list_difference([X | As], [X | Bs], Path, N) -> list_difference(As, Bs, Path, N + 1);
list_difference([A | _], [B | _], Path, N) -> first_difference(A, B, Path ++ [N]);
list_difference(A, B, Path, N) -> {Path ++ [{tail, N}], A, B}.

%% --- errors -------------------------------------------------------------

judge_error(Ec, Kind, Out, Err, Rc) ->
    case theirs_exception(Ec, Kind) of
        {error, Why} -> {fail, io_lib:format("erl_call's output ~tp: ~ts", [Ec, Why])};
        {ok, Class, Reason} ->
            Words = reason_words(Reason),
            Flat = squash(Err),
            Head = "** exception " ++ atom_to_list(Class) ++ ":",
            if
                Rc =/= "1" -> {fail, io_lib:format("edist exited ~s, not 1 (erl_call says ~p:~tP)",
                                                   [Rc, Class, Reason, 12])};
                Out =/= "" -> {fail, io_lib:format("edist printed ~tp on stdout for ~p:~tp", [Out, Class, Reason])};
                true ->
                    case {string:find(Err, Head), string:find(Flat, squash(Words))} of
                        {nomatch, _} ->
                            {fail, io_lib:format("erl_call says ~p:~tP, edist's stderr has no ~tp: ~tp",
                                                 [Class, Reason, 12, Head, Err])};
                        {_, nomatch} ->
                            {fail, io_lib:format("erl_call says ~p:~tP, edist's stderr does not say ~tp: ~tp",
                                                 [Class, Reason, 12, Words, Err])};
                        _ -> pass
                    end
            end
    end.

%% What erl_call saw: {ok, Class, Reason}. erl_call -e's answer is what
%% the node's erl_eval:eval_str/1 says: up to OTP 28 "*** eval: " and what
%% catch gave; from OTP 29 on "*** eval failed: R" (error), "*** eval
%% failed with thrown exception: V" and "... with exit exception: R".
theirs_exception(Ec, e) ->
    Forms = [{"eval", catch_}, {"eval failed", error},
             {"eval failed with thrown exception", throw},
             {"eval failed with exit exception", exit}],
    Found = [{How, Text} || {Words, How} <- Forms,
                            {match, [Text]} <- [re:run(Ec, "^\\{error, \"\\*\\*\\* " ++ Words ++ ": (.*)\"\\}$",
                                                       [dotall, unicode, {capture, all_but_first, list}])]],
    case Found of
        [{How, Text}] ->
            %% ~p text inside a string that ei_print_term did not escape,
            %% but for its newlines.
            case {How, parse(unescape_nl(Text))} of
                {_, {error, Why}} -> {error, Why};
                {catch_, {ok, Caught}} -> caught(Caught);
                {Class, {ok, Reason}} -> {ok, Class, Reason}
            end;
        _ -> {error, "not {error, \"*** eval...: ...\"}"}
    end;
theirs_exception(Ec, a) ->
    case ei_value(Ec, a) of
        {ok, {badrpc, {'EXIT', Caught}}} -> caught({'EXIT', Caught});
        {ok, {badrpc, Other}} -> {error, io_lib:format("badrpc ~tp", [Other])};
        %% rpc:call gives back what the function threw.
        {ok, Thrown} -> {ok, throw, Thrown};
        {error, Why} -> {error, Why}
    end.

%% What `catch` gives: error with its stack, exit, or the thrown term.
caught({'EXIT', {Reason, [Frame | _]}}) when tuple_size(Frame) =:= 4 -> {ok, error, Reason};
caught({'EXIT', Reason}) -> {ok, exit, Reason};
caught(Thrown) -> {ok, throw, Thrown}.

%% The words of the shell (erl_error) for a reason, or the reason itself.
reason_words(badarg) -> "bad argument";
reason_words(undef) -> "undefined function";
reason_words(function_clause) -> "no function clause matching";
reason_words(badarith) -> "an error occurred when evaluating an arithmetic expression";
reason_words(if_clause) -> "no true branch found";
reason_words({badmatch, _}) -> "no match of right hand side value";
reason_words({case_clause, _}) -> "no case clause matching";
reason_words({badfun, _}) -> "bad function";
reason_words({badarity, _}) -> "called with";
reason_words({badkey, _}) -> "bad key";
reason_words({badmap, _}) -> "bad map";
reason_words(R) -> lists:flatten(io_lib:format("~tp", [R])).

squash(S) -> [C || C <- S, C =/= $\s, C =/= $\n, C =/= $\t].

unescape_nl("\\n" ++ T) -> "\n" ++ unescape_nl(T);
unescape_nl([C | T]) -> [C | unescape_nl(T)];
unescape_nl([]) -> [].

%% --- erl_call's text ------------------------------------------------------

ei_value(Ec, a) -> parse(ei_to_erlang(Ec));
ei_value(Ec, e) ->
    case re:run(Ec, "^\\{ok, (.*)\\}$", [dotall, unicode, {capture, all_but_first, list}]) of
        {match, [V]} -> parse(ei_to_erlang(V));
        nomatch -> {error, "not {ok, V}"}
    end.

ei_to_erlang(S0) ->
    Subs = [{"#Bin<([^>]*)>", "<<\\1>>"},
            {"#Bits<([^>]*)>", "<<\\1>>"},
            %% \xffffffe9: a byte above 127 through a signed char.
            {"\\\\xffffff([0-9a-fA-F]{2})", "\\\\x{\\1}"},
            {"\\\\x([0-9a-fA-F]{1,2})", "\\\\x{\\1}"},
            {"#Fun\\{[^}]*\\}", "'FUN'"}],
    lists:foldl(fun({Re, To}, S) -> re:replace(S, Re, To, [global, unicode, {return, list}]) end,
                S0, Subs).

%% --- edist's text -----------------------------------------------------------

edist_term("") -> {error, "nothing"};
edist_term(Out) -> parse(Out).

%% --- both ---------------------------------------------------------------------

parse(S0) ->
    Subs = [{"#Ref<[^>]*>", "'REF'"},
            {"#Reference<[^>]*>", "'REF'"},
            {"#Fun<[^>]*>", "'FUN'"},
            {"#Function<[^>]*>", "'FUN'"},
            {"#Port<[^>]*>", "'PORT'"},
            {"#PID<[^>]*>", "'PID'"},
            {"<[^<>\\s,]*\\.[0-9]+\\.[0-9]+>", "'PID'"}],
    S = lists:foldl(fun({Re, To}, Acc) -> re:replace(Acc, Re, To, [global, unicode, {return, list}]) end,
                    S0, Subs),
    case erl_scan:string(S ++ " .") of
        {ok, Toks, _} ->
            case erl_parse:parse_term(Toks) of
                {ok, T} -> {ok, T};
                {error, {_, M, E}} -> {error, lists:flatten(M:format_error(E))}
            end;
        {error, {_, M, E}, _} -> {error, lists:flatten(M:format_error(E))}
    end.

text(B) ->
    case unicode:characters_to_list(B) of
        L when is_list(L) -> L;
        _ -> binary_to_list(B)
    end.

norm(F) when is_float(F) -> {float, lists:flatten(io_lib:format("~.6f", [F]))};
norm(L) when is_list(L) -> norm_list(L);
norm(T) when is_tuple(T) -> list_to_tuple([norm(E) || E <- tuple_to_list(T)]);
norm(M) when is_map(M) -> maps:from_list([{norm(K), norm(V)} || {K, V} <- maps:to_list(M)]);
norm(T) -> T.

norm_list([H | T]) -> [norm(H) | norm_list(T)];
norm_list([]) -> [];
norm_list(Tail) -> norm(Tail).

shape(I) when is_integer(I) -> 'INT';
shape({float, _}) -> 'FLOAT';
shape(L) when is_list(L) -> shape_list(L);
shape(T) when is_tuple(T) -> list_to_tuple([shape(E) || E <- tuple_to_list(T)]);
shape(M) when is_map(M) -> maps:from_list([{K, shape(V)} || {K, V} <- maps:to_list(M)]);
shape(T) -> T.

shape_list([H | T]) -> [shape(H) | shape_list(T)];
shape_list([]) -> [];
shape_list(Tail) -> shape(Tail).

oneline(S) ->
    string:replace(lists:flatten(S), "\n", "\\n", all).
