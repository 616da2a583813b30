// Creates one lead with the Jing C# wrapper and prints "jing_uuid: <uuid>".
//
// Sandbox (default): JING_BASE_URL=http://127.0.0.1:PORT and the sandbox's default credentials.
// Live API: set JING_APP_ID and JING_APP_SECRET (optionally JING_BASE_URL, and
// JING_BUSINESS_TYPE to skip the metadata lookup).
//
// Build and run (Mono):
//   mcs -langversion:7.2 -target:library -out:Jing.dll bindings/csharp/src/*.cs
//   mcs -langversion:7.2 -r:Jing.dll -out:CreateLead.exe examples/CreateLead.cs
//   cp target/debug/libjing.so . && mono CreateLead.exe
using System;
using System.Collections.Generic;
using System.Text;
using Jing;

internal static class CreateLeadExample
{
    private const string SandboxAppId = "1000000000000001";
    private const string SandboxAppSecret = "0123456789abcdef0123456789abcdef";

    private static int Main()
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        string appId = Environment.GetEnvironmentVariable("JING_APP_ID");
        string appSecret = Environment.GetEnvironmentVariable("JING_APP_SECRET");
        string baseUrl = Environment.GetEnvironmentVariable("JING_BASE_URL");
        bool live = !string.IsNullOrEmpty(appId) && !string.IsNullOrEmpty(appSecret);
        if (!live && string.IsNullOrEmpty(baseUrl))
        {
            Console.Error.WriteLine("set JING_BASE_URL to a running sandbox, or JING_APP_ID and JING_APP_SECRET for the live API");
            return 2;
        }

        var config = new StringBuilder("{");
        config.Append("\"app_id\":").Append(JsonString(live ? appId : SandboxAppId));
        config.Append(",\"app_secret\":").Append(JsonString(live ? appSecret : SandboxAppSecret));
        if (!string.IsNullOrEmpty(baseUrl)) config.Append(",\"base_url\":").Append(JsonString(baseUrl));
        config.Append("}");

        try
        {
            using (var client = new JingClient(config.ToString()))
            {
                string businessType = Environment.GetEnvironmentVariable("JING_BUSINESS_TYPE");
                if (string.IsNullOrEmpty(businessType))
                {
                    object meta = Json.Parse(client.Request("GET", "/v1/crm/object/business_types?object_name=lead"));
                    var list = (List<object>)Json.Get(meta, "data", "list");
                    businessType = (string)Json.Get(list[0], "jing_uuid");
                }
                string lead = "{\"business_type\":" + JsonString(businessType) +
                              ",\"name\":\"张伟\",\"mobile\":\"13800000000\"" +
                              ",\"description\":\"Created by the libjing C# example ✓\"}";
                object env = Json.Parse(client.CreateLead(lead));
                Console.WriteLine("jing_uuid: " + Json.Get(env, "data", "jing_uuid"));
                return 0;
            }
        }
        catch (JingOutcomeUnknownException e)
        {
            // The lead may exist: look it up before creating it again.
            Console.Error.WriteLine("outcome unknown: " + e.ErrorJson);
            return 1;
        }
        catch (JingException e)
        {
            Console.Error.WriteLine(e.GetType().Name + ": " + (e.ErrorJson ?? e.Message));
            return 1;
        }
    }

    private static string JsonString(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            if (c == '"' || c == '\\') sb.Append('\\').Append(c);
            else if (c < 0x20) sb.AppendFormat("\\u{0:x4}", (int)c);
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
