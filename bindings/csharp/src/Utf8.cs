using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Jing
{
    /// <summary>UTF-8 conversion by hand: Marshal.PtrToStringUTF8 does not exist on .NET
    /// Framework, and the ANSI marshaler garbles Chinese on GBK Windows.</summary>
    internal static class Utf8
    {
        // Strict: a lone surrogate is an error, never replaced lossily.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>NUL-terminated UTF-8 bytes of <paramref name="s"/>; null stays null.</summary>
        internal static byte[] Encode(string s, string paramName)
        {
            if (s == null) return null;
            if (s.IndexOf('\0') >= 0)
                throw new ArgumentException("The string contains a NUL character.", paramName);
            try
            {
                int n = Strict.GetByteCount(s);
                byte[] bytes = new byte[n + 1]; // last byte stays 0
                Strict.GetBytes(s, 0, s.Length, bytes, 0);
                return bytes;
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException("The string is not valid Unicode (lone surrogate).", paramName, e);
            }
        }

        /// <summary>Copies a NUL-terminated UTF-8 string; null for IntPtr.Zero. Does not free.</summary>
        internal static string Read(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int len = 0;
            while (Marshal.ReadByte(p, len) != 0) len++;
            if (len == 0) return string.Empty;
            byte[] bytes = new byte[len];
            Marshal.Copy(p, bytes, 0, len);
            return Strict.GetString(bytes);
        }

        /// <summary>Copies a library-owned string, then releases it with jing_free_string.</summary>
        internal static string Take(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            try
            {
                return Read(p);
            }
            finally
            {
                NativeMethods.jing_free_string(p);
            }
        }
    }
}
