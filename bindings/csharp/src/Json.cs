using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Jing
{
    /// <summary>A small, strict JSON reader (RFC 8259), so the wrapper needs no JSON package on
    /// netstandard2.0 / .NET Framework. Values map to: object → Dictionary&lt;string, object&gt;,
    /// array → List&lt;object&gt;, string → string, integer → long (double when it does not fit),
    /// other numbers → double, true/false → bool, null → null.</summary>
    public static class Json
    {
        /// <summary>Parses one JSON value; throws FormatException on malformed input.</summary>
        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var r = new Reader(text);
            r.SkipWs();
            object v = r.ReadValue(0);
            r.SkipWs();
            if (r.Pos != text.Length) throw r.Error("unexpected trailing characters");
            return v;
        }

        /// <summary>Follows object keys, e.g. Get(env, "data", "jing_uuid"); null when absent.</summary>
        public static object Get(object value, params string[] keys)
        {
            foreach (string k in keys)
            {
                var d = value as Dictionary<string, object>;
                if (d == null || !d.TryGetValue(k, out value)) return null;
            }
            return value;
        }

        private sealed class Reader
        {
            private const int MaxDepth = 128;
            private readonly string _s;
            internal int Pos;

            internal Reader(string s) { _s = s; }

            internal FormatException Error(string what)
            {
                return new FormatException(string.Format("Invalid JSON at offset {0}: {1}.", Pos, what));
            }

            internal void SkipWs()
            {
                while (Pos < _s.Length)
                {
                    char c = _s[Pos];
                    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') Pos++;
                    else break;
                }
            }

            private char Peek()
            {
                if (Pos >= _s.Length) throw Error("unexpected end of input");
                return _s[Pos];
            }

            private void Expect(string word)
            {
                if (string.CompareOrdinal(_s, Pos, word, 0, word.Length) != 0) throw Error("expected '" + word + "'");
                Pos += word.Length;
            }

            internal object ReadValue(int depth)
            {
                if (depth > MaxDepth) throw Error("nesting too deep");
                char c = Peek();
                switch (c)
                {
                    case '{': return ReadObject(depth);
                    case '[': return ReadArray(depth);
                    case '"': return ReadString();
                    case 't': Expect("true"); return true;
                    case 'f': Expect("false"); return false;
                    case 'n': Expect("null"); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                        throw Error("unexpected character '" + c + "'");
                }
            }

            private Dictionary<string, object> ReadObject(int depth)
            {
                var d = new Dictionary<string, object>(StringComparer.Ordinal);
                Pos++; // {
                SkipWs();
                if (Peek() == '}') { Pos++; return d; }
                while (true)
                {
                    SkipWs();
                    if (Peek() != '"') throw Error("expected a string key");
                    string key = ReadString();
                    SkipWs();
                    if (Peek() != ':') throw Error("expected ':'");
                    Pos++;
                    SkipWs();
                    d[key] = ReadValue(depth + 1);
                    SkipWs();
                    char c = Peek();
                    Pos++;
                    if (c == '}') return d;
                    if (c != ',') { Pos--; throw Error("expected ',' or '}'"); }
                }
            }

            private List<object> ReadArray(int depth)
            {
                var list = new List<object>();
                Pos++; // [
                SkipWs();
                if (Peek() == ']') { Pos++; return list; }
                while (true)
                {
                    SkipWs();
                    list.Add(ReadValue(depth + 1));
                    SkipWs();
                    char c = Peek();
                    Pos++;
                    if (c == ']') return list;
                    if (c != ',') { Pos--; throw Error("expected ',' or ']'"); }
                }
            }

            private string ReadString()
            {
                Pos++; // opening quote
                var sb = new StringBuilder();
                while (true)
                {
                    char c = Peek();
                    Pos++;
                    if (c == '"') return sb.ToString();
                    if (c < 0x20) { Pos--; throw Error("control character in string"); }
                    if (c != '\\') { sb.Append(c); continue; }
                    char e = Peek();
                    Pos++;
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            char u = ReadHex4();
                            if (char.IsHighSurrogate(u))
                            {
                                if (Pos + 1 < _s.Length && _s[Pos] == '\\' && _s[Pos + 1] == 'u')
                                {
                                    Pos += 2;
                                    char low = ReadHex4();
                                    if (!char.IsLowSurrogate(low)) throw Error("unpaired surrogate in \\u escape");
                                    sb.Append(u).Append(low);
                                }
                                else throw Error("unpaired surrogate in \\u escape");
                            }
                            else if (char.IsLowSurrogate(u)) throw Error("unpaired surrogate in \\u escape");
                            else sb.Append(u);
                            break;
                        default:
                            Pos--;
                            throw Error("invalid escape '\\" + e + "'");
                    }
                }
            }

            private char ReadHex4()
            {
                if (Pos + 4 > _s.Length) throw Error("truncated \\u escape");
                int v = 0;
                for (int i = 0; i < 4; i++)
                {
                    char h = _s[Pos++];
                    int d;
                    if (h >= '0' && h <= '9') d = h - '0';
                    else if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
                    else if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
                    else { Pos--; throw Error("invalid hex digit in \\u escape"); }
                    v = (v << 4) | d;
                }
                return (char)v;
            }

            private object ReadNumber()
            {
                int start = Pos;
                bool integer = true;
                if (_s[Pos] == '-') Pos++;
                if (Pos < _s.Length && _s[Pos] == '0') Pos++;
                else if (Pos < _s.Length && _s[Pos] >= '1' && _s[Pos] <= '9') SkipDigits();
                else throw Error("invalid number");
                if (Pos < _s.Length && _s[Pos] == '.')
                {
                    integer = false;
                    Pos++;
                    if (Pos >= _s.Length || _s[Pos] < '0' || _s[Pos] > '9') throw Error("digit expected after '.'");
                    SkipDigits();
                }
                if (Pos < _s.Length && (_s[Pos] == 'e' || _s[Pos] == 'E'))
                {
                    integer = false;
                    Pos++;
                    if (Pos < _s.Length && (_s[Pos] == '+' || _s[Pos] == '-')) Pos++;
                    if (Pos >= _s.Length || _s[Pos] < '0' || _s[Pos] > '9') throw Error("digit expected in exponent");
                    SkipDigits();
                }
                string t = _s.Substring(start, Pos - start);
                long l;
                if (integer && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l))
                    return l;
                return double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture);
            }

            private void SkipDigits()
            {
                while (Pos < _s.Length && _s[Pos] >= '0' && _s[Pos] <= '9') Pos++;
            }
        }
    }
}
