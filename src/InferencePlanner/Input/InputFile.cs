using System.Text;

namespace InferencePlanner.Input;

/// <summary>Reads a file the user names: with a size limit, and with a path that is no regular file named as such.</summary>
public static class InputFile
{
    /// <summary>Largest input file read, bytes (model, GPU, kernel, framework and measurement files are far smaller).</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>The text of the file at <paramref name="path"/>; throws <see cref="InputException"/> naming what is wrong with it.</summary>
    public static string ReadText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            throw new InputException("an empty path names no file");
        }

        if (Directory.Exists(path))
        {
            throw new InputException($"{path}: is a directory, not a file");
        }

        FileInfo info;
        try
        {
            info = new FileInfo(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: not a usable path ({FirstLine(e.Message)})", e);
        }

        if (!info.Exists)
        {
            throw new InputException($"{path}: no such file");
        }

        if ((info.Attributes & FileAttributes.Device) != 0 || IsSpecial(path))
        {
            throw new InputException($"{path}: is a device or other special file, not a regular file");
        }

        if (info.Length > MaxBytes)
        {
            throw new InputException($"{path}: is {info.Length >> 20} MB, larger than the {MaxBytes >> 20} MB an input file may be");
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var limited = new MemoryStream();
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (limited.Length + read > MaxBytes)
                {
                    throw new InputException($"{path}: is larger than the {MaxBytes >> 20} MB an input file may be");
                }

                limited.Write(buffer, 0, read);
            }

            return new UTF8Encoding(false, false).GetString(limited.GetBuffer(), 0, (int)limited.Length);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InputException($"{path}: permission denied", e);
        }
        catch (IOException e)
        {
            throw new InputException($"{path}: cannot be read ({FirstLine(e.Message)})", e);
        }
    }

    // Character and block devices, pipes and sockets: on Unix their mode says so.
    private static bool IsSpecial(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            var link = File.ResolveLinkTarget(path, returnFinalTarget: true);
            var target = link?.FullName ?? path;
            return target.StartsWith("/dev/", StringComparison.Ordinal) || target.StartsWith("/proc/", StringComparison.Ordinal) || target.StartsWith("/sys/", StringComparison.Ordinal)
                || Path.GetFullPath(path).StartsWith("/dev/", StringComparison.Ordinal) || Path.GetFullPath(path).StartsWith("/proc/", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
