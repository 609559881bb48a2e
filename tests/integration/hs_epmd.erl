%% hs_epmd -- an EPMD module for the handshake tests, so that a real node
%% connects to edist's acceptor (tests/integration/hs_peer.c), which
%% registers nowhere.
%%
%%   erl -epmd_module hs_epmd -hs_epmd NAME PORT VERSION ...
%%
%% For the alive part NAME it answers "port PORT on 127.0.0.1, distribution
%% version VERSION" itself; everything else (our own registration, other
%% names) goes to the real erl_epmd. The version is what EPMD's
%% PORT2_RESP would have said (5 or 6): an OTP 23/24 node picks its name
%% message ('n' or 'N') from it; handshake.test checks what OTP 25, 27 and
%% 29 do with it.
-module(hs_epmd).
-export([start_link/0, register_node/2, register_node/3,
         port_please/2, port_please/3, address_please/3, names/1]).

start_link() -> erl_epmd:start_link().

register_node(Name, Port) -> erl_epmd:register_node(Name, Port).
register_node(Name, Port, Family) -> erl_epmd:register_node(Name, Port, Family).

port_please(Name, Host) -> port_please(Name, Host, infinity).
port_please(Name, Host, Timeout) ->
    case ours(Name) of
        {Port, Version} -> {port, Port, Version};
        false -> erl_epmd:port_please(Name, Host, Timeout)
    end.

address_please(Name, Host, Family) ->
    case ours(Name) of
        {Port, Version} -> {ok, {127,0,0,1}, Port, Version};
        false -> erl_epmd:address_please(Name, Host, Family)
    end.

names(Host) -> erl_epmd:names(Host).

ours(Name) ->
    N = if is_atom(Name) -> atom_to_list(Name); true -> Name end,
    case init:get_argument(hs_epmd) of
        {ok, Entries} ->
            case [{list_to_integer(P), list_to_integer(V)}
                  || [E, P, V] <- Entries, E =:= N] of
                [Found | _] -> Found;
                [] -> false
            end;
        error -> false
    end.
