#!/usr/bin/env escript
%% -*- erlang -*-
%%
%% gen_corpus.escript -- writes the seed corpus of fuzz_decode into
%% corpus/decode/ (or the directory given as the first argument).
%%
%%     cd tests/fuzz && escript gen_corpus.escript
%%
%% Most seeds are term_to_binary/1,2 output of the node running this script
%% (the corpus in the repository was made with OTP 25, erts 13.1.5). A few
%% are made by hand here because no current node writes them:
%%   - the old tags PID_EXT (103), PORT_EXT (102), REFERENCE_EXT (101),
%%     NEW_REFERENCE_EXT (114), SMALL_ATOM_EXT (115), FLOAT_EXT (99 -- also
%%     written by the node with {minor_version,0}), V4_PORT_EXT (120);
%%   - terms with ATOM_CACHE_REF (82), which only appear after a
%%     distribution header: these seeds start with a mode byte (see
%%     fuzz_decode.c) instead of 131;
%% and a few are bytes captured from an OTP 29.1.2 node (erts 17.1.1),
%% kept here as hex, because older releases cannot make them: native
%% records (RECORD_EXT, 67) and term_to_binary(T, [local]) (LOCAL_EXT,
%% 121, OTP 26+). On OTP 26+ the script also writes the [local] terms of
%% the running node.
-mode(compile).

main(Args) ->
    Dir = case Args of [D | _] -> D; [] -> "corpus/decode" end,
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Release = list_to_integer(erlang:system_info(otp_release)),
    Seeds = node_terms() ++ node_options(Release) ++ funs() ++
            hand_made() ++ atom_cache() ++ otp29(),
    lists:foreach(fun({Name, Bin}) ->
                          ok = file:write_file(filename:join(Dir, Name), Bin)
                  end, Seeds),
    io:format("~b seeds, ~b bytes, OTP ~b~n",
              [length(Seeds), lists:sum([byte_size(B) || {_, B} <- Seeds]),
               Release]).

%% term_to_binary/1 of terms covering every tag a node writes.
node_terms() ->
    Port = hd(erlang:ports()),
    Deep = lists:foldl(fun(_, A) -> [A] end, [], lists:seq(1, 500)),
    DeepT = lists:foldl(fun(I, A) -> {I, A} end, nil, lists:seq(1, 300)),
    DeepM = lists:foldl(fun(I, A) -> #{I => A} end, #{}, lists:seq(1, 100)),
    Map40 = maps:from_list([{K, K} || K <- lists:seq(1, 40)]),
    MapMixed = #{1 => a, 1.0 => b, -1 => c, "k" => [v], <<"b">> => {},
                 {t} => #{}, [] => nil, z => 1 bsl 70},
    T = [{"int_0", 0}, {"int_255", 255}, {"int_256", 256},
         {"int_neg1", -1}, {"int_i32_max", 2147483647},
         {"int_i32_min", -2147483648},
         {"big_2p31", 2147483648}, {"big_neg_2p31_1", -2147483649},
         {"big_i64_max", 9223372036854775807},
         {"big_i64_min", -9223372036854775808},
         {"big_2p63", 9223372036854775808},
         {"big_2p2040", 1 bsl 2040}, {"big_neg_large", -(1 bsl 3000) + 7},
         {"float_1_5", 1.5}, {"float_neg_zero", -0.0},
         {"float_denormal", 5.0e-324},
         {"atom_a", a}, {"atom_empty", ''},
         {"atom_latin1", 'é'},
         {"atom_latin1_255", list_to_atom(lists:duplicate(255, $é))},
         {"atom_unicode", 'ünï日本'},
         {"tuple_0", {}}, {"tuple_3", {1, two, "three"}},
         {"tuple_300", list_to_tuple(lists:seq(1, 300))},
         {"nil", []}, {"string", "hello"},
         {"string_max", lists:duplicate(300, $x)},
         {"list_ints", lists:seq(250, 260)},
         {"list_mixed", [1, 2.0, a, "s", <<"b">>, [], {}, #{}]},
         {"list_improper", [1 | 2]}, {"list_improper_3", [a, b | c]},
         {"list_improper_bin", [1, 2 | <<3>>]},
         {"list_of_strings", ["a", "bc", "", [256]]},
         {"binary_0", <<>>}, {"binary_3", <<1, 2, 3>>},
         {"binary_1k", list_to_binary(lists:seq(0, 255) ++ lists:seq(0, 255))},
         {"bits_3", <<1:3>>}, {"bits_9", <<255, 1:1>>},
         {"map_0", #{}}, {"map_2", #{a => 1, b => 2}},
         {"map_mixed_keys", MapMixed}, {"map_40", Map40},
         {"map_nested", #{a => #{b => #{c => [1, 2]}}}},
         {"pid_self", self()}, {"port", Port}, {"ref", make_ref()},
         {"ref_alias", alias()},
         {"deep_list", Deep}, {"deep_tuple", DeepT}, {"deep_map", DeepM},
         {"kitchen_sink", {self(), Port, make_ref(), fun lists:map/2,
                           [1.5, -3, 1 bsl 100 | tail], #{k => <<1:1>>},
                           {'é', "str", <<"bin">>}}}],
    [{N ++ ".etf", term_to_binary(V)} || {N, V} <- T].

%% term_to_binary/2 options: minor versions, compression, determinism.
node_options(Release) ->
    Map40 = maps:from_list([{K, K} || K <- lists:seq(1, 40)]),
    Big = {lists:duplicate(200, $a), lists:duplicate(50, {x, 1}),
           #{list => lists:seq(1, 100)}},
    [{"atom_utf8_minor2.etf", term_to_binary('é', [{minor_version, 2}])},
     {"atom_utf8_long_minor2.etf",
      term_to_binary(list_to_atom(lists:duplicate(255, 16#65E5)),
                     [{minor_version, 2}])},
     {"atoms_minor2.etf", term_to_binary({a, 'ü', 'Elixir.Foo'},
                                         [{minor_version, 2}])},
     {"float_minor0.etf", term_to_binary(3.14, [{minor_version, 0}])},
     {"float_list_minor0.etf",
      term_to_binary([0.0, -1.0e-300, 1.0e300, 123.456],
                     [{minor_version, 0}])},
     {"compressed_string.etf",
      term_to_binary(lists:duplicate(100, $a), [compressed])},
     {"compressed_mixed.etf", term_to_binary(Big, [compressed])},
     {"map_40_deterministic.etf", term_to_binary(Map40, [deterministic])}]
    ++ case Release >= 26 of
           true ->
               [{"local_node.etf", term_to_binary({a, 1}, [local])},
                {"local_compressed_node.etf",
                 term_to_binary(lists:duplicate(100, {a, 1}),
                                [local, compressed])}];
           false -> []
       end.

%% Funs: an export fun, local funs of a compiled module with and without
%% free variables, and erl_eval funs (what `erl -eval` makes).
funs() ->
    Src = "-module(fz_mod).\n-export([f0/0, f1/1, f2/2]).\n"
          "f0() -> fun(X) -> X + 1 end.\n"
          "f1(Y) -> fun(X) -> X + Y end.\n"
          "f2(A, B) -> fun() -> {A, B} end.\n",
    {ok, Mod, Bin} = compile:forms(forms(Src), []),
    {module, Mod} = code:load_binary(Mod, "fz_mod.erl", Bin),
    EvalNoFree = eval("fun(X) -> X + 1 end.", []),
    EvalFree = eval("fun(X) -> X + Y end.", [{'Y', 10}]),
    [{"fun_export.etf", term_to_binary(fun lists:map/2)},
     {"fun_local.etf", term_to_binary(fz_mod:f0())},
     {"fun_local_free.etf", term_to_binary(fz_mod:f1(10))},
     {"fun_local_free2.etf",
      term_to_binary(fz_mod:f2([1, 2], #{k => self()}))},
     {"fun_eval.etf", term_to_binary(EvalNoFree)},
     {"fun_eval_free.etf", term_to_binary(EvalFree)},
     {"fun_in_tuple.etf",
      term_to_binary({fz_mod:f1(a), fun lists:map/2, fz_mod:f0()})}].

forms(Src) ->
    {ok, Toks, _} = erl_scan:string(Src),
    split_forms(Toks, [], []).

split_forms([], [], Acc) ->
    lists:reverse(Acc);
split_forms([{dot, _} = Dot | Rest], Cur, Acc) ->
    {ok, F} = erl_parse:parse_form(lists:reverse([Dot | Cur])),
    split_forms(Rest, [], [F | Acc]);
split_forms([T | Rest], Cur, Acc) ->
    split_forms(Rest, [T | Cur], Acc).

eval(Src, Bindings) ->
    {ok, Toks, _} = erl_scan:string(Src),
    {ok, [Expr]} = erl_parse:parse_exprs(Toks),
    Bs = lists:foldl(fun({K, V}, Acc) -> erl_eval:add_binding(K, V, Acc) end,
                     erl_eval:new_bindings(), Bindings),
    {value, F, _} = erl_eval:expr(Expr, Bs),
    F.

%% Tags no current node writes (node foo@host).
hand_made() ->
    Node = <<119, 8, "foo@host">>,
    [{"old_pid_ext.etf", <<131, 103, Node/binary, 1:32, 2:32, 1>>},
     {"old_port_ext.etf", <<131, 102, Node/binary, 5:32, 1>>},
     {"old_reference_ext.etf", <<131, 101, Node/binary, 7:32, 2>>},
     {"old_new_reference_ext.etf",
      <<131, 114, 3:16, Node/binary, 1, 1:32, 2:32, 3:32>>},
     {"old_small_atom_ext.etf", <<131, 115, 3, "abc">>},
     {"old_small_atom_ext_latin1.etf", <<131, 115, 2, 16#e9, 16#ff>>},
     {"old_atom_ext_node.etf",
      <<131, 103, 100, 8:16, "foo@host", 1:32, 2:32, 3>>},
     {"old_float_ext.etf", <<131, 99, (float_ext_text(-2.5e-10))/binary>>},
     {"v4_port_ext.etf", <<131, 120, Node/binary, (1 bsl 40):64, 7:32>>},
     {"newer_ref_len5.etf",
      <<131, 90, 5:16, Node/binary, 7:32, 1:32, 2:32, 3:32, 4:32, 5:32>>},
     {"list_ext_nonflat.etf",          % [1 | [2 | "ab"]] written unflattened
      <<131, 108, 1:32, 97, 1, 108, 1:32, 97, 2, 107, 2:16, "ab">>},
     {"list_ext_empty.etf",            % LIST_EXT of 0 elements: just its tail
      <<131, 108, 0:32, 97, 5>>},
     {"bits_8.etf", <<131, 77, 1:32, 8, 16#ff>>}].

%% FLOAT_EXT's 31 bytes: "%.20e", NUL-padded.
float_ext_text(F) ->
    T = list_to_binary(io_lib:format("~.20e", [F])),
    <<T/binary, 0:((31 - byte_size(T)) * 8)>>.

%% Bare terms with ATOM_CACHE_REF, after the mode byte fuzz_decode reads
%% (bit 0: an atom cache of 16 entries: 0 hello, 1 rt, 2 one, 3 a,
%% 4 nonode@nohost, 5 true, ...).
atom_cache() ->
    Fun = term_to_binary(fz_mod:f1(10), [{minor_version, 2}]),
    <<131, 112, _Size:32, Fixed:25/binary, 119, 6, "fz_mod", Rest/binary>> = Fun,
    <<131, Deep/binary>> = term_to_binary([[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]),
    Body = <<Fixed/binary, 82, 1, Rest/binary>>,
    CachedFun = <<112, (byte_size(Body) + 4):32, Body/binary>>,
    [{"cache_tuple.bin", <<1, 104, 3, 82, 0, 82, 3, 82, 7>>},
     %% {hello, #rt:one{a = 1}} as an OTP 29 node sends it
     {"cache_record.bin",
      <<1, 104, 2, 82, 0, 67, 1:32, 0, 82, 1, 82, 2, 82, 3, 97, 1>>},
     {"cache_pid.bin", <<1, 88, 82, 4, 1:32, 2:32, 3:32>>},
     {"cache_export.bin", <<1, 113, 82, 1, 82, 2, 97, 2>>},
     {"cache_fun.bin", <<1, CachedFun/binary>>},
     {"cache_fun_compress.bin", <<9, CachedFun/binary>>},
     {"cache_trailing.bin", <<1, 82, 5, 106, 106>>},
     {"depth_limited.bin", <<5, Deep/binary>>}].

%% Bytes captured from an OTP 29.1.2 node (erts 17.1.1).
otp29() ->
    [{"otp29_" ++ N ++ ".etf", binary:decode_hex(H)} || {N, H} <-
     [{"record_one", <<"834300000001007702727477036f6e657701616101">>},
      {"record_empty", <<"83430000000000770272747705656d707479">>},
      {"record_nested",
       <<"83430000000300770272747702707477017877017977017a"
         "4300000001007702727477036f6e657701616101"
         "430000000000770272747705656d7074796100">>},
      {"record_mixed",
       <<"834300000005007702727477056d6978656477016977016677016c77016277016d"
         "620000012c463ff80000000000006b000261626d000000020102"
         "740000000177016b770176">>},
      {"record_exported", <<"8343000000010177027274770365787077017661"
                            "01">>},
      {"record_list", <<"836c000000024300000001007702727477036f6e65770161"
                        "61014300000001007702727477036f6e6577016161026a">>},
      {"record_minor1", <<"8343000000010064000272746400036f6e65640001616101">>},
      {"record_latin1_minor0",
       <<"834300000001016400026de964000272e964000266e96101">>},
      {"record_compressed",
       <<"835000000076789c7366606060642867cc2d672c2a674ccc664849a4030000"
         "0b7529a0">>},
      {"local", <<"8379bf6d12a268027701616101">>},
      {"local_compressed",
       <<"8350000002c7789cab4c7df1e0710e030343"
         "4a065339636222e328354a0d392a0b001aaba938">>},
      {"map_b_first", <<"83740000000277016261027701616101">>}]].
