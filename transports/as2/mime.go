package as2

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
)

// Limits of the MIME parser.
const (
	maxHeaderBytes  = 64 << 10
	maxHeaderFields = 256
)

// field is one MIME header field, unfolded.
type field struct{ name, value string }

// entity is a MIME entity kept as the bytes it came in: raw is the whole
// entity (headers, blank line, body), body the bytes after the blank
// line. Nothing is re-encoded, so a MIC or a signature covers exactly
// what was sent.
type entity struct {
	raw    []byte
	fields []field
	body   []byte
}

// parseEntity splits raw into header fields and body. Lines may end in
// CRLF or LF; folded header lines are unfolded.
func parseEntity(raw []byte, layer string) (*entity, error) {
	e := &entity{raw: raw}
	for i := 0; ; {
		if i > maxHeaderBytes || len(e.fields) > maxHeaderFields {
			return nil, &MIMEError{Layer: layer, Offset: i, Msg: "header too long"}
		}
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return nil, &MIMEError{Layer: layer, Offset: i, Msg: "no blank line after the header"}
		}
		line := bytes.TrimSuffix(raw[i:i+j], []byte{'\r'})
		next := i + j + 1
		switch {
		case len(line) == 0:
			e.body = raw[next:]
			return e, nil
		case line[0] == ' ' || line[0] == '\t':
			if len(e.fields) == 0 {
				return nil, &MIMEError{Layer: layer, Offset: i, Msg: "continuation line before any header field"}
			}
			f := &e.fields[len(e.fields)-1]
			f.value = strings.TrimSpace(f.value + " " + string(bytes.TrimSpace(line)))
		default:
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 {
				return nil, &MIMEError{Layer: layer, Offset: i, Msg: "header line without a colon"}
			}
			e.fields = append(e.fields, field{
				name:  string(bytes.TrimSpace(line[:colon])),
				value: string(bytes.TrimSpace(line[colon+1:])),
			})
		}
		i = next
	}
}

// newEntity builds an entity from header fields (in order) and a body,
// with CRLF line ends.
func newEntity(fields []field, body []byte) *entity {
	var b bytes.Buffer
	b.Grow(len(body) + 256)
	for _, f := range fields {
		b.WriteString(f.name)
		b.WriteString(": ")
		b.WriteString(f.value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	n := b.Len()
	b.Write(body)
	raw := b.Bytes()
	return &entity{raw: raw, fields: fields, body: raw[n:]}
}

// header returns the value of the first field with that name (case
// insensitive), or "".
func (e *entity) header(name string) string {
	for _, f := range e.fields {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// mediaType returns the lower-cased media type and its parameters; an
// entity without Content-Type is text/plain (RFC 2045).
func (e *entity) mediaType() (string, map[string]string) {
	return parseMediaType(e.header("Content-Type"))
}

// parseMediaType is mime.ParseMediaType, lenient: on a malformed value it
// still returns the type and the parameters it can read.
func parseMediaType(v string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}
	}
	t, params, err := mime.ParseMediaType(v)
	if err == nil {
		return t, params
	}
	parts := splitQuoted(v, ';')
	t = strings.ToLower(strings.TrimSpace(parts[0]))
	params = map[string]string{}
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		params[strings.ToLower(strings.TrimSpace(k))] = unquote(strings.TrimSpace(val))
	}
	return t, params
}

// splitQuoted splits s at sep outside double quotes.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote removes the double quotes of a quoted-string and its escapes; an
// unquoted value comes back trimmed.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// transferEncoding returns the lower-cased Content-Transfer-Encoding.
func (e *entity) transferEncoding() string {
	return strings.ToLower(strings.TrimSpace(e.header("Content-Transfer-Encoding")))
}

// decodedBody returns the body with its Content-Transfer-Encoding undone.
func (e *entity) decodedBody() ([]byte, error) {
	switch e.transferEncoding() {
	case "base64":
		return decodeBase64(e.body)
	case "quoted-printable":
		return io.ReadAll(quotedprintable.NewReader(bytes.NewReader(e.body)))
	}
	return e.body, nil
}

// decodeBase64 decodes base64 text, ignoring white space and line breaks,
// padded or not. Its output is sized from its input (the unpadded
// reading of n characters is the longest: 3n/4 bytes), and nothing else
// is allocated: a body of tens of megabytes costs one buffer of three
// quarters of its size.
func decodeBase64(b []byte) ([]byte, error) {
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(b)))
	n, err := decodeInto(out, base64.StdEncoding, b)
	if err != nil {
		// Some senders leave the padding off.
		n, err = decodeInto(out, base64.RawStdEncoding, bytes.TrimRight(b, "= \t\r\n"))
	}
	return out[:n], err
}

// decodeInto decodes b with enc, white space skipped, into out, which
// must be large enough.
func decodeInto(out []byte, enc *base64.Encoding, b []byte) (int, error) {
	d := base64.NewDecoder(enc, &spaceless{b: b})
	n := 0
	for {
		if n == len(out) {
			var one [1]byte
			if m, err := d.Read(one[:]); m > 0 || (err != nil && err != io.EOF) {
				return n, fmt.Errorf("base64: %d bytes decoded, more than %d: %w", n+m, len(out), err)
			}
			return n, nil
		}
		m, err := d.Read(out[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// spaceless reads b without its spaces, tabs and line breaks.
type spaceless struct{ b []byte }

func (s *spaceless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(s.b) > 0 {
		c := s.b[0]
		s.b = s.b[1:]
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			p[n] = c
			n++
		}
	}
	if n == 0 && len(s.b) == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// encodeBase64Lines encodes b as base64 in lines of 76 characters ending
// in CRLF.
func encodeBase64Lines(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	out := make([]byte, 0, len(enc)+len(enc)/76*2+2)
	for len(enc) > 76 {
		out = append(out, enc[:76]...)
		out = append(out, '\r', '\n')
		enc = enc[76:]
	}
	out = append(out, enc...)
	return append(out, '\r', '\n')
}

// splitMultipart returns the raw bytes of each body part of a multipart
// body, exactly as they appear between the delimiter lines. The line
// break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1);
// delimiters may end in CRLF or LF, as OpenSSL writes them.
func splitMultipart(body []byte, boundary, layer string) ([][]byte, error) {
	if boundary == "" {
		return nil, &MIMEError{Layer: layer, Msg: "multipart without a boundary"}
	}
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	for pos := 0; pos < len(body); {
		k := bytes.Index(body[pos:], delim)
		if k < 0 {
			break
		}
		at := pos + k
		after := at + len(delim)
		if at > 0 && body[at-1] != '\n' {
			pos = after
			continue
		}
		closing := bytes.HasPrefix(body[after:], []byte("--"))
		rest := after
		if closing {
			rest += 2
		}
		for rest < len(body) && (body[rest] == ' ' || body[rest] == '\t') {
			rest++
		}
		switch {
		case rest == len(body), body[rest] == '\n':
		case body[rest] == '\r' && rest+1 < len(body) && body[rest+1] == '\n':
			rest++
		default:
			pos = after // the boundary string inside a longer line
			continue
		}
		if start >= 0 {
			end := at
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
		}
		if closing {
			return parts, nil
		}
		start = min(rest+1, len(body))
		pos = start
	}
	if start < 0 {
		return nil, &MIMEError{Layer: layer, Msg: "no boundary delimiter " + string(delim)}
	}
	return nil, &MIMEError{Layer: layer, Offset: len(body), Msg: "no closing boundary delimiter"}
}

// canonicalCRLF returns b with every bare LF turned into CRLF (the S/MIME
// canonical form of text), or b itself when it has none.
func canonicalCRLF(b []byte) []byte {
	bare := 0
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			bare++
		}
	}
	if bare == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+bare)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}
