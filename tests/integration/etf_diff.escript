#!/usr/bin/env escript
%% -*- erlang -*-
%% etf_diff.escript -- the node's side of edist's differential codec test.
%%
%%   etf_diff.escript gen DIR    writes DIR/terms.bin: fixed and random terms
%%                               as term_to_binary(T, [{minor_version, 2}]),
%%                               and DIR/iolib.bin: io_lib's text of each
%%   etf_diff.escript check DIR  reads DIR/out.bin (what etf_peer made of
%%                               them) and checks every answer against T
%%
%% For each term T the checks are:
%%   decode    edist decoded the node's bytes
%%   reencode  binary_to_term(edist's bytes) =:= T
%%   bytes     edist's bytes =:= term_to_binary(T, [{minor_version,2},
%%             deterministic]) where the BEAM's encoding is canonical
%%   readback  erl_parse reads edist's Erlang text (one line and pretty)
%%             back as T, for terms with a literal syntax
%%   iolib     edist's one-line Erlang text is what io_lib_pretty prints
%%             (where the order of map keys is canonical)
%%   json      (OTP 27+) json:decode/1 accepts edist's JSON
%% It prints one line per failure and ends with "N passed, M failed".
-mode(compile).

main(["gen", Dir]) ->
    rand:seed(exsss, {17, 42, 2026}),
    Terms = fixed() ++ [gen_term(4) || _ <- lists:seq(1, 600)],
    Bin = << <<(byte_size(B)):32, B/binary>>
             || T <- Terms, B <- [term_to_binary(T, [{minor_version, 2}])] >>,
    ok = file:write_file(filename:join(Dir, "terms.bin"), Bin),
    %% io_lib's text is taken here, in the VM that wrote the bytes: since
    %% OTP 26 a small map's key order follows atom creation, which another
    %% VM may see differently.
    Text = << <<(byte_size(L)):32, L/binary>> || T <- Terms, L <- [iolib(T)] >>,
    ok = file:write_file(filename:join(Dir, "iolib.bin"), Text),
    io:format("generated ~b terms~n", [length(Terms)]);
main(["check", Dir]) ->
    {ok, In} = file:read_file(filename:join(Dir, "terms.bin")),
    {ok, Out} = file:read_file(filename:join(Dir, "out.bin")),
    {ok, IoLib} = file:read_file(filename:join(Dir, "iolib.bin")),
    Terms = lists:zip([binary_to_term(B) || B <- records(In)], records(IoLib)),
    Results = check(Terms, records(Out), 1, []),
    Failed = [R || {fail, _, _, _} = R <- Results],
    Passed = length(Results) - length(Failed),
    [io:format("FAIL term ~b ~s: ~ts~n", [N, What, Detail])
     || {fail, N, What, Detail} <- lists:sublist(Failed, 40)],
    io:format("etf differential on OTP ~s, ~b terms: ~b passed, ~b failed~n",
              [erlang:system_info(otp_release), length(Terms), Passed,
               length(Failed)]),
    halt(case Failed of [] -> 0; _ -> 1 end).

records(<<Len:32, B:Len/binary, Rest/binary>>) -> [B | records(Rest)];
records(<<>>) -> [].

check([], [], _, Acc) -> lists:reverse(Acc);
check([{T, _} | Ts], [<<"!", Err/binary>> | Rs], N, Acc) ->
    check(Ts, Rs, N + 1, [{fail, N, "decode", io_lib:format("~ts for ~tp", [Err, T])} | Acc]);
check([{T, IoText} | Ts], [Enc, Line, Pretty, _ExLine, _ExPretty, Json | Rs], N, Acc) ->
    Checks = [{"reencode", fun() -> binary_to_term(Enc) =:= T end},
              {"bytes", fun() -> not canonical(T) orelse
                                 Enc =:= term_to_binary(T, [{minor_version, 2}, deterministic]) end},
              {"readback", fun() -> not literal(T) orelse
                                    (parse(Line) =:= T andalso parse(Pretty) =:= T) end},
              {"iolib", fun() -> not canonical(T) orelse Line =:= IoText end},
              {"json", fun() -> json_ok(Json) end}],
    R = [case catch F() of
             true -> {pass, N, What};
             Other -> {fail, N, What, io_lib:format("~tp~n  ours: ~ts~n  pretty: ~ts~n  iolib: ~ts~n  got: ~tp",
                                                   [T, Line, Pretty, IoText, Other])}
         end || {What, F} <- Checks],
    check(Ts, Rs, N + 1, lists:reverse(R) ++ Acc).

parse(Text) ->
    {ok, Toks, _} = erl_scan:string(unicode:characters_to_list(<<Text/binary, ".">>)),
    {ok, T} = erl_parse:parse_term(Toks),
    T.

iolib(T) ->
    unicode:characters_to_binary(
      io_lib_pretty:print(T, [{column, 1}, {line_length, 100000000},
                              {depth, -1}, {encoding, unicode}])).

json_ok(Json) ->
    case erlang:function_exported(json, decode, 1) orelse
         code:ensure_loaded(json) =:= {module, json} of
        true -> _ = json:decode(Json), true;
        false -> true
    end.

%% Terms whose every part has a literal syntax.
literal(T) when is_pid(T); is_port(T); is_reference(T) -> false;
literal(T) when is_function(T) -> erlang:fun_info(T, type) =:= {type, external};
literal(T) when is_list(T) -> literal_list(T);
literal(T) when is_tuple(T) -> lists:all(fun literal/1, tuple_to_list(T));
literal(T) when is_map(T) -> lists:all(fun literal/1, maps:keys(T) ++ maps:values(T));
literal(_) -> true.

literal_list([H | T]) -> literal(H) andalso literal_list(T);
literal_list([]) -> true;
literal_list(T) -> literal(T).

%% Terms the BEAM encodes one way only: no map of more than 32 keys (their
%% order is a hash's), no local fun (its bytes are kept), and on OTP 25 no
%% port (25 still wrote NEW_PORT_EXT, later releases V4_PORT_EXT).
canonical(T) when is_map(T) ->
    map_size(T) =< 32 andalso lists:all(fun canonical/1, maps:keys(T) ++ maps:values(T));
canonical(T) when is_port(T) -> erlang:system_info(otp_release) >= "27";
canonical(T) when is_list(T) -> canonical_list(T);
canonical(T) when is_tuple(T) -> lists:all(fun canonical/1, tuple_to_list(T));
canonical(_) -> true.

canonical_list([H | T]) -> canonical(H) andalso canonical_list(T);
canonical_list([]) -> true;
canonical_list(T) -> canonical(T).

%% ---- the terms ------------------------------------------------------------

fixed() ->
    [0, 1, 255, 256, -1, 2147483647, 2147483648, -2147483648, -2147483649,
     1 bsl 63, -(1 bsl 63), (1 bsl 63) - 1, 1 bsl 64, -(1 bsl 64), 1 bsl 2040,
     -(1 bsl 3000), 12345678901234567890123456789,
     0.0, -0.0, 1.5, -1.5, 0.1, 1.0e15, 1.0e16, 1.0e300, 5.0e-324, 1.0e-10,
     123456.0, 1.2e7, 0.0001, 1.2e-4, 9007199254740992.0, 1.7976931348623157e308,
     '', a, 'A', 'hello world', 'é', 'Ωmega', '日本', 'it\'s', 'a\nb', 'a@b', 'a.b',
     'and', 'end', 'fun', 'when', '_x', 'x_1', 'Elixir.Foo.Bar', true, false, nil,
     list_to_atom(lists:duplicate(255, $x)), list_to_atom(lists:duplicate(255, 16#65E5)),
     {}, {a}, {a, 1}, {ok, {error, [1, 2]}}, list_to_tuple(lists:seq(1, 300)),
     [], "abc", "a\"b\\c", "tab\there\nnew", [7], [127], [160, 255], "é", [233, 1000],
     [1, 2 | 3], [a | b], [[]], [[], []], ["abc", "def"], [256], [-1], lists:seq(1, 100),
     lists:duplicate(70000, 1), lists:duplicate(300, $x),
     <<>>, <<1, 2, 3>>, <<"abc">>, <<"a\"b\\">>, <<"é"/utf8>>, <<"日本"/utf8>>, <<233>>,
     <<200, 1>>, <<0>>, <<1:3>>, <<255, 1:1>>, <<"ab", 1:2>>, <<"\n\t">>,
     binary:copy(<<"x">>, 1000),
     #{}, #{a => 1}, #{a => 1, b => 2}, #{1 => a, 1.0 => b, 2 => c},
     #{[1] => x, "a" => y, {t} => z, <<"b">> => w},
     maps:from_list([{K, K * 2} || K <- lists:seq(1, 32)]),
     maps:from_list([{K, K} || K <- lists:seq(1, 40)]),
     maps:from_list([{list_to_atom("k" ++ integer_to_list(K)), K} || K <- lists:seq(1, 50)]),
     #{#{a => 1} => #{b => [1, 2, 3]}},
     fun lists:map/2, fun erlang:'+'/2, fun 'weird mod':'fun name'/0,
     self(), make_ref(), hd(erlang:ports()),
     fun(X) -> X + 1 end,
     {self(), make_ref(), [hd(erlang:ports())]},
     nest(100), nest_tuple(50),
     [{name, "x"}, {age, 42}], [{a, 1} | b],
     {aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, c},
     [{a, lists:seq(1, 10)}, {b, lists:seq(1, 30)}, {c, #{a => 1, b => "hello world this is long"}}]].

nest(0) -> [];
nest(N) -> [nest(N - 1)].

nest_tuple(0) -> leaf;
nest_tuple(N) -> {N, nest_tuple(N - 1)}.

gen_term(0) -> gen_leaf();
gen_term(D) ->
    case rand:uniform(10) of
        N when N =< 4 -> gen_leaf();
        5 -> list_to_tuple([gen_term(D - 1) || _ <- lists:seq(1, rand:uniform(6) - 1)]);
        6 -> [gen_term(D - 1) || _ <- lists:seq(1, rand:uniform(6) - 1)];
        7 -> maps:from_list([{gen_term(D - 1), gen_term(D - 1)} || _ <- lists:seq(1, rand:uniform(5) - 1)]);
        8 -> case rand:uniform(3) of
                 1 -> [gen_leaf() | gen_leaf()];
                 2 -> maps:from_list([{gen_atom(), gen_leaf()} || _ <- lists:seq(1, 30 + rand:uniform(20))]);
                 3 -> [{gen_atom(), gen_term(D - 1)} || _ <- lists:seq(1, rand:uniform(4))]
             end;
        9 -> gen_string();
        10 -> gen_binary()
    end.

gen_leaf() ->
    case rand:uniform(12) of
        1 -> rand:uniform(256) - 1;
        2 -> rand:uniform(1 bsl 32) - (1 bsl 31);
        3 -> (rand:uniform(1 bsl 64) - (1 bsl 63)) * (rand:uniform(1 bsl 40));
        4 -> (1 bsl rand:uniform(600)) * (case rand:uniform(2) of 1 -> 1; 2 -> -1 end) + rand:uniform(1000);
        5 -> gen_float();
        6 -> gen_atom();
        7 -> gen_string();
        8 -> gen_binary();
        9 -> [];
        10 -> {};
        11 -> gen_float();
        12 -> gen_atom()
    end.

gen_float() ->
    case rand:uniform(3) of
        1 -> (rand:uniform() - 0.5) * math:pow(10, rand:uniform(40) - 20);
        2 -> float(rand:uniform(100000));
        3 -> <<F/float>> = gen_finite_bits(), F
    end.

gen_finite_bits() ->
    B = <<(rand:uniform(1 bsl 64) - 1):64>>,
    case B of
        <<_:1, 2047:11, _:52>> -> gen_finite_bits();
        _ -> B
    end.

gen_atom() ->
    Chars = case rand:uniform(5) of
                1 -> [$a + rand:uniform(26) - 1 || _ <- lists:seq(1, rand:uniform(8))];
                2 -> [$A + rand:uniform(26) - 1 | [$a + rand:uniform(26) - 1 || _ <- lists:seq(1, rand:uniform(5))]];
                3 -> [rand:uniform(95) + 31 || _ <- lists:seq(1, rand:uniform(10))];
                4 -> [rand:uniform(255) || _ <- lists:seq(1, rand:uniform(6))];
                5 -> [16#3B1 + rand:uniform(20) || _ <- lists:seq(1, rand:uniform(6))]
            end,
    list_to_atom(Chars).

gen_string() ->
    case rand:uniform(4) of
        1 -> [rand:uniform(95) + 31 || _ <- lists:seq(1, rand:uniform(20))];
        2 -> [rand:uniform(256) - 1 || _ <- lists:seq(1, rand:uniform(10))];
        3 -> [rand:uniform(2000) || _ <- lists:seq(1, rand:uniform(6))];
        4 -> "x\n\"y\\"
    end.

gen_binary() ->
    case rand:uniform(4) of
        1 -> << <<(rand:uniform(256) - 1)>> || _ <- lists:seq(1, rand:uniform(20)) >>;
        2 -> unicode:characters_to_binary([rand:uniform(95) + 31 || _ <- lists:seq(1, rand:uniform(20))]);
        3 -> unicode:characters_to_binary([rand:uniform(400) + 31 || _ <- lists:seq(1, rand:uniform(10))]);
        4 -> <<(rand:uniform(1 bsl 20)):(rand:uniform(30))>>
    end.
