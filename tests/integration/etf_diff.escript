#!/usr/bin/env escript
%% -*- erlang -*-
%% etf_diff.escript -- the node's side of edist's differential codec test.
%%
%%   etf_diff.escript gen DIR    writes DIR/terms.bin: fixed and random terms
%%                               as term_to_binary(T, [{minor_version, 2}]),
%%                               and DIR/iolib.bin: io_lib_pretty's text of
%%                               each, on one line and 80 columns wide
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
%%   pretty    edist's Erlang text at width 80 is byte for byte what
%%             io_lib_pretty:print(T, [{column, 1}, {line_length, 80}]) --
%%             io:format("~tp") -- prints, wherever the one-line texts
%%             agree (they do not where a map of more than 32 keys, which
%%             the BEAM orders by hash, comes in another order: such a
%%             term is counted as skipped, not passed)
%%   json      (OTP 27+) json:decode/1 accepts edist's JSON
%% It prints one line per failure and ends with "N passed, M failed".
%%
%% io_lib_pretty breaks lines the same way in OTP 25, 27 and 29 (its pp
%% and cind functions did not change; OTP 27's print_bin/2, used by
%% io_lib:bformat, gives the same text), so each release's own output is
%% compared for every term, and no term is skipped for a release
%% difference. OTP 29's native records (#Module:Name{...}) are added to
%% the terms where records:create/4 exists.
-mode(compile).

main(["gen", Dir]) ->
    rand:seed(exsss, {17, 42, 2026}),
    Terms = fixed() ++ breaking() ++ native_records() ++
            [gen_term(4) || _ <- lists:seq(1, 600)] ++
            [gen_wide(3) || _ <- lists:seq(1, 150)],
    Bin = << <<(byte_size(B)):32, B/binary>>
             || T <- Terms, B <- [term_to_binary(T, [{minor_version, 2}])] >>,
    ok = file:write_file(filename:join(Dir, "terms.bin"), Bin),
    %% io_lib's text is taken here, in the VM that wrote the bytes: since
    %% OTP 26 a small map's key order follows atom creation, which another
    %% VM may see differently.
    Text = << <<(byte_size(L)):32, L/binary, (byte_size(P)):32, P/binary>>
              || T <- Terms, L <- [iolib(T, 100000000)], P <- [iolib(T, 80)] >>,
    ok = file:write_file(filename:join(Dir, "iolib.bin"), Text),
    io:format("generated ~b terms~n", [length(Terms)]);
main(["check", Dir]) ->
    {ok, In} = file:read_file(filename:join(Dir, "terms.bin")),
    {ok, Out} = file:read_file(filename:join(Dir, "out.bin")),
    {ok, IoLib} = file:read_file(filename:join(Dir, "iolib.bin")),
    Terms = lists:zip([binary_to_term(B) || B <- records(In)], pairs(records(IoLib))),
    Results = check(Terms, records(Out), 1, []),
    Failed = [R || {fail, _, _, _} = R <- Results],
    Skipped = [R || {skip, _, _} = R <- Results],
    Passed = length(Results) - length(Failed) - length(Skipped),
    [io:format("FAIL term ~b ~s: ~ts~n", [N, What, Detail])
     || {fail, N, What, Detail} <- lists:sublist(Failed, 40)],
    Pretty = [N || {pass, N, "pretty"} <- Results],
    Broken = [N || {pass, N, "pretty", multi} <- Results],
    io:format("pretty on OTP ~s: ~b terms as io_lib_pretty prints them at 80 columns "
              "(~b of them on several lines); ~b not compared, their one-line text "
              "differing (a map of more than 32 keys in another order)~n",
              [erlang:system_info(otp_release), length(Pretty) + length(Broken),
               length(Broken), length(Skipped)]),
    io:format("etf differential on OTP ~s, ~b terms: ~b passed, ~b failed~n",
              [erlang:system_info(otp_release), length(Terms), Passed,
               length(Failed)]),
    halt(case Failed of [] -> 0; _ -> 1 end).

records(<<Len:32, B:Len/binary, Rest/binary>>) -> [B | records(Rest)];
records(<<>>) -> [].

pairs([A, B | Rest]) -> [{A, B} | pairs(Rest)];
pairs([]) -> [].

check([], [], _, Acc) -> lists:reverse(Acc);
check([{T, _} | Ts], [<<"!", Err/binary>> | Rs], N, Acc) ->
    check(Ts, Rs, N + 1, [{fail, N, "decode", io_lib:format("~ts for ~tp", [Err, T])} | Acc]);
check([{T, {IoText, IoPretty}} | Ts], [Enc, Line, Pretty, _ExLine, _ExPretty, Json | Rs], N, Acc) ->
    Checks = [{"reencode", fun() -> binary_to_term(Enc) =:= T end},
              {"bytes", fun() -> not canonical(T) orelse
                                 Enc =:= term_to_binary(T, [{minor_version, 2}, deterministic]) end},
              {"readback", fun() -> not literal(T) orelse
                                    (parse(Line) =:= T andalso parse(Pretty) =:= T) end},
              {"iolib", fun() -> not canonical(T) orelse Line =:= IoText end},
              {"pretty", fun() -> pretty_check(Line, IoText, Pretty, IoPretty) end},
              {"json", fun() -> json_ok(Json) end}],
    R = [case catch F() of
             true -> {pass, N, What};
             multi -> {pass, N, What, multi};
             skip -> {skip, N, What};
             Other when What =:= "pretty" ->
                 {fail, N, What, io_lib:format("~tp~n  edist:~n~ts~n  io_lib_pretty:~n~ts~n  (first difference at line ~b)",
                                               [T, Pretty, IoPretty, first_diff(Pretty, IoPretty)]) ++
                                 [io_lib:format("~n  got: ~tp", [Other]) || Other =/= false]};
             Other -> {fail, N, What, io_lib:format("~tp~n  ours: ~ts~n  pretty: ~ts~n  iolib: ~ts~n  got: ~tp",
                                                   [T, Line, Pretty, IoText, Other])}
         end || {What, F} <- Checks],
    check(Ts, Rs, N + 1, lists:reverse(R) ++ Acc).

parse(Text) ->
    {ok, Toks, _} = erl_scan:string(unicode:characters_to_list(<<Text/binary, ".">>)),
    {ok, T} = erl_parse:parse_term(Toks),
    T.

iolib(T, Width) ->
    unicode:characters_to_binary(
      io_lib_pretty:print(T, [{column, 1}, {line_length, Width},
                              {depth, -1}, {encoding, unicode}])).

%% The pretty check: true or multi (same text, on several lines), skip
%% where the one-line texts differ, or false.
pretty_check(Line, IoLine, _, _) when Line =/= IoLine -> skip;
pretty_check(_, _, Pretty, Pretty) ->
    case binary:match(Pretty, <<"\n">>) of
        nomatch -> true;
        _ -> multi
    end;
pretty_check(_, _, _, _) -> false.

first_diff(A, B) ->
    first_diff(binary:split(A, <<"\n">>, [global]),
               binary:split(B, <<"\n">>, [global]), 1).

first_diff([L | As], [L | Bs], N) -> first_diff(As, Bs, N + 1);
first_diff(_, _, N) -> N.

json_ok(Json) ->
    case erlang:function_exported(json, decode, 1) orelse
         code:ensure_loaded(json) =:= {module, json} of
        true -> _ = json:decode(Json), true;
        false -> true
    end.

%% Terms whose every part has a literal syntax (not pids, ports,
%% references, local funs, nor OTP 29's native records, which erl_parse
%% does not read as terms).
literal(T) when is_number(T); is_atom(T); is_bitstring(T) -> true;
literal(T) when is_function(T) -> erlang:fun_info(T, type) =:= {type, external};
literal(T) when is_list(T) -> literal_list(T);
literal(T) when is_tuple(T) -> lists:all(fun literal/1, tuple_to_list(T));
literal(T) when is_map(T) -> lists:all(fun literal/1, maps:keys(T) ++ maps:values(T));
literal(_) -> false.

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

%% Terms that do not fit on a line, to exercise the pretty-printers.
breaking() ->
    Seq = fun(N) -> lists:seq(1, N) end,
    Long = "a fairly long string that will not fit on one line of eighty columns, not at all",
    [%% tagged tuples: the tag stays on the first line
     {error, {badmatch, Seq(40)}},
     {ok, Seq(30), {state, Long, [{key, value}]}},
     {reply, {ok, #{pid_count => 12, names => [alpha, beta, gamma, delta, epsilon, zeta, eta]}}, Seq(20)},
     {a_rather_long_tag_name, Seq(25)},
     {ab, {cd, {ef, {gh, {ij, {kl, {mn, {op, {qr, Seq(30)}}}}}}}}},
     %% tag columns past the middle of the line: TInd 4, then 1
     deep_tags(12, Seq(20)),
     deep_tags(30, Seq(20)),
     {aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, {bbbbbbbbbbbbbbbbbbbbbbbbbbbbb, Seq(20)}},
     %% record-like tuples
     {person, "Joe Armstrong", 1950, [erlang, prolog, smalltalk], #{country => sweden, lang => "sv"},
      {address, "Some Street 1", "Stockholm", 12345}},
     {state, undefined, [], #{}, {}, <<>>, Seq(15), Long},
     %% maps: K => V, and V on the next line when it does not fit
     #{config => #{db => #{host => "db.example.internal", port => 5432, pool => Seq(20)},
                   cache => #{ttl => 3600, nodes => ['cache1@host', 'cache2@host', 'cache3@host']}},
       name => <<"service">>},
     #{{a_long_tuple_key, Seq(25)} => {and_a_long_value, Seq(25)}},
     #{Long => Long},
     #{key => Seq(60)},
     [#{id => I, name => list_to_binary("item " ++ integer_to_list(I)), tags => [a, b]} || I <- Seq(6)],
     %% long lists of small things
     Seq(200),
     [list_to_atom([C]) || C <- lists:seq($a, $z)] ++ [list_to_atom(lists:duplicate(C rem 7 + 1, C)) || C <- lists:seq($a, $z)],
     [I * 1.5 || I <- Seq(40)],
     [-I * 1000003 || I <- Seq(40)],
     [{I, I * I} || I <- Seq(30)],
     [[I] || I <- Seq(40)],
     %% long strings and binaries: never split
     lists:duplicate(200, $x),
     Long,
     [Long, Long],
     {Long, Long},
     binary:copy(<<"abc ">>, 50),
     <<0:2000>>,
     binary:copy(<<200, 1, 255>>, 60),
     <<(binary:copy(<<7>>, 100))/binary, 5:3>>,
     {<<1, 2, 3, 200>>, binary:copy(<<200>>, 40), binary:copy(<<129>>, 40)},
     [binary:copy(<<255>>, 30), binary:copy(<<255>>, 30)],
     unicode:characters_to_binary(lists:duplicate(60, 16#65E5)),
     [lists:duplicate(30, 16#65E5), lists:duplicate(30, 16#E9)],
     [list_to_atom(lists:duplicate(10, 16#3B1 + I)) || I <- Seq(10)],
     %% improper lists
     lists:foldr(fun(X, Acc) -> [X | Acc] end, tail, Seq(40)),
     lists:foldr(fun(X, Acc) -> [X | Acc] end, {a_tuple_tail, Seq(30)}, Seq(10)),
     [a, b | Long],
     [{k, Seq(30)} | {t, Seq(30)}],
     %% keyword-ish lists
     [{name, "edist"}, {version, "0.1.0"}, {applications, [kernel, stdlib, crypto, ssl]},
      {env, [{port, 4369}, {timeout, 5000}, {nodes, ['a@h', 'b@h']}]}],
     [{K, K} || K <- [alpha, beta, gamma, delta, epsilon, zeta, eta, theta, iota, kappa]],
     [{'Elixir.Foo', 1}, {bar, Seq(30)}],
     %% deep nesting
     nest_tuple(30),
     lists:foldl(fun(I, Acc) -> [Acc, I] end, [], Seq(60)),
     lists:foldl(fun(I, Acc) -> {node, I, Acc, Seq(5)} end, leaf, Seq(25)),
     lists:foldl(fun(I, Acc) -> #{I => Acc, x => Seq(5)} end, #{}, Seq(15)),
     %% a column just at the edge
     [lists:duplicate(N, $a) || N <- [74, 75, 76, 77, 78]],
     {lists:duplicate(75, $b)},
     [lists:duplicate(76, $b)],
     [list_to_atom(lists:duplicate(N, $c)) || N <- [70, 71, 72, 73]]].

deep_tags(0, Leaf) -> Leaf;
deep_tags(N, Leaf) -> {list_to_atom("tag" ++ integer_to_list(N)), deep_tags(N - 1, Leaf)}.

%% OTP 29's native records, where they exist.
native_records() ->
    case code:ensure_loaded(records) =:= {module, records} andalso
         erlang:function_exported(records, create, 4) of
        true ->
            Create = fun(M, N, Fs) -> records:create(M, N, Fs, #{is_exported => true}) end,
            [Create(mymod, point, [{x, 1}, {y, 2}]),
             Create(mymod, point, [{x, 1}, {y, lists:seq(1, 40)}, {zzz, {a, lists:seq(1, 30)}}]),
             Create(m, averyveryveryveryverylongrecordnamethatgoesonandon,
                    [{fieldwithaverylongname_abcdefghijklmnop, lists:seq(1, 30)}, {b, 2}]),
             [Create(shop, item, [{id, I}, {name, <<"name">>}, {tags, [a, b, c]}]) || I <- lists:seq(1, 4)]];
        false ->
            []
    end.

%% Random terms with more and bigger elements than gen_term's.
gen_wide(D) when D =< 0 -> gen_leaf();
gen_wide(D) ->
    case rand:uniform(8) of
        N when N =< 2 -> gen_leaf();
        3 -> list_to_tuple([gen_wide(D - 1) || _ <- lists:seq(1, rand:uniform(12))]);
        4 -> [gen_wide(D - 1) || _ <- lists:seq(1, rand:uniform(15))];
        5 -> maps:from_list([{gen_wide(D - 2), gen_wide(D - 1)} || _ <- lists:seq(1, rand:uniform(8))]);
        6 -> list_to_tuple([gen_atom() | [gen_wide(D - 1) || _ <- lists:seq(1, rand:uniform(6))]]);
        7 -> [{gen_atom(), gen_wide(D - 1)} || _ <- lists:seq(1, rand:uniform(8))];
        8 -> lists:seq(1, rand:uniform(60))
    end.

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
