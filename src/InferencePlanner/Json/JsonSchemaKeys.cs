using System.Text.Json;

namespace InferencePlanner.Json;

/// <summary>
/// The keys a data file may hold at each level, by path ("" the top level, "rows[]" each element of rows,
/// "rows[].layout" the layout object of each row). A key outside them is refused, as a misspelling would
/// otherwise be ignored.
/// </summary>
internal static class JsonSchemaKeys
{
    /// <summary>Throws <see cref="InputException"/> naming the first unknown key and where it is.</summary>
    public static void Check(JsonElement root, IReadOnlyDictionary<string, string[]> allowed, string origin)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        Walk(root, "", allowed, origin);
    }

    private static void Walk(JsonElement e, string path, IReadOnlyDictionary<string, string[]> allowed, string origin)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                if (!allowed.TryGetValue(path, out var keys))
                {
                    return; // free-form (sources, notes)
                }

                foreach (var p in e.EnumerateObject())
                {
                    if (!keys.Contains(p.Name))
                    {
                        var where = path.Length == 0 ? "the top level" : $"'{path}'";
                        throw new InputException($"{origin}: unknown field '{p.Name}' in {where} (known there: {string.Join(", ", keys)})");
                    }

                    Walk(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}", allowed, origin);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item, path + "[]", allowed, origin);
                }

                break;
        }
    }
}
