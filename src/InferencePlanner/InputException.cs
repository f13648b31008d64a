namespace InferencePlanner;

/// <summary>
/// Input that cannot be used: a malformed file, a missing or non-positive figure, a layout that does not
/// divide the model. The message says what is wrong in one line, naming the file or field.
/// </summary>
public sealed class InputException : Exception
{
    /// <summary>Creates the exception with a one-line message for the user.</summary>
    public InputException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and the underlying cause.</summary>
    public InputException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no message (required by the exception pattern).</summary>
    public InputException() { }
}
