package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dockside-edi/dockside/internal/stdwebhooks"
)

// DefaultTimeout bounds one request when the target does not say.
const DefaultTimeout = 15 * time.Second

// maxAnswer is how much of a receiver's answer is kept for the operator.
const maxAnswer = 1 << 10

// Target is one receiver's endpoint.
type Target struct {
	// URL is the endpoint, http or https.
	URL string
	// Secrets sign each request, one signature each: the current secret
	// first, during a rotation also the one being retired.
	Secrets []stdwebhooks.Secret
	// Timeout bounds one request, connection included (DefaultTimeout
	// when 0).
	Timeout time.Duration
}

// check reports an unusable target.
func (t Target) check() error {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an http or https URL", ErrTarget, t.URL)
	}
	for _, s := range t.Secrets {
		if !s.IsZero() {
			return nil
		}
	}
	return fmt.Errorf("%w: no signing secret", ErrTarget)
}

// Request is one signed POST.
type Request struct {
	// ID is the webhook-id: the same on every attempt of one message.
	ID string
	// ContentType of the body (application/octet-stream when empty).
	ContentType string
	Body        []byte
}

// Client posts signed requests.
type Client struct {
	// HTTP sends the requests; nil: a client of its own that never
	// follows redirects.
	HTTP *http.Client
	// Now is the clock of webhook-timestamp (default time.Now).
	Now func() time.Time
	// UserAgent is sent with each request (default "Dockside-Webhooks").
	UserAgent string
}

// NewClient returns a Client with its own HTTP client: keep-alive
// connections, redirects never followed.
func NewClient() *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return &Client{HTTP: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Post sends one signed request and returns the receiver's status on a
// 2xx answer; any other answer is a *StatusError (wrapping ErrGone for a
// 410), and a request that could not be made is an error naming the URL.
func (c *Client) Post(ctx context.Context, t Target, r Request) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(r.Body))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrTarget, err)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := stdwebhooks.Sign(req.Header, t.Secrets, r.ID, now(), r.Body); err != nil {
		return 0, fmt.Errorf("webhook: signing %s: %w", r.ID, err)
	}
	ct := r.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	req.Header.Set("Content-Type", ct)
	ua := c.UserAgent
	if ua == "" {
		ua = "Dockside-Webhooks"
	}
	req.Header.Set("User-Agent", ua)
	hc := c.HTTP
	if hc == nil {
		hc = NewClient().HTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("webhook: posting to %s: %w", redact(t.URL), unwrapURLError(err))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, &StatusError{URL: redact(t.URL), Status: resp.StatusCode,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now()), Body: printable(answer)}
}

// redact drops a URL's user info and query, which may hold credentials.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// retryAfter reads a Retry-After of seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// printable keeps a receiver's answer as one short line of text.
func printable(b []byte) string {
	if !utf8.Valid(b) {
		return fmt.Sprintf("(%d bytes, not text)", len(b))
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// Redact returns a URL without its user info, query and fragment, which
// may hold credentials: the form logs and dashboards show.
func Redact(raw string) string { return redact(raw) }
