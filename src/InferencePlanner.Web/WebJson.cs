using System.Text.Json;
using System.Text.Json.Serialization;

namespace InferencePlanner.Web;

/// <summary>The page's request, read by generated code (no reflection: the tool runs compiled ahead of time).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(PlanQuery))]
internal sealed partial class WebJson : JsonSerializerContext;
