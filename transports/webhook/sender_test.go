package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/internal/stdwebhooks"
	"github.com/dockside-edi/dockside/outbox"
)

// receiver is a loopback endpoint that verifies each request's signature
// and answers with the next status of its script (200 once it runs out).
type receiver struct {
	t       *testing.T
	secrets []stdwebhooks.Secret
	mu      sync.Mutex
	script  []int
	got     []received
	srv     *httptest.Server
}

type received struct {
	id, contentType string
	body            []byte
	verified        error
}

func newReceiver(t *testing.T, secrets []stdwebhooks.Secret, script ...int) *receiver {
	r := &receiver{t: t, secrets: secrets, script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		_, err := stdwebhooks.Verify(req.Header, body, r.secrets, 0, time.Now())
		r.mu.Lock()
		r.got = append(r.got, received{id: req.Header.Get(stdwebhooks.HeaderID), contentType: req.Header.Get("Content-Type"), body: body, verified: err})
		status := 200
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		if err != nil {
			status = 401
		}
		if status == 307 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		io.WriteString(w, "answer "+http.StatusText(status))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func newSender(t *testing.T, url string, secrets []stdwebhooks.Secret, log *slog.Logger) (*Sender, string) {
	path := filepath.Join(t.TempDir(), "webhook-endpoints.json")
	eps, err := OpenEndpoints(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Sender{Client: NewClient(), Endpoints: eps, Log: log, Target: func(partner string) (Target, error) {
		return Target{URL: url, Secrets: secrets, Timeout: 5 * time.Second}, nil
	}}
	return s, path
}

func msg(id uint64) *outbox.Message {
	return &outbox.Message{ID: id, Key: "advice:shop:000000007:0", Partner: "shop", Transport: Transport, Kind: "846",
		Meta: map[string]string{MetaContentType: "application/json"}}
}

// TestSenderSignsAndRetriesUnderOneID: a failed attempt is an error for
// the outbox to retry; the retry carries the same webhook-id, and both
// are signed so the receiver verifies them.
func TestSenderSignsAndRetriesUnderOneID(t *testing.T) {
	secret := stdwebhooks.NewSecret()
	r := newReceiver(t, []stdwebhooks.Secret{secret}, 503, 200)
	s, _ := newSender(t, r.srv.URL+"/hooks", []stdwebhooks.Secret{secret}, nil)
	body := []byte(`{"type":"inventory.advice"}`)
	_, err := s.Send(context.Background(), msg(7), body)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 503 || !errors.Is(err, ErrStatus) || errors.Is(err, outbox.ErrPermanent) {
		t.Fatalf("first attempt: %v, want a retryable 503", err)
	}
	rc, err := s.Send(context.Background(), msg(7), body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rc.Text, "HTTP 200") || rc.Pending {
		t.Fatalf("receipt %+v", rc)
	}
	got := r.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	for i, g := range got {
		if g.verified != nil || g.id != "advice:shop:000000007:0" || g.contentType != "application/json" || !bytes.Equal(g.body, body) {
			t.Fatalf("request %d: %+v", i, g)
		}
	}
}

// TestRotationSendsBothSignatures: a receiver holding either secret
// verifies the request.
func TestRotationSendsBothSignatures(t *testing.T) {
	cur, old := stdwebhooks.NewSecret(), stdwebhooks.NewSecret()
	for _, holds := range [][]stdwebhooks.Secret{{cur}, {old}} {
		r := newReceiver(t, holds)
		s, _ := newSender(t, r.srv.URL, []stdwebhooks.Secret{cur, old}, nil)
		if _, err := s.Send(context.Background(), msg(1), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGoneDisablesTheEndpoint: a 410 kills the message and disables the
// endpoint (persisted, logged at WARN without the secret); later messages
// fail without a request; enabling it, or a new URL, sends again.
func TestGoneDisablesTheEndpoint(t *testing.T) {
	secret := stdwebhooks.NewSecret()
	r := newReceiver(t, []stdwebhooks.Secret{secret}, 410)
	var logs bytes.Buffer
	s, path := newSender(t, r.srv.URL, []stdwebhooks.Secret{secret}, slog.New(slog.NewTextHandler(&logs, nil)))
	_, err := s.Send(context.Background(), msg(1), []byte("a"))
	if !errors.Is(err, ErrGone) || !errors.Is(err, outbox.ErrPermanent) {
		t.Fatalf("410: %v", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "partner/shop") {
		t.Fatalf("no operator alert: %s", logs.String())
	}
	if strings.Contains(logs.String()+err.Error(), strings.TrimPrefix(secret.Text(), "whsec_")) {
		t.Fatal("the secret was logged")
	}
	_, err = s.Send(context.Background(), msg(2), []byte("b"))
	if !errors.Is(err, ErrDisabled) || !errors.Is(err, outbox.ErrPermanent) {
		t.Fatalf("while disabled: %v", err)
	}
	if n := len(r.requests()); n != 1 {
		t.Fatalf("%d requests, want 1: a disabled endpoint gets none", n)
	}
	again, err := OpenEndpoints(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, off := again.Disabled(PartnerEndpoint("shop"), r.srv.URL); !off || st.Reason != "410 Gone" {
		t.Fatalf("not persisted: %+v %v", st, off)
	}
	if _, off := again.Disabled(PartnerEndpoint("shop"), r.srv.URL+"/v2"); off {
		t.Fatal("another URL is disabled too")
	}
	if ok, err := s.Endpoints.Enable(PartnerEndpoint("shop")); !ok || err != nil {
		t.Fatalf("Enable: %v %v", ok, err)
	}
	if _, err := s.Send(context.Background(), msg(2), []byte("b")); err != nil {
		t.Fatalf("after enabling: %v", err)
	}
}

// TestFailuresAreRetryable: a redirect is not followed, a 4xx other
// than 410, a refused connection and a timeout are all retried.
func TestFailuresAreRetryable(t *testing.T) {
	secret := stdwebhooks.NewSecret()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-req.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer slow.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"redirect", func(t *testing.T) string { return newReceiver(t, []stdwebhooks.Secret{secret}, 307).srv.URL }},
		{"bad request", func(t *testing.T) string { return newReceiver(t, []stdwebhooks.Secret{secret}, 400).srv.URL }},
		{"too many requests", func(t *testing.T) string { return newReceiver(t, []stdwebhooks.Secret{secret}, 429).srv.URL }},
		{"connection refused", func(*testing.T) string { return closedURL }},
		{"timeout", func(*testing.T) string { return slow.URL }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newSender(t, tc.url(t), []stdwebhooks.Secret{secret}, nil)
			s.Target = func(string) (Target, error) {
				return Target{URL: tc.url(t), Secrets: []stdwebhooks.Secret{secret}, Timeout: 200 * time.Millisecond}, nil
			}
			_, err := s.Send(context.Background(), msg(1), []byte("x"))
			if err == nil || errors.Is(err, outbox.ErrPermanent) {
				t.Fatalf("%v, want a retryable error", err)
			}
		})
	}
}

func TestTargetRefused(t *testing.T) {
	c := NewClient()
	for _, tg := range []Target{
		{URL: "ftp://example.test/x", Secrets: []stdwebhooks.Secret{stdwebhooks.NewSecret()}},
		{URL: "http://127.0.0.1:1/x"},
		{URL: "not a url", Secrets: []stdwebhooks.Secret{stdwebhooks.NewSecret()}},
	} {
		if _, err := c.Post(context.Background(), tg, Request{ID: "x", Body: nil}); !errors.Is(err, ErrTarget) {
			t.Errorf("%+v: %v, want ErrTarget", tg.URL, err)
		}
	}
}
