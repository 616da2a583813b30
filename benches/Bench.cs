// Lead creates through the C# wrapper (bindings/csharp/src) under Mono, for benches/run.sh.
//   mono Bench.exe --base-url U [--threads 1] [--count 2000] [--reps 3] [--warmup 50]
// One JingClient shared by all threads, limits raised; the answer is returned as a string
// and checked for code 0. Prints per repetition:
//   RESULT n=.. errors=.. wall_s=.. rate=.. p50_us=.. p99_us=..
using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Jing;

static class Bench
{
    const string Lead = "{\"business_type\":\"bt000000000000000000000000000001\",\"name\":\"\u5f20\u4e09\",\"mobile\":\"13800000000\"}";

    static int Main(string[] args)
    {
        string baseUrl = null;
        int threads = 1, count = 2000, reps = 3, warmup = 50;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            switch (args[i])
            {
                case "--base-url": baseUrl = v; break;
                case "--threads": threads = int.Parse(v); break;
                case "--count": count = int.Parse(v); break;
                case "--reps": reps = int.Parse(v); break;
                case "--warmup": warmup = int.Parse(v); break;
                default: Console.Error.WriteLine("Bench: unknown argument " + args[i]); return 2;
            }
        }
        if (baseUrl == null) { Console.Error.WriteLine("Bench: --base-url is required"); return 2; }

        var client = new JingClient("{\"app_id\":\"1000000000000001\",\"app_secret\":\"0123456789abcdef0123456789abcdef\"," +
                                    "\"base_url\":\"" + baseUrl + "\",\"rate_limit_per_second\":100000,\"daily_quota\":1000000000}");
        long[] all = new long[threads * count];
        for (int rep = 0; rep < reps; rep++)
        {
            var barrier = new Barrier(threads + 1);
            int warm = rep == 0 ? warmup : 0;
            int errors = 0;
            var ts = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int offset = t * count;
                ts[t] = new Thread(() =>
                {
                    for (int i = 0; i < warm; i++) Create(client);
                    barrier.SignalAndWait();
                    int errs = 0;
                    for (int i = 0; i < count; i++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        if (!Create(client)) errs++;
                        all[offset + i] = Stopwatch.GetTimestamp() - t0;
                    }
                    Interlocked.Add(ref errors, errs);
                });
                ts[t].Start();
            }
            barrier.SignalAndWait();
            var wall = Stopwatch.StartNew();
            foreach (var th in ts) th.Join();
            double secs = wall.Elapsed.TotalSeconds;
            Array.Sort(all);
            double usPerTick = 1e6 / Stopwatch.Frequency;
            int n = all.Length;
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "RESULT n={0} errors={1} wall_s={2:F4} rate={3:F1} p50_us={4:F1} p99_us={5:F1}",
                n, errors, secs, n / secs, Pct(all, 0.50) * usPerTick, Pct(all, 0.99) * usPerTick));
        }
        client.Dispose();
        return 0;
    }

    static bool Create(JingClient client)
    {
        try { return client.CreateLead(Lead).Contains("\"code\":0"); }
        catch (JingException) { return false; }
    }

    static long Pct(long[] sorted, double p)
    {
        int rank = (int)Math.Ceiling(p * sorted.Length);
        if (rank < 1) rank = 1;
        if (rank > sorted.Length) rank = sorted.Length;
        return sorted[rank - 1];
    }
}
