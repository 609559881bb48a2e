# etf_diff.exs -- Elixir's side of edist's differential codec test: every
# term with a literal syntax must read back from edist's Elixir text (one
# line and pretty) through Code.eval_string/1 as the same term (===).
#   elixir etf_diff.exs DIR     (after etf_diff.escript gen and etf_peer)
[dir] = System.argv()

records = fn bin ->
  Stream.unfold(bin, fn
    <<len::32, b::binary-size(len), rest::binary>> -> {b, rest}
    <<>> -> nil
  end)
  |> Enum.to_list()
end

defmodule Lit do
  def literal?(t) when is_pid(t) or is_port(t) or is_reference(t), do: false
  def literal?(t) when is_function(t), do: :erlang.fun_info(t, :type) == {:type, :external}
  def literal?([h | t]), do: literal?(h) and literal?(t)
  def literal?([]), do: true
  def literal?(t) when is_tuple(t), do: t |> Tuple.to_list() |> Enum.all?(&literal?/1)
  def literal?(t) when is_map(t), do: Enum.all?(t, fn {k, v} -> literal?(k) and literal?(v) end)
  # Elixir 1.14 refuses atoms of more than 255 bytes in source text.
  def literal?(t) when is_atom(t), do: byte_size(Atom.to_string(t)) <= 255
  def literal?(_), do: true
end

terms = records.(File.read!(Path.join(dir, "terms.bin"))) |> Enum.map(&:erlang.binary_to_term/1)
out = records.(File.read!(Path.join(dir, "out.bin")))

{passed, failed} =
  Enum.reduce(Enum.zip(terms, Enum.chunk_every(out, 6)), {0, 0}, fn {t, recs}, {p, f} ->
    case recs do
      [_enc, _line, _pretty, ex_line, ex_pretty, _json] ->
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
            {p + 1, f}
          else
            if f < 20, do: IO.puts("FAIL elixir readback: #{inspect(t)}\n  ours: #{ex_line}")
            {p, f + 1}
          end
        else
          {p, f}
        end

      _ ->
        {p, f + 1}
    end
  end)

IO.puts("elixir readback on Elixir #{System.version()}: #{passed} passed, #{failed} failed")
if failed > 0, do: System.halt(1)
