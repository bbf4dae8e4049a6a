package as2

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseEntity(t *testing.T) {
	tests := []struct {
		name, in    string
		ctype, body string
		err         bool
	}{
		{"crlf", "Content-Type: text/plain\r\n\r\nhello\r\n", "text/plain", "hello\r\n", false},
		{"lf", "Content-Type: application/edi-x12\nContent-Transfer-Encoding: binary\n\nISA*", "application/edi-x12", "ISA*", false},
		{"folded", "Content-Type: multipart/signed;\r\n\tboundary=\"b\"\r\n\r\nx", `multipart/signed; boundary="b"`, "x", false},
		{"no headers", "\r\nbody", "", "body", false},
		{"no blank line", "Content-Type: text/plain\r\n", "", "", true},
		{"no colon", "Content-Type text/plain\r\n\r\n", "", "", true},
		{"continuation first", " x\r\n\r\n", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := parseEntity([]byte(tt.in), "test")
			if tt.err {
				if err == nil {
					t.Fatal("no error")
				}
				var me *MIMEError
				if !asMIMEError(err, &me) {
					t.Fatalf("error %T is not a *MIMEError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := e.header("content-type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if string(e.body) != tt.body || !bytes.Equal(e.raw, []byte(tt.in)) {
				t.Errorf("body %q, want %q", e.body, tt.body)
			}
		})
	}
}

func asMIMEError(err error, target **MIMEError) bool {
	me, ok := err.(*MIMEError)
	*target = me
	return ok
}

func TestSplitMultipart(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
		err        bool
	}{
		{"crlf", "--b\r\nA\r\n--b\r\nB\r\n--b--\r\n", []string{"A", "B"}, false},
		{"openssl lf delimiters", "preamble\n\n--b\nA\r\n\n--b\nB\n--b--\n", []string{"A\r\n", "B"}, false},
		{"content ends without newline", "--b\r\nA\r\n--b--", []string{"A"}, false},
		{"empty part", "--b\r\n\r\n--b--\r\n", []string{""}, false},
		{"boundary inside a line", "--b\r\nx--b y\r\n--bz\r\n--b--\r\n", []string{"x--b y\r\n--bz"}, false},
		{"transport padding", "--b  \r\nA\r\n--b--  \r\nepilogue", []string{"A"}, false},
		{"no closing delimiter", "--b\r\nA\r\n", nil, true},
		{"no delimiter", "A", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := splitMultipart([]byte(tt.body), "b", "test")
			if tt.err {
				if err == nil {
					t.Fatalf("no error, parts %q", parts)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != len(tt.want) {
				t.Fatalf("%d parts %q, want %q", len(parts), parts, tt.want)
			}
			for i := range parts {
				if string(parts[i]) != tt.want[i] {
					t.Errorf("part %d %q, want %q", i, parts[i], tt.want[i])
				}
			}
		})
	}
}

func TestCanonicalCRLF(t *testing.T) {
	for in, want := range map[string]string{"a\nb\r\nc\n": "a\r\nb\r\nc\r\n", "\n": "\r\n", "x": "x", "a\r\n": "a\r\n"} {
		if got := string(canonicalCRLF([]byte(in))); got != want {
			t.Errorf("canonicalCRLF(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAS2IDQuoting(t *testing.T) {
	tests := []struct{ id, header string }{
		{"DOCKSIDE", "DOCKSIDE"},
		{"Acme Retail", `"Acme Retail"`},
		{`Say "Hi"\now`, `"Say \"Hi\"\\now"`},
	}
	for _, tt := range tests {
		if got := quoteAS2ID(tt.id); got != tt.header {
			t.Errorf("quoteAS2ID(%q) = %q, want %q", tt.id, got, tt.header)
		}
		if got := unquoteAS2ID(" " + tt.header + " "); got != tt.id {
			t.Errorf("unquoteAS2ID(%q) = %q, want %q", tt.header, got, tt.id)
		}
	}
}

func TestNormalizeMessageID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"<a@b>", "<a@b>", true},
		{"a@b", "<a@b>", true},
		{"  <a@b>  ", "<a@b>", true},
		{"", "", false},
		{"<>", "", false},
		{"<a<b>", "", false},
		{strings.Repeat("x", 999), "", false},
	}
	for _, tt := range tests {
		got, ok := normalizeMessageID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizeMessageID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{"order.edi": "order.edi", "../../etc/passwd": "passwd", `C:\x\y.edi`: "y.edi", "a\x00b": "a_b", "..": ""} {
		if got := safeFileName(in); got != want {
			t.Errorf("safeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
