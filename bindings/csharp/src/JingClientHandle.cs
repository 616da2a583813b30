using System;
using System.Runtime.InteropServices;

namespace Jing
{
    /// <summary>Owns one native <c>JingClient*</c>; releases it with <c>jing_client_free</c>
    /// once it is disposed (or finalized) and no P/Invoke call is still using it.</summary>
    internal sealed class JingClientHandle : SafeHandle
    {
        // Used by the marshaler for `out JingClientHandle`.
        public JingClientHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.jing_client_free(handle);
            return true;
        }
    }
}
