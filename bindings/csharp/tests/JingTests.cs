// Self-checking test program for the Jing C# wrapper. Compiled with the wrapper sources:
//   mcs -langversion:7.2 -out:JingTests.exe ../src/*.cs JingTests.cs
// Needs JING_SANDBOX_BIN (path of the jing-sandbox binary); starts a fresh sandbox per test
// on a free port (libjing keys its process-wide counters by base_url, so tests stay isolated).
// Last line printed: "N passed, N failed"; exit code 1 when anything failed.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace Jing.Tests
{
    internal sealed class SkipException : Exception
    {
        public SkipException(string reason) : base(reason) { }
    }

    internal sealed class Sandbox : IDisposable
    {
        public const string AppId = "1000000000000001";
        public const string AppSecret = "0123456789abcdef0123456789abcdef";
        private readonly Process _proc;
        public readonly string Url;

        public Sandbox(params string[] args)
        {
            string bin = Environment.GetEnvironmentVariable("JING_SANDBOX_BIN");
            if (string.IsNullOrEmpty(bin) || !File.Exists(bin))
                throw new InvalidOperationException("set JING_SANDBOX_BIN to the jing-sandbox binary (got '" + bin + "')");
            var psi = new ProcessStartInfo(bin, "--port 0 " + string.Join(" ", args))
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                StandardOutputEncoding = Encoding.UTF8,
            };
            _proc = Process.Start(psi);
            string line = _proc.StandardOutput.ReadLine() ?? "";
            Match m = Regex.Match(line, @"listening on (http://\S+)");
            if (!m.Success)
            {
                Dispose();
                throw new InvalidOperationException("sandbox did not start: " + line);
            }
            Url = m.Groups[1].Value.TrimEnd('/');
            var drain = new Thread(() => { try { _proc.StandardOutput.ReadToEnd(); } catch (Exception) { } });
            drain.IsBackground = true;
            drain.Start();
        }

        public void Dispose()
        {
            try
            {
                if (!_proc.HasExited) { _proc.Kill(); _proc.WaitForExit(5000); }
            }
            catch (Exception) { }
            _proc.Dispose();
        }

        public string Config(string extra = null)
        {
            string cfg = "{\"app_id\":\"" + AppId + "\",\"app_secret\":\"" + AppSecret + "\",\"base_url\":\"" + Url + "\"";
            if (!string.IsNullOrEmpty(extra)) cfg += "," + extra;
            return cfg + "}";
        }

        public object Control(string method, string path, string body)
        {
            var req = (HttpWebRequest)WebRequest.Create(Url + path);
            req.Method = method;
            req.Proxy = null;
            req.Timeout = 10000;
            if (body != null)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(body);
                req.ContentType = "application/json";
                req.ContentLength = bytes.Length;
                using (Stream s = req.GetRequestStream()) s.Write(bytes, 0, bytes.Length);
            }
            using (var resp = (HttpWebResponse)req.GetResponse())
            using (var reader = new StreamReader(resp.GetResponseStream(), Encoding.UTF8))
            {
                string text = reader.ReadToEnd();
                return text.Trim().Length == 0 ? null : Json.Parse(text);
            }
        }

        public void Faults(string faultsArrayJson)
        {
            Control("POST", "/_sandbox/faults", "{\"faults\":" + faultsArrayJson + "}");
        }

        public Dictionary<string, object> Journal()
        {
            var j = (Dictionary<string, object>)Control("GET", "/_sandbox/journal", null);
            if (!j.ContainsKey("requests") && j.ContainsKey("data")) j = (Dictionary<string, object>)j["data"];
            return j;
        }

        public List<Dictionary<string, object>> RequestsTo(string path, string method = null)
        {
            var result = new List<Dictionary<string, object>>();
            foreach (object o in (List<object>)Journal()["requests"])
            {
                var r = (Dictionary<string, object>)o;
                if ((r["path"] as string) == path && (method == null || (r["method"] as string) == method)) result.Add(r);
            }
            return result;
        }

        public string BusinessType(JingClient c)
        {
            object env = Json.Parse(c.Request("GET", "/v1/crm/object/business_types?object_name=lead"));
            var list = (List<object>)Json.Get(env, "data", "list");
            return (string)Json.Get(list[0], "jing_uuid");
        }
    }

    internal static class Program
    {
        private const string Create = "/v1/leads/create";
        private static int s_passed, s_failed, s_skipped;

        private static int Main(string[] args)
        {
            Console.OutputEncoding = new UTF8Encoding(false);
            if (args.Length == 1 && args[0] == "--expect-load-failure") return ExpectLoadFailure();
            Console.WriteLine("Jing C# tests on {0}, {1}-bit, libjing {2} (ABI {3})",
                Type.GetType("Mono.Runtime") != null ? "Mono" : System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                IntPtr.Size * 8, SafeVersion(), SafeAbi());
            Run("versions_and_status_names", VersionsAndStatusNames);
            Run("json_reader", JsonReader);
            Run("create_lead_success", CreateLeadSuccess);
            Run("invalid_argument_missing_name", InvalidArgumentMissingName);
            Run("invalid_argument_bad_path", InvalidArgumentBadPath);
            Run("argument_checks_in_wrapper", ArgumentChecks);
            Run("config_unknown_key", ConfigUnknownKey);
            Run("auth_wrong_secret", AuthWrongSecret);
            Run("throttled_by_server", ThrottledByServer);
            Run("quota_exhausted_client_side", QuotaExhausted);
            Run("network_connection_refused", NetworkConnectionRefused);
            Run("outcome_unknown_close_after_create", OutcomeUnknownCloseAfter);
            Run("api_error_code_fault", ApiErrorCodeFault);
            Run("protocol_non_json_get", ProtocolNonJsonGet);
            Run("chinese_text_reaches_server", ChineseText);
            Run("eight_threads_one_client", EightThreads);
            Run("dispose_semantics", DisposeSemantics);
            Run("dispose_during_call", DisposeDuringCall);
            Run("panic_is_caught", PanicIsCaught);
            if (s_skipped > 0) Console.WriteLine("({0} skipped)", s_skipped);
            Console.WriteLine("{0} passed, {1} failed", s_passed, s_failed);
            return s_failed == 0 ? 0 : 1;
        }

        /// <summary>Run where libjing cannot be found: the error must name the library and the bitness.</summary>
        private static int ExpectLoadFailure()
        {
            Run("load_failure_message", () =>
            {
                var e = Throws<DllNotFoundException>(() => new JingClient("{}"));
                Check(e.Message.Contains("'jing'") && e.Message.Contains("libjing.so"), "names the library: " + e.Message);
                Check(e.Message.Contains((IntPtr.Size * 8) + "-bit"), "names the bitness: " + e.Message);
                // Still a clear error on the second attempt (no TypeInitializationException).
                Throws<DllNotFoundException>(() => { var v = JingNative.Version; });
            });
            Console.WriteLine("{0} passed, {1} failed", s_passed, s_failed);
            return s_failed == 0 ? 0 : 1;
        }

        private static string SafeVersion()
        {
            try { return JingNative.Version; } catch (Exception e) { return "<" + e.Message + ">"; }
        }

        private static string SafeAbi()
        {
            try { return JingNative.AbiVersion.ToString(); } catch (Exception) { return "?"; }
        }

        private static void Run(string name, Action test)
        {
            var sw = Stopwatch.StartNew();
            try
            {
                test();
                s_passed++;
                Console.WriteLine("PASS {0} ({1} ms)", name, sw.ElapsedMilliseconds);
            }
            catch (SkipException e)
            {
                s_skipped++;
                Console.WriteLine("SKIP {0}: {1}", name, e.Message);
            }
            catch (Exception e)
            {
                s_failed++;
                Console.WriteLine("FAIL {0}: {1}", name, e);
            }
        }

        // ---- assertion helpers ----------------------------------------------------------
        private static void Check(bool cond, string what)
        {
            if (!cond) throw new Exception("check failed: " + what);
        }

        private static void Eq(object expected, object actual, string what)
        {
            if (!Equals(expected, actual))
                throw new Exception(string.Format("{0}: expected <{1}>, got <{2}>", what, expected, actual));
        }

        private static T Throws<T>(Action a) where T : Exception
        {
            try
            {
                a();
            }
            catch (T e)
            {
                return e;
            }
            catch (Exception e)
            {
                throw new Exception("expected " + typeof(T).Name + ", got " + e.GetType().Name + ": " + e.Message, e);
            }
            throw new Exception("expected " + typeof(T).Name + ", nothing was thrown");
        }

        private static string Lead(string bt, string name = "Test Lead", string extra = null)
        {
            return "{\"business_type\":\"" + bt + "\",\"name\":\"" + name + "\",\"mobile\":\"13800000000\"" +
                   (extra != null ? "," + extra : "") + "}";
        }

        /// <summary>Whether value (nested objects/arrays, or JSON text) holds key: expected somewhere.</summary>
        private static bool Contains(object value, string key, string expected)
        {
            var d = value as Dictionary<string, object>;
            if (d != null)
            {
                object v;
                if (d.TryGetValue(key, out v) && (v as string) == expected) return true;
                foreach (object child in d.Values) if (Contains(child, key, expected)) return true;
                return false;
            }
            var list = value as List<object>;
            if (list != null)
            {
                foreach (object child in list) if (Contains(child, key, expected)) return true;
                return false;
            }
            var s = value as string;
            if (s != null && (s.StartsWith("{") || s.StartsWith("[")))
            {
                try { return Contains(Json.Parse(s), key, expected); } catch (FormatException) { return false; }
            }
            return false;
        }

        // ---- tests ----------------------------------------------------------------------
        private static void VersionsAndStatusNames()
        {
            Eq(1u, JingNative.AbiVersion, "AbiVersion");
            Check(Regex.IsMatch(JingNative.Version, @"^\d+\.\d+\.\d+"), "Version looks like semver: " + JingNative.Version);
            string[] names = { "ok", "invalid_argument", "config", "auth", "throttled", "quota_exhausted",
                               "network", "outcome_unknown", "api", "protocol" };
            for (int i = 0; i < names.Length; i++) Eq(names[i], JingNative.StatusName((JingStatus)i), "StatusName " + i);
            Eq("panic", JingNative.StatusName(JingStatus.Panic), "StatusName 99");
            Eq("unknown", JingNative.StatusName((JingStatus)12345), "StatusName 12345");
        }

        private static void JsonReader()
        {
            object v = Json.Parse("{\"a\":\"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\",\"b\":\"\\u5f20\\u4f1f \\ud83d\\ude80\",\"c\":-12," +
                                  "\"d\":1.5e2,\"e\":null,\"f\":true,\"g\":false,\"h\":[1,[],{}],\"i\":\"张伟🚀\"," +
                                  "\"j\":12345678901234567890}");
            Eq("x\"y\\z/\b\f\n\r\t", Json.Get(v, "a"), "escapes");
            Eq("张伟 🚀", Json.Get(v, "b"), "\\u escapes incl. surrogate pair");
            Eq(-12L, Json.Get(v, "c"), "integer");
            Eq(150.0, Json.Get(v, "d"), "exponent");
            Eq(null, Json.Get(v, "e"), "null");
            Eq(true, Json.Get(v, "f"), "true");
            Eq(false, Json.Get(v, "g"), "false");
            Eq(3, ((List<object>)Json.Get(v, "h")).Count, "array");
            Eq("张伟🚀", Json.Get(v, "i"), "raw UTF-16");
            Check(Json.Get(v, "j") is double, "big integer becomes double");
            foreach (string bad in new[] { "", "{", "{\"a\":}", "[1,]", "\"\\ud83d\"", "\"\\x\"", "01", "1.", "tru",
                                           "{\"a\":1}x", "\"a\nb\"", "[1 2]", "{a:1}" })
                Throws<FormatException>(() => Json.Parse(bad));
        }

        private static void CreateLeadSuccess()
        {
            using (var sb = new Sandbox())
            using (var c = new JingClient(sb.Config()))
            {
                string bt = sb.BusinessType(c);
                object env = Json.Parse(c.CreateLead(Lead(bt)));
                Eq(0L, Json.Get(env, "code"), "code");
                Check(!string.IsNullOrEmpty(Json.Get(env, "request_id") as string), "request_id present");
                string uuid = (string)Json.Get(env, "data", "jing_uuid");
                Check(!string.IsNullOrEmpty(uuid), "jing_uuid present");
                object q = Json.Parse(c.Request("GET", "/v1/leads/query?jing_uuid=" + uuid));
                Check(Contains(Json.Get(q, "data"), "name", "Test Lead"), "query returns the lead");
                Eq(1, sb.RequestsTo(Create, "POST").Count, "creates in journal");
            }
        }

        private static void InvalidArgumentMissingName()
        {
            using (var sb = new Sandbox())
            using (var c = new JingClient(sb.Config()))
            {
                string bt = sb.BusinessType(c);
                var e = Throws<JingInvalidArgumentException>(() =>
                    c.CreateLead("{\"business_type\":\"" + bt + "\",\"mobile\":\"13800000000\"}"));
                Eq(JingStatus.InvalidArgument, e.Status, "Status");
                Eq("invalid_argument", e.Kind, "Kind");
                Check(e.ErrorMessage.Contains("name"), "message names the field: " + e.ErrorMessage);
                Check(!e.Retryable && !e.OutcomeUnknown, "not retryable, outcome known");
                Eq(0, sb.RequestsTo(Create).Count, "nothing sent");
                Throws<JingInvalidArgumentException>(() => c.CreateLead("{not json"));
            }
        }

        private static void InvalidArgumentBadPath()
        {
            using (var sb = new Sandbox())
            using (var c = new JingClient(sb.Config()))
            {
                foreach (string p in new[] { "//evil.example/x", "/a://b", "/v1/x y", "v1/no-slash" })
                    Throws<JingInvalidArgumentException>(() => c.Request("GET", p, null));
            }
        }

        private static void ArgumentChecks()
        {
            using (var sb = new Sandbox())
            using (var c = new JingClient(sb.Config()))
            {
                Throws<ArgumentNullException>(() => c.CreateLead(null));
                Throws<ArgumentNullException>(() => c.Request(null, "/x", null));
                Throws<ArgumentException>(() => c.Request("GET", "/v1/a\0b", null));
                Throws<ArgumentException>(() => c.Request("GET", "/v1/\ud800", null)); // lone surrogate
                Throws<ArgumentNullException>(() => new JingClient(null));
            }
        }

        private static void ConfigUnknownKey()
        {
            using (var sb = new Sandbox())
            {
                var e = Throws<JingConfigException>(() => new JingClient(sb.Config("\"max_retrys\":3")));
                Eq(JingStatus.Config, e.Status, "Status");
                Eq("config", e.Kind, "Kind");
                Check(e.Message.Contains("max_retrys"), "message names the key: " + e.Message);
                // Malformed configuration JSON: the library reports it as a configuration error.
                var m = Throws<JingException>(() => new JingClient("{oops"));
                Check(m is JingConfigException || m is JingInvalidArgumentException, "malformed config: " + m.GetType().Name);
            }
        }

        private static void AuthWrongSecret()
        {
            using (var sb = new Sandbox())
            {
                string cfg = sb.Config().Replace(Sandbox.AppSecret, "ffffffffffffffffffffffffffffffff");
                using (var c = new JingClient(cfg))
                {
                    var e = Throws<JingAuthException>(() => c.Request("GET", "/v1/crm/object/business_types?object_name=lead", null));
                    Eq(JingStatus.Auth, e.Status, "Status");
                    Eq("auth", e.Kind, "Kind");
                    Check(!e.Message.Contains("ffffffffffffffffffffffffffffffff"), "secret not in message");
                }
            }
        }

        private static void ThrottledByServer()
        {
            using (var sb = new Sandbox("--rate-limit", "1"))
            using (var c = new JingClient(sb.Config("\"rate_limit_per_second\":100,\"max_wait_ms\":200")))
            {
                var e = Throws<JingThrottledException>(() =>
                {
                    for (int i = 0; i < 20; i++) c.Request("GET", "/v1/throttle/probe", null);
                });
                Eq(JingStatus.Throttled, e.Status, "Status");
                Check(e.Retryable, "throttled is retryable");
                bool sawLimit = false;
                foreach (var r in sb.RequestsTo("/v1/throttle/probe"))
                {
                    object code = r.ContainsKey("code") ? r["code"] : null;
                    object http = r.ContainsKey("http_status") ? r["http_status"] : null;
                    if (Equals(code, 42901L) || Equals(http, 429L)) sawLimit = true;
                }
                Check(sawLimit, "server answered rate limited");
            }
        }

        private static void QuotaExhausted()
        {
            using (var sb = new Sandbox("--no-limits"))
            using (var c = new JingClient(sb.Config("\"daily_quota\":2")))
            {
                c.Request("GET", "/v1/quota/probe", null);
                c.Request("GET", "/v1/quota/probe", null);
                var sw = Stopwatch.StartNew();
                var e = Throws<JingQuotaExhaustedException>(() => c.Request("GET", "/v1/quota/probe", null));
                Check(sw.ElapsedMilliseconds < 1000, "fails fast");
                Eq(JingStatus.QuotaExhausted, e.Status, "Status");
                Eq("quota_exhausted", e.Kind, "Kind");
                c.Request("GET", "/v1/quota/other", null); // per interface
                Eq(2, sb.RequestsTo("/v1/quota/probe").Count, "sent to the server");
            }
        }

        private static void NetworkConnectionRefused()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop(); // nothing listens there now
            string cfg = "{\"app_id\":\"" + Sandbox.AppId + "\",\"app_secret\":\"" + Sandbox.AppSecret +
                         "\",\"base_url\":\"http://127.0.0.1:" + port + "\",\"max_retries\":1,\"connect_timeout_ms\":1000}";
            using (var c = new JingClient(cfg))
            {
                var e = Throws<JingNetworkException>(() => c.Request("GET", "/v1/anything", null));
                Eq(JingStatus.Network, e.Status, "Status");
                Eq("network", e.Kind, "Kind");
                Check(e.Retryable && !e.OutcomeUnknown, "retryable, outcome known");
            }
        }

        private static void OutcomeUnknownCloseAfter()
        {
            using (var sb = new Sandbox())
            using (var c = new JingClient(sb.Config()))
            {
                string bt = sb.BusinessType(c);
                sb.Faults("[{\"kind\":\"close_after\",\"path\":\"" + Create + "\",\"count\":1}]");
                var e = Throws<JingOutcomeUnknownException>(() => c.CreateLead(Lead(bt, "Maybe Created")));
                Eq(JingStatus.OutcomeUnknown, e.Status, "Status");
                Check(e.OutcomeUnknown && !e.Retryable, "outcome unknown, not retryable");
                Eq(1, sb.RequestsTo(Create, "POST").Count, "exactly one create reached the server");
            }
        }

        private static void ApiErrorCodeFault()
        {
            using (var sb = new Sandbox())
            using (var c = new JingClient(sb.Config()))
            {
                string bt = sb.BusinessType(c);
                sb.Faults("[{\"kind\":\"api_code\",\"code\":50123,\"msg\":\"业务错误 custom\",\"path\":\"" + Create + "\",\"count\":1}]");
                var e = Throws<JingApiException>(() => c.CreateLead(Lead(bt)));
                Eq(JingStatus.Api, e.Status, "Status");
                Eq("api", e.Kind, "Kind");
                Eq((int?)50123, e.ApiCode, "ApiCode");
                Eq("业务错误 custom", e.ApiMsg, "ApiMsg");
                Check(!string.IsNullOrEmpty(e.RequestId), "RequestId present");
                Check(e.Message.StartsWith("[" + e.RequestId + "] "), "Message starts with [request_id]: " + e.Message);
                Check(e.HttpStatus.HasValue, "HttpStatus present");
            }
        }

        private static void ProtocolNonJsonGet()
        {
            using (var sb = new Sandbox())
            using (var c = new JingClient(sb.Config("\"max_retries\":1")))
            {
                c.Request("GET", "/v1/proto/probe", null);
                sb.Faults("[{\"kind\":\"non_json\",\"path\":\"/v1/proto/probe\",\"count\":10}]");
                var e = Throws<JingProtocolException>(() => c.Request("GET", "/v1/proto/probe", null));
                Eq(JingStatus.Protocol, e.Status, "Status");
                Eq("protocol", e.Kind, "Kind");
            }
        }

        private static void ChineseText()
        {
            const string name = "张伟";
            const string desc = "来自上海的客户 🚀 emoji ✓";
            using (var sb = new Sandbox())
            using (var c = new JingClient(sb.Config()))
            {
                string bt = sb.BusinessType(c);
                object env = Json.Parse(c.CreateLead(Lead(bt, name, "\"description\":\"" + desc + "\"")));
                string uuid = (string)Json.Get(env, "data", "jing_uuid");
                object q = Json.Parse(c.Request("GET", "/v1/leads/query?jing_uuid=" + uuid, null));
                Check(Contains(Json.Get(q, "data"), "name", name), "query returns the Chinese name");
                var journal = sb.Journal();
                Check(Contains(journal["leads"], "name", name), "server stored name 张伟");
                Check(Contains(journal["leads"], "description", desc), "server stored description with emoji");
                var creates = sb.RequestsTo(Create);
                Eq(1, creates.Count, "one create");
                object body = creates[0].ContainsKey("body") ? creates[0]["body"] : null;
                Check(Contains(body, "name", name), "request body carried 张伟");
            }
        }

        private static void EightThreads()
        {
            const int perThread = 25;
            using (var sb = new Sandbox("--no-limits"))
            using (var c = new JingClient(sb.Config("\"rate_limit_per_second\":100000,\"daily_quota\":1000000")))
            {
                string bt = sb.BusinessType(c);
                var uuids = new List<string>();
                var errors = new List<Exception>();
                var threads = new List<Thread>();
                for (int t = 0; t < 8; t++)
                {
                    int ti = t;
                    var th = new Thread(() =>
                    {
                        try
                        {
                            for (int k = 0; k < perThread; k++)
                            {
                                object env = Json.Parse(c.CreateLead(Lead(bt, "线程 " + ti + "-" + k)));
                                c.Request("GET", "/v1/threads/echo?i=" + ti + "&k=" + k, null);
                                lock (uuids) uuids.Add((string)Json.Get(env, "data", "jing_uuid"));
                            }
                        }
                        catch (Exception e)
                        {
                            lock (errors) errors.Add(e);
                        }
                    });
                    threads.Add(th);
                    th.Start();
                }
                foreach (var th in threads) th.Join();
                if (errors.Count > 0) throw new Exception("thread failed", errors[0]);
                Eq(8 * perThread, uuids.Count, "leads created");
                Eq(8 * perThread, new HashSet<string>(uuids).Count, "distinct uuids");
                Eq(8 * perThread, sb.RequestsTo(Create, "POST").Count, "creates in journal");
            }
        }

        private static void DisposeSemantics()
        {
            using (var sb = new Sandbox())
            {
                var c = new JingClient(sb.Config());
                c.Request("GET", "/v1/dispose/probe", null);
                Check(!c.IsDisposed, "not disposed yet");
                c.Dispose();
                c.Dispose(); // harmless
                Check(c.IsDisposed, "disposed");
                Throws<ObjectDisposedException>(() => c.Request("GET", "/v1/dispose/probe", null));
                Throws<ObjectDisposedException>(() => c.CreateLead("{}"));
            }
        }

        private static void DisposeDuringCall()
        {
            using (var sb = new Sandbox("--no-limits"))
            {
                var c = new JingClient(sb.Config());
                c.Request("GET", "/v1/slow", null);
                sb.Faults("[{\"kind\":\"delay\",\"delay_ms\":500,\"path\":\"/v1/slow\",\"count\":1}]");
                string result = null;
                Exception error = null;
                var th = new Thread(() =>
                {
                    try { result = c.Request("GET", "/v1/slow", null); }
                    catch (Exception e) { error = e; }
                });
                th.Start();
                Thread.Sleep(150);
                c.Dispose(); // the native client is freed only when the call returns
                th.Join();
                if (error != null) throw new Exception("call in flight failed", error);
                Eq(0L, Json.Get(Json.Parse(result), "code"), "in-flight call succeeded");
                Throws<ObjectDisposedException>(() => c.Request("GET", "/v1/slow", null));
            }
        }

        private static void PanicIsCaught()
        {
            JingException e;
            try
            {
                e = JingClient.TestPanic();
            }
            catch (EntryPointNotFoundException)
            {
                throw new SkipException("libjing built without the `test-panic` cargo feature (no jing_test_panic)");
            }
            Check(e is JingPanicException, "JingPanicException, got " + (e == null ? "null" : e.GetType().Name));
            Eq(JingStatus.Panic, e.Status, "Status");
            Eq("panic", e.Kind, "Kind");
            Eq(1u, JingNative.AbiVersion, "library still works");
            Check(JingClient.TestPanic() is JingPanicException, "second panic caught too");
        }
    }
}
