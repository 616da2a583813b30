using System;
using System.Collections.Generic;

namespace Jing
{
    /// <summary>Base class of every error reported by libjing. Properties mirror the library's
    /// error JSON. <see cref="Exception.Message"/> starts with "[request_id] " when the server
    /// gave one; <see cref="ErrorMessage"/> is the library's sentence alone.</summary>
    public class JingException : Exception
    {
        public JingStatus Status { get; private set; }
        /// <summary>"invalid_argument", "config", "auth", ... (the library's <c>kind</c>).</summary>
        public string Kind { get; private set; }
        public string ErrorMessage { get; private set; }
        /// <summary>The API envelope's non-zero <c>code</c>, when the server answered one.</summary>
        public int? ApiCode { get; private set; }
        public string ApiMsg { get; private set; }
        public int? HttpStatus { get; private set; }
        /// <summary>The server's request_id: what JING support asks for.</summary>
        public string RequestId { get; private set; }
        /// <summary>True when repeating the same call later is safe and may succeed.</summary>
        public bool Retryable { get; private set; }
        /// <summary>True when the request may have been processed (e.g. the lead may exist).</summary>
        public bool OutcomeUnknown { get; private set; }
        /// <summary>The error JSON exactly as the library returned it (may be null).</summary>
        public string ErrorJson { get; private set; }

        public JingException(string message) : this(message, null) { }

        public JingException(string message, Exception inner) : base(message, inner)
        {
            ErrorMessage = message;
            Kind = "unknown";
        }

        /// <summary>For subclasses constructed by application code (e.g. in tests or mocks).</summary>
        protected JingException(string message, JingStatus status, string kind) : base(message)
        {
            ErrorMessage = message;
            Status = status;
            Kind = kind;
        }

        internal JingException(ErrorInfo info)
            : base(info.RequestId != null ? "[" + info.RequestId + "] " + info.Message : info.Message)
        {
            Status = info.Status;
            Kind = info.Kind;
            ErrorMessage = info.Message;
            ApiCode = info.ApiCode;
            ApiMsg = info.ApiMsg;
            HttpStatus = info.HttpStatus;
            RequestId = info.RequestId;
            Retryable = info.Retryable;
            OutcomeUnknown = info.OutcomeUnknown;
            ErrorJson = info.Json;
        }

        /// <summary>Builds the exception for a non-zero status and the library's error JSON.</summary>
        internal static JingException FromNative(int status, string errorJson)
        {
            var info = ErrorInfo.Parse((JingStatus)status, errorJson);
            switch ((JingStatus)status)
            {
                case JingStatus.InvalidArgument: return new JingInvalidArgumentException(info);
                case JingStatus.Config: return new JingConfigException(info);
                case JingStatus.Auth: return new JingAuthException(info);
                case JingStatus.Throttled: return new JingThrottledException(info);
                case JingStatus.QuotaExhausted: return new JingQuotaExhaustedException(info);
                case JingStatus.Network: return new JingNetworkException(info);
                case JingStatus.OutcomeUnknown: return new JingOutcomeUnknownException(info);
                case JingStatus.Api: return new JingApiException(info);
                case JingStatus.Protocol: return new JingProtocolException(info);
                case JingStatus.Panic: return new JingPanicException(info);
                default: return new JingException(info);
            }
        }
    }

    /// <summary>The fields of <c>{"error": {...}}</c>.</summary>
    internal sealed class ErrorInfo
    {
        internal JingStatus Status;
        internal string Kind;
        internal string Message;
        internal int? ApiCode;
        internal string ApiMsg;
        internal int? HttpStatus;
        internal string RequestId;
        internal bool Retryable;
        internal bool OutcomeUnknown;
        internal string Json;

        internal static ErrorInfo Parse(JingStatus status, string json)
        {
            var info = new ErrorInfo { Status = status, Json = json };
            Dictionary<string, object> e = null;
            if (!string.IsNullOrEmpty(json))
            {
                try
                {
                    e = Jing.Json.Get(Jing.Json.Parse(json), "error") as Dictionary<string, object>;
                }
                catch (FormatException)
                {
                    e = null;
                }
            }
            string name = SafeStatusName(status);
            if (e == null)
            {
                info.Kind = name;
                info.Message = string.Format("libjing returned status {0} ({1}){2}", (int)status, name,
                    string.IsNullOrEmpty(json) ? " without error details" : ": " + json);
                return info;
            }
            info.Kind = Str(e, "kind") ?? name;
            info.Message = Str(e, "message") ?? name;
            info.ApiCode = Int(e, "api_code");
            info.ApiMsg = Str(e, "api_msg");
            info.HttpStatus = Int(e, "http_status");
            info.RequestId = Str(e, "request_id");
            info.Retryable = Bool(e, "retryable");
            info.OutcomeUnknown = Bool(e, "outcome_unknown");
            return info;
        }

        private static string SafeStatusName(JingStatus status)
        {
            try { return JingNative.StatusName(status); }
            catch (Exception) { return "unknown"; }
        }

        private static string Str(Dictionary<string, object> d, string k)
        {
            object v;
            return d.TryGetValue(k, out v) ? v as string : null;
        }

        private static int? Int(Dictionary<string, object> d, string k)
        {
            object v;
            if (!d.TryGetValue(k, out v) || !(v is long)) return null;
            long l = (long)v;
            if (l < int.MinValue || l > int.MaxValue) return null;
            return (int)l;
        }

        private static bool Bool(Dictionary<string, object> d, string k)
        {
            object v;
            return d.TryGetValue(k, out v) && v is bool && (bool)v;
        }
    }

    /// <summary>NULL, invalid UTF-8, malformed JSON, or a request failing local validation; nothing was sent.</summary>
    public class JingInvalidArgumentException : JingException
    {
        public JingInvalidArgumentException(string message) : base(message, JingStatus.InvalidArgument, "invalid_argument") { }
        internal JingInvalidArgumentException(ErrorInfo i) : base(i) { }
    }

    /// <summary>Invalid client configuration (including unknown keys).</summary>
    public class JingConfigException : JingException
    {
        public JingConfigException(string message) : base(message, JingStatus.Config, "config") { }
        internal JingConfigException(ErrorInfo i) : base(i) { }
    }

    /// <summary>Credentials rejected, or no valid token could be obtained after one refresh.</summary>
    public class JingAuthException : JingException
    {
        public JingAuthException(string message) : base(message, JingStatus.Auth, "auth") { }
        internal JingAuthException(ErrorInfo i) : base(i) { }
    }

    /// <summary>The rate limit would need a longer wait than max_wait_ms, or the server kept throttling.</summary>
    public class JingThrottledException : JingException
    {
        public JingThrottledException(string message) : base(message, JingStatus.Throttled, "throttled") { }
        internal JingThrottledException(ErrorInfo i) : base(i) { }
    }

    /// <summary>The daily quota of the interface is used up.</summary>
    public class JingQuotaExhaustedException : JingException
    {
        public JingQuotaExhaustedException(string message) : base(message, JingStatus.QuotaExhausted, "quota_exhausted") { }
        internal JingQuotaExhaustedException(ErrorInfo i) : base(i) { }
    }

    /// <summary>The request was never delivered (DNS, connect, TLS); safe to retry.</summary>
    public class JingNetworkException : JingException
    {
        public JingNetworkException(string message) : base(message, JingStatus.Network, "network") { }
        internal JingNetworkException(ErrorInfo i) : base(i) { }
    }

    /// <summary>The request may have been processed and was not retried; check before repeating it.</summary>
    public class JingOutcomeUnknownException : JingException
    {
        public JingOutcomeUnknownException(string message) : base(message, JingStatus.OutcomeUnknown, "outcome_unknown") { }
        internal JingOutcomeUnknownException(ErrorInfo i) : base(i) { }
    }

    /// <summary>The server answered a non-zero code; see ApiCode and ApiMsg.</summary>
    public class JingApiException : JingException
    {
        public JingApiException(string message) : base(message, JingStatus.Api, "api") { }
        internal JingApiException(ErrorInfo i) : base(i) { }
    }

    /// <summary>The response was not a valid JSON envelope.</summary>
    public class JingProtocolException : JingException
    {
        public JingProtocolException(string message) : base(message, JingStatus.Protocol, "protocol") { }
        internal JingProtocolException(ErrorInfo i) : base(i) { }
    }

    /// <summary>An internal bug in libjing was caught at the boundary; the process keeps running.</summary>
    public class JingPanicException : JingException
    {
        public JingPanicException(string message) : base(message, JingStatus.Panic, "panic") { }
        internal JingPanicException(ErrorInfo i) : base(i) { }
    }
}
