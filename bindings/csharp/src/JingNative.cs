using System;

namespace Jing
{
    /// <summary>Library-level information and the load/ABI check.</summary>
    public static class JingNative
    {
        /// <summary>The C ABI version this wrapper was written for (<c>JING_ABI_VERSION</c>).</summary>
        public const uint ExpectedAbiVersion = 1;

        private static volatile bool s_checked;
        private static readonly object s_lock = new object();

        /// <summary>Version of the loaded native library, e.g. "0.1.0".</summary>
        public static string Version
        {
            get
            {
                EnsureLoaded();
                return Utf8.Read(NativeMethods.jing_version()); // static string: never freed
            }
        }

        /// <summary>C ABI version implemented by the loaded native library.</summary>
        public static uint AbiVersion
        {
            get
            {
                EnsureLoaded();
                return NativeMethods.jing_abi_version();
            }
        }

        /// <summary>The library's static name for a status ("ok", "auth", ..., "unknown").</summary>
        public static string StatusName(JingStatus status)
        {
            EnsureLoaded();
            return Utf8.Read(NativeMethods.jing_status_name((int)status)) ?? "unknown";
        }

        /// <summary>Loads the library and checks its ABI version once. Throws
        /// DllNotFoundException / BadImageFormatException naming the library and the process
        /// bitness, or InvalidOperationException on an ABI mismatch.</summary>
        public static void EnsureLoaded()
        {
            if (s_checked) return;
            lock (s_lock)
            {
                if (s_checked) return;
                uint abi;
                try
                {
                    abi = NativeMethods.jing_abi_version();
                }
                catch (DllNotFoundException e)
                {
                    throw new DllNotFoundException(LoadFailureMessage("could not be found or loaded"), e);
                }
                catch (BadImageFormatException e)
                {
                    throw new BadImageFormatException(
                        LoadFailureMessage("is not a valid library for this process (wrong architecture?)"), e);
                }
                catch (EntryPointNotFoundException e)
                {
                    throw new EntryPointNotFoundException(
                        LoadFailureMessage("was loaded but does not export jing_abi_version (not libjing?)"), e);
                }
                if (abi != ExpectedAbiVersion)
                    throw new InvalidOperationException(string.Format(
                        "The native library '{0}' implements C ABI version {1}, but this Jing wrapper needs version {2}. " +
                        "Install matching versions of the library and the wrapper.",
                        NativeMethods.LibraryName, abi, ExpectedAbiVersion));
                s_checked = true;
            }
        }

        private static string LoadFailureMessage(string what)
        {
            return string.Format(
                "The native library '{0}' (libjing.so / libjing.dylib / jing.dll) {1} in this {2}-bit process. " +
                "Put the {2}-bit build next to the application (or on LD_LIBRARY_PATH / DYLD_LIBRARY_PATH / PATH). " +
                "Application base directory: {3}",
                NativeMethods.LibraryName, what, IntPtr.Size * 8, AppDomain.CurrentDomain.BaseDirectory);
        }
    }
}
