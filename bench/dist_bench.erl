%% dist_bench.erl -- the BEAM's half of bench/dist: the driver node, and
%% the BEAM peer that is the reference column (BEAM to BEAM).
%%
%% bench/dist starts, on loopback, its own epmd, a driver node running
%% driver/1, and the peers: a second BEAM node running peer/1 and C nodes
%% (bench/build/dist_ei, and bench/build/dist_edist once it exists), each
%% given the same three things: DRIVER_NODE COOKIE OURNAME. Every peer
%% speaks the protocol that bench/dist_ei.c describes in its top comment:
%%
%%   peer -> bench (the driver's registered name)   {hello, PeerPid}
%%   driver -> peer                                 {data, Term}  (N times)
%%   driver -> peer                                 {done, DriverPid}
%%   peer -> driver                                 {count, C}    (C == N)
%%   driver -> peer                                 {source, DriverPid, N, Term}
%%   peer -> driver                                 {data, Term}  (N times)
%%   peer -> driver                                 {done, PeerPid}
%%   driver -> peer                                 stop
%%
%% Each peer is measured in two directions, for each payload Term:
%%   recv  BEAM -> X: the driver sends N {data, Term} and {done, self()},
%%         and the clock stops when {count, N} is back: X received and
%%         decoded every message;
%%   send  X -> BEAM: the driver sends {source, self(), N, Term}, and the
%%         clock stops when it has received the N {data, _} and X's `done`:
%%         X encoded and sent every message, the driver's BEAM received
%%         each one.
%% A count that is not N is an error (exit 1), never a figure; so is a
%% peer whose connection goes down.
%%
%% Payloads: a small term (small/0) and binaries of 1 KiB, 64 KiB and
%% 1 MiB. The payload bytes of a message are erlang:external_size(Term),
%% the size of term_to_binary(Term); MB/s is 10^6 such bytes a second.
%%
%% Timing: for each row (payload x direction) and each peer, N is first
%% calibrated so that one run takes about Seconds (default 0.3); these
%% first runs also check, in the send direction, that every Term received
%% is the Term asked for. Then Repeats rounds (default 3) run each peer
%% once in turn -- taking turns, so that a slow spell of the machine falls
%% on every column -- and the fastest run of each peer counts.
-module(dist_bench).
-export([driver/1, peer/1, small/0]).

-define(TIMEOUT, 60000).          % ms: no single step of a run is this slow
-define(HELLO_TIMEOUT, 30000).    % ms: for every peer to say hello
-define(CALIBRATE_MIN, 0.05).     % s: a calibration run at least this long

%% The peers' keys on the command line, in table order: the BEAM peer,
%% the libei C node, edist's C node.
columns() -> [beam, ei, edist].

small() -> {ok, 42, <<"abc">>, [1, 2, 3]}.

%% A message that is mostly atoms: an Ecto-style Elixir struct, as Elixir
%% nodes send them all day. Not in the default rows; DIST_PAYLOADS=atoms
%% (bench/README.md: what the send atom cache is worth).
atoms() ->
    User = 'Elixir.MyApp.Accounts.User',
    #{'__struct__' => User, id => 42, name => <<"Ada">>,
      email => <<"ada@example.com">>, role => admin, status => active,
      confirmed => true, locale => en, plan => pro, updated_at => nil,
      inserted_at => {{2026, 11, 25}, {12, 0, 0}},
      '__meta__' => #{'__struct__' => 'Elixir.Ecto.Schema.Metadata',
                      state => loaded, source => <<"users">>, prefix => nil,
                      context => nil, schema => User}}.

payloads() ->
    [{"small", small()},
     {"1 KiB", payload(1024)},
     {"64 KiB", payload(65536)},
     {"1 MiB", payload(1048576)},
     {"atoms", atoms()}].

%% DIST_PAYLOADS=small,64KiB (say) in the environment: only those rows;
%% by default all but "atoms".
selected(Payloads) ->
    case os:getenv("DIST_PAYLOADS") of
        false ->
            [P || {Name, _} = P <- Payloads, Name =/= "atoms"];
        Names ->
            Want = string:lexemes(Names, ","),
            [P || {Name, _} = P <- Payloads,
                  lists:member(lists:flatten(string:replace(Name, " ", "", all)),
                               Want) orelse lists:member(Name, Want)]
    end.

%% DIST_DIRECTIONS=recv (or send) in the environment: only those rows,
%% for profiling one direction alone.
directions() ->
    case os:getenv("DIST_DIRECTIONS") of
        false -> [recv, send];
        Names -> [list_to_existing_atom(D) || D <- string:lexemes(Names, ","),
                                             lists:member(D, ["recv", "send"])]
    end.

%% Bytes that are not all alike (no peer compresses, but no reason to
%% send zeros either).
payload(Size) ->
    Pattern = list_to_binary(lists:seq(0, 250)),
    binary:part(binary:copy(Pattern, Size div 251 + 1), 0, Size).

%% ---- the driver --------------------------------------------------------

%% erl -name DRIVER ... -run dist_bench driver READY SECONDS REPEATS
%%     KEY=NODE...           (KEY: beam, ei, edist; each at most once)
driver([Ready, Seconds, Repeats | Peers]) ->
    Status =
        try
            run(Ready, number(Seconds), list_to_integer(Repeats),
                [parse_peer(P) || P <- Peers]),
            0
        catch
            Class:Reason:Stack ->
                io:format(standard_error, "bench/dist: the driver failed: "
                          "~p:~p~n  ~p~n", [Class, Reason, Stack]),
                1
        end,
    halt(Status).

number(S) ->
    try list_to_float(S) catch error:badarg -> float(list_to_integer(S)) end.

parse_peer(Arg) ->
    [Key, Node] = string:split(Arg, "="),
    {list_to_existing_atom(Key), list_to_atom(Node)}.

run(Ready, Seconds, Repeats, Peers0) ->
    true = register(bench, self()),
    ok = file:write_file(Ready, <<"ready\n">>),
    Peers = hellos(Peers0),
    Rows = [{Name, Term, Dir} || {Name, Term} <- selected(payloads()),
                                 Dir <- directions()],
    Results = [{Row, measure_row(Row, Peers, Seconds, Repeats)}
               || Row <- Rows],
    print(Results, Peers, Seconds, Repeats),
    stop(Peers).

%% Wait for {hello, Pid} from the node of every peer: [{Key, Pid}].
hellos(Peers) ->
    Deadline = erlang:monotonic_time(millisecond) + ?HELLO_TIMEOUT,
    hellos(Peers, [], Deadline).

hellos([], Got, _) ->
    [{Key, Pid} || Key <- columns(), {K, Pid} <- Got, K =:= Key];
hellos(Waiting, Got, Deadline) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {hello, Pid} when is_pid(Pid) ->
            case lists:keytake(node(Pid), 2, Waiting) of
                {value, {Key, Node}, Rest} ->
                    true = erlang:monitor_node(Node, true),
                    hellos(Rest, [{Key, Pid} | Got], Deadline);
                false ->
                    error({hello_from_unknown_node, node(Pid)})
            end;
        Other ->
            error({unexpected_message, Other})
    after Left ->
        error({no_hello_from, [Node || {_, Node} <- Waiting]})
    end.

%% One row for every peer: #{Key => {N, FastestSeconds}}.
measure_row({_, Term, Dir} = Row, Peers, Seconds, Repeats) ->
    Ns = maps:from_list(
           [{Key, calibrate(Dir, Pid, Term, first_n(Term), Seconds)}
            || {Key, Pid} <- Peers]),
    Times = [{Key, verbose(Row, Key, maps:get(Key, Ns),
                           run_once(Dir, Pid, Term, maps:get(Key, Ns), false))}
             || _ <- lists:seq(1, Repeats), {Key, Pid} <- Peers],
    maps:from_list(
      [{Key, {maps:get(Key, Ns), lists:min([T || {K, T} <- Times, K =:= Key])}}
       || {Key, _} <- Peers]).

%% DIST_VERBOSE=1 in the environment: every timed run on stderr.
verbose({Name, Term, Dir}, Key, N, T) ->
    case os:getenv("DIST_VERBOSE") of
        "1" ->
            io:format(standard_error,
                      "~-7s ~s ~-6s N=~-8b ~8.4f s ~10.1f msg/s ~9.1f MB/s~n",
                      [Name, Dir, Key, N, T, N / T,
                       N * erlang:external_size(Term) / T / 1.0e6]);
        _ ->
            ok
    end,
    T.

first_n(Term) ->
    max(4, min(5000, 2000000 div erlang:external_size(Term))).

calibrate(Dir, Pid, Term, N, Seconds) ->
    T = run_once(Dir, Pid, Term, N, true),
    if
        T < ?CALIBRATE_MIN, N < 100000000 ->
            calibrate(Dir, Pid, Term, N * 8, Seconds);
        true ->
            max(4, round(N * Seconds / T))
    end.

%% One timed run of N messages; its wall time in seconds.
run_once(recv, Pid, Term, N, _Check) ->
    Msg = {data, Term},
    T0 = erlang:monotonic_time(nanosecond),
    send_n(Pid, Msg, N),
    Pid ! {done, self()},
    Count = receive
                {count, C} -> C;
                {nodedown, Node} -> error({peer_down, Node});
                Other -> error({unexpected_message, Other})
            after ?TIMEOUT -> error({no_count_from, node(Pid)})
            end,
    T1 = erlang:monotonic_time(nanosecond),
    Count =:= N orelse error({count_mismatch, node(Pid), recv, Count, N}),
    (T1 - T0) / 1.0e9;
run_once(send, Pid, Term, N, Check) ->
    T0 = erlang:monotonic_time(nanosecond),
    Pid ! {source, self(), N, Term},
    Count = case Check of
                false -> recv_n(Pid, 0);
                true -> recv_check(Pid, Term, 0)
            end,
    T1 = erlang:monotonic_time(nanosecond),
    Count =:= N orelse error({count_mismatch, node(Pid), send, Count, N}),
    (T1 - T0) / 1.0e9.

send_n(_, _, 0) -> ok;
send_n(Pid, Msg, N) ->
    Pid ! Msg,
    send_n(Pid, Msg, N - 1).

recv_n(Pid, C) ->
    receive
        {data, _} -> recv_n(Pid, C + 1);
        {done, Pid} -> C;
        {nodedown, Node} -> error({peer_down, Node});
        Other -> error({unexpected_message, Other})
    after ?TIMEOUT -> error({no_done_from, node(Pid)})
    end.

recv_check(Pid, Term, C) ->
    receive
        {data, Term} -> recv_check(Pid, Term, C + 1);
        {data, Wrong} -> error({wrong_term_from, node(Pid), Wrong});
        {done, Pid} -> C;
        {nodedown, Node} -> error({peer_down, Node});
        Other -> error({unexpected_message, Other})
    after ?TIMEOUT -> error({no_done_from, node(Pid)})
    end.

%% Every peer exits on `stop`; wait until each connection is down, so that
%% nobody is left running and `stop` is not lost in our own halt.
stop(Peers) ->
    [Pid ! stop || {_, Pid} <- Peers],
    [receive {nodedown, Node} -> ok
     after 10000 -> error({still_up_after_stop, Node})
     end || {_, Pid} <- Peers, Node <- [node(Pid)]],
    ok.

%% ---- the table ---------------------------------------------------------

print(Results, Peers, Seconds, Repeats) ->
    Keys = [Key || {Key, _} <- Peers],
    Edist = lists:member(edist, Keys),
    Cpus = case os:getenv("DIST_PINNED") of
               false -> "not pinned to a CPU";
               Cpu -> "every node on CPU " ++ Cpu
           end,
    io:format("DIST  loopback, OTP ~s (erts ~s), ~s; fastest of ~b runs of "
              "~~~.2f s~n"
              "      msg/s = messages a second; MB/s = 10^6 payload bytes a "
              "second (payload = the term's\n"
              "      external size); ratio = edist speed / other speed~n",
              [erlang:system_info(otp_release),
               erlang:system_info(version), Cpus, Repeats, Seconds]),
    io:format("~-7s ~7s ~-13s ~11s ~9s ~11s ~9s ~11s ~9s ~7s ~7s~n",
              ["payload", "bytes", "direction", "BEAM msg/s", "MB/s",
               "libei msg/s", "MB/s", "edist msg/s", "MB/s", "/BEAM",
               "/libei"]),
    lists:foreach(
      fun({{Name, Term, Dir}, Row}) ->
              Size = erlang:external_size(Term),
              Cells = [cell(maps:get(K, Row, none), Size) || K <- columns()],
              Ratios = [ratio(maps:get(edist, Row, none),
                              maps:get(K, Row, none)) || K <- [beam, ei]],
              io:format("~-7s ~7b ~-13s ~11s ~9s ~11s ~9s ~11s ~9s ~7s ~7s~n",
                        [Name, Size, direction(Dir)]
                        ++ lists:append(Cells) ++ Ratios)
      end, Results),
    io:format("  recv: a BEAM node sends, X receives and decodes every "
              "message; send: X encodes and sends\n"
              "  every message, a BEAM node receives it. X is another BEAM "
              "node, the libei C node\n"
              "  (bench/dist_ei.c) or edist.~n"),
    case Edist of
        false ->
            io:format("  edist: bench/dist_edist not built yet~n");
        true ->
            goals(Results)
    end.

direction(recv) -> "BEAM->X recv";
direction(send) -> "X->BEAM send".

cell(none, _) -> ["-", "-"];
cell({N, T}, Size) ->
    [si(N / T), io_lib:format("~.1f", [N * Size / T / 1.0e6])].

ratio({N1, T1}, {N2, T2}) ->
    io_lib:format("~.2fx", [(N1 / T1) / (N2 / T2)]);
ratio(_, _) -> "-".

si(X) when X >= 1.0e6 -> io_lib:format("~.2fM", [X / 1.0e6]);
si(X) when X >= 1.0e3 -> io_lib:format("~.1fk", [X / 1.0e3]);
si(X) -> io_lib:format("~.1f", [X]).

goals(Results) ->
    io:format("~nGOALS~n"),
    goal("edist >= BEAM to BEAM", beam, fun(R) -> R >= 1.0 end, Results),
    goal("edist > libei", ei, fun(R) -> R > 1.0 end, Results).

goal(Text, Other, Met, Results) ->
    Rs = [{Name ++ " " ++ atom_to_list(Dir),
           speed(maps:get(edist, Row)) / speed(maps:get(Other, Row))}
          || {{Name, _, Dir}, Row} <- Results, maps:is_key(Other, Row)],
    Missed = [{L, R} || {L, R} <- Rs, not Met(R)],
    case Missed of
        [] ->
            io:format("  ~-24s met     (~b of ~b rows)~n",
                      [Text, length(Rs), length(Rs)]);
        _ ->
            io:format("  ~-24s MISSED  (met in ~b of ~b rows); missed: ~s~n",
                      [Text, length(Rs) - length(Missed), length(Rs),
                       lists:join(", ", [io_lib:format("~s (~.2fx)", [L, R])
                                         || {L, R} <- Missed])])
    end.

speed({N, T}) -> N / T.

%% ---- the BEAM peer -----------------------------------------------------

%% erl -name PEER -hidden ... -run dist_bench peer DRIVER
%% The same loop as the C nodes' (see the top of this file and
%% bench/dist_ei.c); on the BEAM, decoding happens when the message is
%% received and encoding at every send.
peer([Driver]) ->
    D = list_to_atom(Driver),
    true = net_kernel:connect_node(D),
    true = erlang:monitor_node(D, true),
    {bench, D} ! {hello, self()},
    peer_loop(D, 0).

peer_loop(D, C) ->
    receive
        {data, _} ->
            peer_loop(D, C + 1);
        {done, From} ->
            From ! {count, C},
            peer_loop(D, 0);
        {source, From, N, Term} ->
            send_n(From, {data, Term}, N),
            From ! {done, self()},
            peer_loop(D, C);
        stop ->
            halt(0);
        {nodedown, D} ->
            halt(1);
        _ ->
            halt(1)
    end.
