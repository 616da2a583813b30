using System;
using System.Runtime.InteropServices;

namespace Jing
{
    /// <summary>P/Invoke declarations for libjing (C ABI v1). Every import is Cdecl:
    /// 32-bit .NET Framework would otherwise assume stdcall. Strings go in as
    /// NUL-terminated UTF-8 <c>byte[]</c> and come back as <c>IntPtr</c>; see
    /// <see cref="Utf8"/>. No ANSI marshaling is ever used.</summary>
    internal static class NativeMethods
    {
        /// <summary>Resolved as libjing.so / libjing.dylib / jing.dll.</summary>
        internal const string LibraryName = "jing";

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jing_version();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint jing_abi_version();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jing_status_name(int status);

        // out_client is written only on success; the marshaler leaves an invalid handle otherwise.
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int jing_client_new(byte[] configJson, out JingClientHandle client, out IntPtr error);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void jing_client_free(IntPtr client);

        // Passing the SafeHandle keeps it alive (AddRef/Release) for the duration of the call,
        // so a concurrent Dispose never frees the client under a running call.
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int jing_lead_create_json(JingClientHandle client, byte[] leadJson, out IntPtr json);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int jing_request_json(JingClientHandle client, byte[] method, byte[] path,
                                                     byte[] bodyJson, out IntPtr json);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void jing_free_string(IntPtr s);

        // Only exported by builds with the cargo feature `test-panic`.
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int jing_test_panic(out IntPtr json);
    }
}
