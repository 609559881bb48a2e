# etf_diff.exs -- Elixir's side of edist's differential codec test.
#   elixir etf_diff.exs DIR     (after etf_diff.escript gen and etf_peer)
#
# readback  every term with a literal syntax must read back from edist's
#           Elixir text (one line and pretty) through Code.eval_string/1
#           as the same term (===)
# pretty    edist's Elixir text at width 80 must be byte for byte
#           inspect(T, pretty: true, width: 80) (with limit: :infinity and
#           printable_limit: :infinity: edist prints every element),
#           wherever edist's one-line text is inspect(T)'s. Where the
#           one-line texts differ the term is not compared, and counted:
#           either the keys of a map come in another order in this VM (a
#           small map's order follows the atom table, a large map's its
#           hash), or a leaf is written differently (edist quotes every
#           atom outside ASCII, Elixir 1.14 writes charlists as 'abc').
#
# edist lays out text as Elixir 1.18's Inspect.Algebra does, which is also
# what 1.14 does. Elixir 1.20 changed one rule: a flex break (between the
# elements of a tuple, or of a list of leaves) looks ahead only to the end
# of the group it is in, no longer to the "," after it. On 1.20 and later
# the terms laid out differently are counted and reported, not failed.
[dir] = System.argv()

records = fn bin ->
  Stream.unfold(bin, fn
    <<len::32, b::binary-size(len), rest::binary>> -> {b, rest}
    <<>> -> nil
  end)
  |> Enum.to_list()
end

defmodule Lit do
  # Terms whose every part has a literal syntax (not pids, ports,
  # references, local funs, nor OTP 29's native records).
  def literal?(t) when is_function(t), do: :erlang.fun_info(t, :type) == {:type, :external}
  def literal?([h | t]), do: literal?(h) and literal?(t)
  def literal?([]), do: true
  def literal?(t) when is_tuple(t), do: t |> Tuple.to_list() |> Enum.all?(&literal?/1)
  def literal?(t) when is_map(t), do: Enum.all?(t, fn {k, v} -> literal?(k) and literal?(v) end)
  # Elixir 1.14 refuses atoms of more than 255 bytes in source text.
  def literal?(t) when is_atom(t), do: byte_size(Atom.to_string(t)) <= 255
  def literal?(t) when is_number(t) or is_bitstring(t), do: true
  def literal?(_), do: false

  # Same bytes in another order: most likely map keys in another order.
  def reordered?(a, b),
    do: byte_size(a) == byte_size(b) and Enum.sort(:binary.bin_to_list(a)) == Enum.sort(:binary.bin_to_list(b))
end

terms = records.(File.read!(Path.join(dir, "terms.bin"))) |> Enum.map(&:erlang.binary_to_term/1)
out = records.(File.read!(Path.join(dir, "out.bin")))
all = [limit: :infinity, printable_limit: :infinity]
lookahead_changed = Version.match?(System.version(), ">= 1.20.0-dev")

init = %{pass: 0, fail: 0, ppass: 0, pmulti: 0, pfail: 0, pnew: 0, order: 0, text: 0, shown: 0}

stats =
  Enum.reduce(Enum.zip(terms, Enum.chunk_every(out, 6)), init, fn {t, recs}, s ->
    case recs do
      [_enc, _line, _pretty, ex_line, ex_pretty, _json] ->
        s =
          if Lit.literal?(t) do
            ok =
              Enum.all?([ex_line, ex_pretty], fn text ->
                try do
                  {v, _} = Code.eval_string(text)
                  v === t
                rescue
                  _ -> false
                end
              end)

            if ok do
              %{s | pass: s.pass + 1}
            else
              if s.fail < 20, do: IO.puts("FAIL elixir readback: #{inspect(t)}\n  ours: #{ex_line}")
              %{s | fail: s.fail + 1}
            end
          else
            s
          end

        line = inspect(t, all)
        pretty = inspect(t, [pretty: true, width: 80] ++ all)

        cond do
          line != ex_line and Lit.reordered?(line, ex_line) ->
            %{s | order: s.order + 1}

          line != ex_line ->
            %{s | text: s.text + 1}

          pretty == ex_pretty and String.contains?(pretty, "\n") ->
            %{s | ppass: s.ppass + 1, pmulti: s.pmulti + 1}

          pretty == ex_pretty ->
            %{s | ppass: s.ppass + 1}

          lookahead_changed ->
            %{s | pnew: s.pnew + 1}

          true ->
            if s.shown < 10,
              do: IO.puts("FAIL elixir pretty: #{inspect(t, all)}\n  edist:\n#{ex_pretty}\n  inspect:\n#{pretty}")

            %{s | pfail: s.pfail + 1, shown: s.shown + 1}
        end

      _ ->
        %{s | fail: s.fail + 1}
    end
  end)

v = System.version()
IO.puts("elixir readback on Elixir #{v}: #{stats.pass} passed, #{stats.fail} failed")

IO.puts(
  "elixir pretty on Elixir #{v}: #{stats.ppass} passed, #{stats.pfail} failed " <>
    "(#{stats.pmulti} on several lines)"
)

IO.puts(
  "  not compared: #{stats.order} whose map keys this VM orders differently, " <>
    "#{stats.text} whose one-line text differs from inspect's"
)

if lookahead_changed,
  do: IO.puts("  laid out differently by Elixir #{v}'s shorter flex-break look-ahead: #{stats.pnew}")

if stats.fail > 0 or stats.pfail > 0, do: System.halt(1)
