using System.Globalization;
using System.Text.Json;

namespace InferencePlanner.Json;

/// <summary>Reads named fields from a JSON object with errors that name the file and the field.</summary>
internal readonly struct JsonFields
{
    private readonly JsonElement _root;
    private readonly string _origin;

    private JsonFields(JsonElement root, string origin)
    {
        _root = root;
        _origin = origin;
    }

    /// <summary>
    /// How every data file is read: trailing commas and comments are allowed, a name given twice in one object is not
    /// (which of the two would count is not something a user should have to guess).
    /// </summary>
    public static JsonDocumentOptions ReadOptions { get; } = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, AllowDuplicateProperties = false };

    /// <summary>Parses <paramref name="text"/> as one JSON object; <paramref name="origin"/> names it in errors.</summary>
    public static JsonFields Parse(string text, string origin)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, ReadOptions);
        }
        catch (JsonException e)
        {
            throw new InputException($"{origin}: not valid JSON ({FirstLine(e.Message)})", e);
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InputException($"{origin}: expected a JSON object at the top level, found {doc.RootElement.ValueKind}");
        }

        return new JsonFields(doc.RootElement.Clone(), origin);
    }

    /// <summary>Reads a file and parses it; an unreadable file is an input error.</summary>
    public static JsonFields ReadFile(string path) => Parse(Input.InputFile.ReadText(path), path);

    /// <summary>Where the object came from, for messages.</summary>
    public string Origin => _origin;

    /// <summary>Whether a field is present and not null.</summary>
    public bool Has(string name) => _root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>The names of all fields present.</summary>
    public IEnumerable<string> Names()
    {
        foreach (var p in _root.EnumerateObject())
        {
            yield return p.Name;
        }
    }

    /// <summary>A required number that must be finite and strictly positive.</summary>
    public double Positive(string name)
    {
        var v = Number(name);
        if (!(v > 0))
        {
            throw new InputException($"{_origin}: field '{name}' must be positive, got {v.ToString(CultureInfo.InvariantCulture)}");
        }

        return v;
    }

    /// <summary>A required number inside its physical range [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double Within(string name, double min, double max, string unit = "")
    {
        var v = Number(name);
        if (!(v >= min && v <= max))
        {
            var u = unit.Length > 0 ? " " + unit : "";
            throw new InputException($"{_origin}: field '{name}' must lie in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]{u}, got {v.ToString(CultureInfo.InvariantCulture)}");
        }

        return v;
    }

    /// <summary>Throws <see cref="InputException"/> naming the first field not among <paramref name="known"/>.</summary>
    public void RejectUnknown(IReadOnlyCollection<string> known, string what)
    {
        ArgumentNullException.ThrowIfNull(known);
        foreach (var name in Names())
        {
            if (!known.Contains(name))
            {
                throw new InputException($"{_origin}: unknown field '{name}' ({what} fields are {string.Join(", ", known)})");
            }
        }
    }

    /// <summary>A required number that must be finite and not negative.</summary>
    public double NonNegative(string name)
    {
        var v = Number(name);
        if (v < 0)
        {
            throw new InputException($"{_origin}: field '{name}' must not be negative, got {v.ToString(CultureInfo.InvariantCulture)}");
        }

        return v;
    }

    /// <summary>A required whole number, at least <paramref name="min"/>.</summary>
    public int Integer(string name, int min)
    {
        var v = Number(name);
        if (v != Math.Floor(v) || v < min || v > int.MaxValue)
        {
            throw new InputException($"{_origin}: field '{name}' must be a whole number of at least {min}, got {v.ToString(CultureInfo.InvariantCulture)}");
        }

        return (int)v;
    }

    /// <summary>An optional number that must be positive: null when absent or JSON null.</summary>
    public double? OptionalPositive(string name) => Has(name) ? Positive(name) : null;

    /// <summary>An optional nested object: null when absent.</summary>
    public JsonFields? OptionalObject(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = _root.GetProperty(name);
        if (v.ValueKind != JsonValueKind.Object)
        {
            throw new InputException($"{_origin}: field '{name}' must be an object, got {Describe(v)}");
        }

        return new JsonFields(v, $"{_origin}: {name}");
    }

    /// <summary>The objects of a required array field.</summary>
    public IReadOnlyList<JsonFields> ObjectArray(string name)
    {
        if (!_root.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array)
        {
            throw new InputException($"{_origin}: field '{name}' must be an array of objects");
        }

        var items = new List<JsonFields>();
        var i = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                throw new InputException($"{_origin}: {name}[{i}] must be an object, got {Describe(e)}");
            }

            items.Add(new JsonFields(e, $"{_origin}: {name}[{i}]"));
            i++;
        }

        return items;
    }

    /// <summary>An optional boolean: null when absent.</summary>
    public bool? OptionalBool(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = _root.GetProperty(name);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InputException($"{_origin}: field '{name}' must be true or false, got {Describe(v)}"),
        };
    }

    /// <summary>The strings of an optional array field; null when absent.</summary>
    public IReadOnlyList<string>? OptionalTextArray(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = _root.GetProperty(name);
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new InputException($"{_origin}: field '{name}' must be an array of strings");
        }

        return [.. v.EnumerateArray().Select(e => e.GetString()!)];
    }

    /// <summary>The whole numbers of an optional array field; null when absent.</summary>
    public IReadOnlyList<int>? OptionalIntArray(string name)
    {
        if (!Has(name))
        {
            return null;
        }

        var v = _root.GetProperty(name);
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out _)))
        {
            throw new InputException($"{_origin}: field '{name}' must be an array of whole numbers");
        }

        return [.. v.EnumerateArray().Select(e => e.GetInt32())];
    }

    /// <summary>An optional whole number: null when absent or JSON null.</summary>
    public int? OptionalInteger(string name, int min) => Has(name) ? Integer(name, min) : null;

    /// <summary>A required number.</summary>
    public double Number(string name)
    {
        if (!_root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            throw new InputException($"{_origin}: missing field '{name}'");
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
        {
            throw new InputException($"{_origin}: field '{name}' must be a number, got {Describe(v)}");
        }

        return d;
    }

    /// <summary>A required non-empty string.</summary>
    public string Text(string name)
    {
        if (!_root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            throw new InputException($"{_origin}: missing field '{name}'");
        }

        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
        {
            throw new InputException($"{_origin}: field '{name}' must be a non-empty string, got {Describe(v)}");
        }

        return v.GetString()!;
    }

    /// <summary>An optional string: null when absent.</summary>
    public string? OptionalText(string name) => Has(name) ? Text(name) : null;

    /// <summary>The first string of an array field, or the string itself; null when absent.</summary>
    public string? FirstText(string name)
    {
        if (!_root.TryGetProperty(name, out var v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Array when v.GetArrayLength() > 0 && v[0].ValueKind == JsonValueKind.String => v[0].GetString(),
            _ => null,
        };
    }

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"\"{v.GetString()}\"",
        JsonValueKind.Number => v.GetRawText(),
        _ => v.ValueKind.ToString().ToLowerInvariant(),
    };

    private static string FirstLine(string s)
    {
        var i = s.IndexOf('\n', StringComparison.Ordinal);
        return (i < 0 ? s : s[..i]).Trim();
    }
}
