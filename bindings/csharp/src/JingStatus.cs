namespace Jing
{
    /// <summary>Values of <c>jing_status</c>, fixed by the C ABI contract.</summary>
    public enum JingStatus
    {
        Ok = 0,
        InvalidArgument = 1,
        Config = 2,
        Auth = 3,
        Throttled = 4,
        QuotaExhausted = 5,
        Network = 6,
        OutcomeUnknown = 7,
        Api = 8,
        Protocol = 9,
        Panic = 99,
    }
}
