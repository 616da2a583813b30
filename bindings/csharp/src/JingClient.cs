using System;

namespace Jing
{
    /// <summary>A JING Open API client. Thread-safe: one instance may be shared by many threads.
    /// Dispose it when done; Dispose during a call in progress is safe (the native client is
    /// released when the last call returns), and later calls throw ObjectDisposedException.</summary>
    public sealed class JingClient : IDisposable
    {
        private readonly JingClientHandle _handle;

        /// <summary>Creates a client from a configuration JSON object (app_id, app_secret,
        /// base_url, timeout_ms, max_retries, rate_limit_per_second, daily_quota, max_wait_ms, ...).
        /// Throws JingConfigException on an invalid configuration (including malformed JSON and
        /// unknown keys).</summary>
        public JingClient(string configJson)
        {
            if (configJson == null) throw new ArgumentNullException("configJson");
            byte[] config = Utf8.Encode(configJson, "configJson");
            JingNative.EnsureLoaded();
            JingClientHandle handle;
            IntPtr error;
            int status = NativeMethods.jing_client_new(config, out handle, out error);
            string errorJson = Utf8.Take(error);
            if (status != (int)JingStatus.Ok || handle == null || handle.IsInvalid)
            {
                if (handle != null) handle.Dispose();
                if (status == (int)JingStatus.Ok)
                    throw new InvalidOperationException("jing_client_new returned OK without a client.");
                throw JingException.FromNative(status, errorJson);
            }
            _handle = handle;
        }

        /// <summary>Creates a lead from a JSON object (business_type, name, mobile or email, other
        /// preset and custom fields) and returns the response envelope JSON, whose
        /// data.jing_uuid is the new lead. A JingOutcomeUnknownException means the lead may
        /// exist: look it up before creating it again.</summary>
        public string CreateLead(string leadJson)
        {
            if (leadJson == null) throw new ArgumentNullException("leadJson");
            byte[] lead = Utf8.Encode(leadJson, "leadJson");
            ThrowIfDisposed();
            IntPtr json;
            int status = NativeMethods.jing_lead_create_json(_handle, lead, out json);
            return Finish(status, json);
        }

        /// <summary>Calls any Open API endpoint: method GET/POST/PUT/DELETE, path starting with
        /// "/" (may carry a query string), bodyJson may be null. Returns the envelope JSON.</summary>
        public string Request(string method, string path, string bodyJson)
        {
            if (method == null) throw new ArgumentNullException("method");
            if (path == null) throw new ArgumentNullException("path");
            byte[] m = Utf8.Encode(method, "method");
            byte[] p = Utf8.Encode(path, "path");
            byte[] b = Utf8.Encode(bodyJson, "bodyJson");
            ThrowIfDisposed();
            IntPtr json;
            int status = NativeMethods.jing_request_json(_handle, m, p, b, out json);
            return Finish(status, json);
        }

        /// <summary>Same as Request(method, path, null).</summary>
        public string Request(string method, string path)
        {
            return Request(method, path, null);
        }

        public bool IsDisposed
        {
            get { return _handle.IsClosed; }
        }

        public void Dispose()
        {
            _handle.Dispose();
        }

        private static string Finish(int status, IntPtr json)
        {
            string text = Utf8.Take(json); // copied, then freed with jing_free_string
            if (status != (int)JingStatus.Ok) throw JingException.FromNative(status, text);
            return text;
        }

        private void ThrowIfDisposed()
        {
            // A Dispose racing past this check is still safe: the marshaler refuses a closed
            // SafeHandle with ObjectDisposedException, and keeps an open one alive for the call.
            if (_handle.IsClosed) throw new ObjectDisposedException("JingClient");
        }

        /// <summary>Calls jing_test_panic (test builds only). Returns the error JSON.</summary>
        internal static JingException TestPanic()
        {
            IntPtr json;
            int status = NativeMethods.jing_test_panic(out json);
            string text = Utf8.Take(json);
            return status == 0 ? null : JingException.FromNative(status, text);
        }
    }
}
