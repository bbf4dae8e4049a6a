package as2

import (
	"net/http"
	"net/url"
	"strings"
)

// request is the AS2 view of an incoming HTTP request.
type request struct {
	from, to   string // unquoted AS2 ids
	messageID  string // with angle brackets
	version    string
	subject    string
	dnTo       string // Disposition-Notification-To: an MDN is wanted
	dnOptions  string
	receiptURL string // Receipt-Delivery-Option
	top        *entity
	share      int64 // of the handler's unwrap memory, held for the body
}

// readRequest reads the AS2 headers of r; the top entity's body is set
// once it is read.
func readRequest(r *http.Request) (*request, error) {
	h := r.Header
	req := &request{
		from:       unquoteAS2ID(h.Get("AS2-From")),
		to:         unquoteAS2ID(h.Get("AS2-To")),
		version:    strings.TrimSpace(h.Get("AS2-Version")),
		subject:    h.Get("Subject"),
		dnTo:       strings.TrimSpace(h.Get("Disposition-Notification-To")),
		dnOptions:  h.Get("Disposition-Notification-Options"),
		receiptURL: strings.TrimSpace(h.Get("Receipt-Delivery-Option")),
	}
	if req.from == "" {
		return nil, &HeaderError{Header: "AS2-From", Msg: "missing"}
	}
	if req.to == "" {
		return nil, &HeaderError{Header: "AS2-To", Msg: "missing"}
	}
	raw := h.Get("Message-ID")
	if raw == "" {
		raw = h.Get("Message-Id")
	}
	id, ok := normalizeMessageID(raw)
	if !ok {
		return nil, &HeaderError{Header: "Message-ID", Value: raw, Msg: "missing or malformed"}
	}
	req.messageID = id
	var fields []field
	for _, name := range []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"} {
		if v := h.Get(name); v != "" {
			fields = append(fields, field{name, v})
		}
	}
	req.top = &entity{fields: fields}
	return req, nil
}

// mdnType reports whether the Content-Type says MDN without a look at
// the body (a multipart/signed MDN says so only inside).
func (req *request) mdnType() bool {
	t, _ := req.top.mediaType()
	return t == "multipart/report" || t == "message/disposition-notification"
}

// isMDN reports whether the request carries an MDN (an asynchronous MDN
// for one of our messages) rather than a message.
func (req *request) isMDN() bool {
	t, params := req.top.mediaType()
	switch t {
	case "multipart/report", "message/disposition-notification":
		return true
	case "multipart/signed":
		parts, err := splitMultipart(req.top.body, params["boundary"], "multipart/signed")
		if err != nil || len(parts) == 0 {
			return false
		}
		first, err := parseEntity(parts[0], "multipart/signed part 1")
		if err != nil {
			return false
		}
		inner, _ := first.mediaType()
		return inner == "multipart/report" || inner == "message/disposition-notification"
	}
	return false
}

// asyncURL returns the Receipt-Delivery-Option when it is an http(s) URL;
// other schemes (mailto:) get a synchronous MDN.
func (req *request) asyncURL() string {
	u, err := url.Parse(req.receiptURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return req.receiptURL
}
