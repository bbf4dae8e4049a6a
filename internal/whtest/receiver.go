package whtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// receiverPy serves POSTs on 127.0.0.1 (an ephemeral port, printed first).
// argv: state folder, secrets (whsec_...). Each request's signature is
// checked against every secret and its timestamp within 5 minutes; a bad
// one answers 401. Otherwise the answer is the status in state/status
// (default 200), after sleeping state/delay seconds when that file
// exists. Each request is appended to state/requests.jsonl.
const receiverPy = `
import base64, hashlib, hmac, http.server, json, os, sys, threading, time
state, secrets = sys.argv[1], sys.argv[2:]
lock = threading.Lock()
def read(name, default):
    try:
        with open(os.path.join(state, name)) as f: return f.read().strip()
    except OSError: return default
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        wid, ts, sigs = self.headers.get("webhook-id", ""), self.headers.get("webhook-timestamp", ""), self.headers.get("webhook-signature", "")
        msg = (wid + "." + ts + ".").encode() + body
        want = [base64.b64encode(hmac.new(base64.b64decode(s[6:]), msg, hashlib.sha256).digest()).decode() for s in secrets]
        got = [p.split(",", 1)[1] for p in sigs.split() if p.startswith("v1,")]
        ok = any(hmac.compare_digest(w, g) for w in want for g in got) and ts.isdigit() and abs(time.time() - int(ts)) < 300
        delay = float(read("delay", "0"))
        if delay: time.sleep(delay)
        status = int(read("status", "200")) if ok else 401
        with lock:
            with open(os.path.join(state, "requests.jsonl"), "a") as f:
                f.write(json.dumps({"id": wid, "verified": ok, "status": status, "path": self.path,
                                    "content_type": self.headers.get("Content-Type", ""), "body": body.decode("utf-8", "replace")}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
class S(http.server.ThreadingHTTPServer):
    daemon_threads = True
srv = S(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
`

// Request is one request the receiver got.
type Request struct {
	ID          string `json:"id"`
	Verified    bool   `json:"verified"`
	Status      int    `json:"status"`
	Path        string `json:"path"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

// Receiver is a running Python receiver.
type Receiver struct {
	// URL is the receiver's base URL (http://127.0.0.1:port).
	URL   string
	state string
}

// Start runs a receiver that accepts the secrets (whsec_ texts) until the
// test ends. It skips the test without python3 (fails it in CI).
func Start(t testing.TB, secrets ...string) *Receiver {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is needed for the webhook receiver")
		}
		t.Skip("no python3")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "receiver.py")
	if err := os.WriteFile(script, []byte(receiverPy), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	os.Mkdir(state, 0o700)
	cmd := exec.Command(py, append([]string{script, state}, secrets...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("webhook receiver did not start: %v", err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("webhook receiver: %q", line)
	}
	return &Receiver{URL: fmt.Sprintf("http://127.0.0.1:%d", port), state: state}
}

// SetStatus makes the receiver answer status to verified requests.
func (r *Receiver) SetStatus(t testing.TB, status int) {
	t.Helper()
	r.write(t, "status", strconv.Itoa(status))
}

// SetDelay makes the receiver wait d before answering (0: none).
func (r *Receiver) SetDelay(t testing.TB, d time.Duration) {
	t.Helper()
	r.write(t, "delay", strconv.FormatFloat(d.Seconds(), 'f', 3, 64))
}

func (r *Receiver) write(t testing.TB, name, v string) {
	tmp := filepath.Join(r.state, "."+name)
	if err := os.WriteFile(tmp, []byte(v), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(r.state, name)); err != nil {
		t.Fatal(err)
	}
}

// Requests returns every request so far, in arrival order.
func (r *Receiver) Requests(t testing.TB) []Request {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.state, "requests.jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	// A line being appended right now is left for the next call.
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	} else {
		return nil
	}
	var out []Request
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var q Request
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatalf("receiver log: %v", err)
		}
		out = append(out, q)
	}
	return out
}
