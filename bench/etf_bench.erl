%% etf_bench.erl -- the BEAM's half of the ETF benchmark.
%%
%% Two jobs, both run by bench/Makefile:
%%
%%   gen(Dir)   writes the corpus: one file per item, Dir/NAME.etf, holding
%%              term_to_binary(Term, [{minor_version, 2}]) (after one round
%%              trip through binary_to_term, see etf/1) -- the bytes that
%%              edist, libei and the BEAM all decode -- and Dir/index.txt,
%%              the item names in table order. Every item is built from
%%              fixed numbers and a 64-bit LCG with a fixed seed, so the
%%              bytes are the same on every run and every machine (with the
%%              same OTP major release: large maps are written in the
%%              BEAM's hash order).
%%
%%   measure(Dir, Out, Seconds)
%%              times binary_to_term/1 and term_to_binary/2 on each corpus
%%              item and writes Out, one line per item:
%%                  name <TAB> bytes <TAB> decode ns/term <TAB> encode ns/term
%%                  <TAB> identical
%%              where `identical` says whether term_to_binary gives back the
%%              corpus bytes: "yes", "order" (the same term and size, map
%%              keys in another order, see measure_item/3) or "no".
%%
%% Timing: a batch of N calls is sized to take about 2 ms; batches run
%% until Seconds have passed and the fastest batch is reported, as bench/etf
%% does for the C codecs (other programs on the machine can only add time
%% to a batch). The garbage collections the loop causes are part of what is
%% measured -- a batch holds many calls and so many collections: that is
%% what decoding costs a process on the BEAM.
-module(etf_bench).
-export([gen/1, measure/3, main/1]).

-define(BATCH_NS, 2000000).

%% erl -noshell -pa DIR -run etf_bench main gen CORPUS
%% erl -noshell -pa DIR -run etf_bench main measure CORPUS OUT SECONDS
main(["gen", Dir]) ->
    gen(Dir),
    halt(0);
main(["measure", Dir, Out, Seconds]) ->
    measure(Dir, Out, list_to_float(Seconds)),
    halt(0).

%% ---- the corpus -------------------------------------------------------

gen(Dir) ->
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Items = items(),
    lists:foreach(
      fun({Name, Term}) ->
              Bin = etf(binary_to_term(etf(Term))),
              ok = file:write_file(filename:join(Dir, Name ++ ".etf"), Bin)
      end, Items),
    Index = [[Name, $\n] || {Name, _} <- Items],
    ok = file:write_file(filename:join(Dir, "index.txt"), Index).

%% The bytes of a term as the BEAM writes it after reading it back: a map
%% of more than 32 keys built by inserting one key at a time may list its
%% keys in another order than the same map made by binary_to_term, and
%% the corpus is what binary_to_term/term_to_binary round-trip exactly.
etf(Term) ->
    term_to_binary(Term, [{minor_version, 2}]).

items() ->
    [{"ctl_send", ctl_send()},
     {"ctl_reg_send", ctl_reg_send()},
     {"msg_gen_call", msg_gen_call()},
     {"list_mixed_10k", list_mixed(10000)},
     {"map_1000", map_keys(1000)},
     {"binary_1mib", binary_1mib()},
     {"bignums_1000", bignums(1000)}].

%% Pids and references of a remote node, made from their external form so
%% that they carry a real node name and creation (a pid of this node would
%% say nonode@nohost).
pid(Node, Id, Serial) ->
    N = atom_to_binary(Node, utf8),
    binary_to_term(<<131, 88, 119, (byte_size(N)), N/binary,
                     Id:32, Serial:32, 1700000123:32>>).

ref(Node, A, B, C) ->
    N = atom_to_binary(Node, utf8),
    binary_to_term(<<131, 90, 3:16, 119, (byte_size(N)), N/binary,
                     1700000123:32, A:32, B:32, C:32>>).

%% The control message of a distribution SEND: {2, Unused, ToPid}.
ctl_send() ->
    {2, '', pid('bob@host1.example.com', 91, 0)}.

%% REG_SEND: {6, FromPid, Unused, ToName} -- what net_adm:ping/1 sends to
%% net_kernel.
ctl_reg_send() ->
    {6, pid('alice@host2.example.com', 4711, 3), '', net_kernel}.

%% The message that follows that REG_SEND: a gen_server call as OTP 25
%% makes it, with an alias reference as the tag.
msg_gen_call() ->
    From = pid('alice@host2.example.com', 4711, 3),
    Ref = ref('alice@host2.example.com', 16#0002a8f3, 16#7f1c0004, 16#9d2e11b6),
    {'$gen_call', {From, [alias | Ref]}, {is_auth, 'alice@host2.example.com'}}.

%% 64-bit LCG (Knuth's MMIX constants); returns {Value, NextState}.
lcg(S) ->
    S1 = (S * 6364136223846793005 + 1442695040888963407)
        band 16#FFFFFFFFFFFFFFFF,
    {S1 bsr 16, S1}.

atoms() ->
    {ok, error, undefined, true, false, badarg, noproc, timeout, normal,
     shutdown, infinity, nodedown, 'EXIT', '$gen_call', '$gen_cast', reply,
     monitor, demonitor, link, unlink, exit, spawn_request, alias, call,
     cast, info, stop, get, put, delete, 'alice@host2.example.com',
     'Elixir.MyApp.Worker'}.

%% 10 000 elements, in turn: an integer (a byte, an int32, or a larger
%% one such as a timestamp), an atom, a small tuple, a short binary, a
%% float and a short string.
list_mixed(N) ->
    list_mixed(N, 1, 42, []).

list_mixed(0, _, _, Acc) ->
    lists:reverse(Acc);
list_mixed(N, I, S, Acc) ->
    {R, S1} = lcg(S),
    E = case I rem 6 of
            0 -> mixed_int(R);
            1 -> element(1 + R rem 32, atoms());
            2 -> small_tuple(R);
            3 -> short_binary(R);
            4 -> (R rem 2000000) / 997.0 - 1000.0;
            5 -> "user_" ++ integer_to_list(R rem 100000)
        end,
    list_mixed(N - 1, I + 1, S1, [E | Acc]).

mixed_int(R) ->
    case R rem 3 of
        0 -> R band 255;
        1 -> (R band 16#FFFFFF) - 16#800000;
        2 -> 1700000000000000 + R band 16#FFFFFFFFFF
    end.

small_tuple(R) ->
    case R rem 3 of
        0 -> {ok, R band 16#FFFF};
        1 -> {element(1 + R rem 32, atoms()), short_binary(R), R band 255};
        2 -> {error, {badarg, element(1 + (R bsr 8) rem 32, atoms())}}
    end.

short_binary(R) ->
    Len = 1 + R rem 32,
    << <<((R bsr (K rem 40)) band 255)>> || K <- lists:seq(1, Len) >>.

%% 1000 keys, half atoms (field_N) and half binaries (<<"key_N">>), with
%% integer, binary, float, tuple and list values.
map_keys(N) ->
    map_keys(N, 1, 7, #{}).

map_keys(0, _, _, M) ->
    M;
map_keys(N, I, S, M) ->
    {R, S1} = lcg(S),
    K = case I rem 2 of
            0 -> list_to_atom("field_" ++ integer_to_list(I));
            1 -> <<"key_", (integer_to_binary(I))/binary>>
        end,
    V = case I rem 5 of
            0 -> mixed_int(R);
            1 -> short_binary(R);
            2 -> R / 65536.0;
            3 -> small_tuple(R);
            4 -> [R band 16#FFFF, (R bsr 16) band 16#FFFF, I]
        end,
    map_keys(N - 1, I + 1, S1, M#{K => V}).

binary_1mib() ->
    << <<(((X * 2654435761) bsr 13) band 255)>> || X <- lists:seq(0, 1048575) >>.

%% 1000 integers of 65 to 512 bits (2^64 .. 2^512), one in four negative.
bignums(N) ->
    bignums(N, 1, 99, []).

bignums(0, _, _, Acc) ->
    lists:reverse(Acc);
bignums(N, I, S, Acc) ->
    {R, S1} = lcg(S),
    Bits = 64 + (I * 37) rem 449,
    V = (1 bsl Bits) + (R bsl (Bits div 2)) + R,
    E = case I rem 4 of 3 -> -V; _ -> V end,
    bignums(N - 1, I + 1, S1, [E | Acc]).

%% ---- timing -----------------------------------------------------------

measure(Dir, Out, Seconds) ->
    {ok, Index} = file:read_file(filename:join(Dir, "index.txt")),
    Names = [binary_to_list(L) || L <- binary:split(Index, <<"\n">>, [global]),
                                  L =/= <<>>],
    Lines = [measure_item(Dir, Name, Seconds) || Name <- Names],
    ok = file:write_file(Out, Lines).

measure_item(Dir, Name, Seconds) ->
    {ok, Bin} = file:read_file(filename:join(Dir, Name ++ ".etf")),
    Term = binary_to_term(Bin),
    Same = case term_to_binary(Term, [{minor_version, 2}]) of
               Bin -> "yes";
               %% A map of more than 32 keys is written in an order that
               %% hashes atoms by their index in this VM's atom table,
               %% which differs from the VM that wrote the corpus.
               Other when byte_size(Other) =:= byte_size(Bin) ->
                   case binary_to_term(Other) =:= Term of
                       true -> "order";
                       false -> "no"
                   end;
               _ -> "no"
           end,
    Dec = time_ns(fun(K) -> dec_loop(K, Bin) end, Seconds),
    Enc = time_ns(fun(K) -> enc_loop(K, Term) end, Seconds),
    io_lib:format("~s\t~b\t~.1f\t~.1f\t~s~n",
                  [Name, byte_size(Bin), Dec, Enc, Same]).

dec_loop(0, _) -> ok;
dec_loop(K, Bin) ->
    _ = binary_to_term(Bin),
    dec_loop(K - 1, Bin).

enc_loop(0, _) -> ok;
enc_loop(K, Term) ->
    _ = term_to_binary(Term, [{minor_version, 2}]),
    enc_loop(K - 1, Term).

%% Nanoseconds per call in the fastest batch of about BATCH_NS.
time_ns(Loop, Seconds) ->
    K = calibrate(Loop, 1),
    Budget = round(Seconds * 1.0e9),
    Times = batches(Loop, K, Budget, []),
    lists:min(Times) / K.

calibrate(Loop, K) ->
    T = batch(Loop, K),
    if T >= ?BATCH_NS div 4 -> max(1, round(K * ?BATCH_NS / T));
       true -> calibrate(Loop, K * 4)
    end.

batches(Loop, K, Budget, Acc) when Budget > 0 orelse length(Acc) < 3 ->
    T = batch(Loop, K),
    batches(Loop, K, Budget - T, [T | Acc]);
batches(_, _, _, Acc) ->
    Acc.

batch(Loop, K) ->
    T0 = erlang:monotonic_time(nanosecond),
    Loop(K),
    erlang:monotonic_time(nanosecond) - T0.
