// Package browsertest drives headless Chromium (Debian's chromium) over the
// DevTools protocol for tests: one page, commands one at a time. A test
// that needs it skips when /usr/bin/chromium is missing; .ci/run installs
// it.
package browsertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

const chromiumPath = "/usr/bin/chromium"

// Browser is headless Chromium driven over the DevTools protocol: one
// page, commands sent one at a time.
type Browser struct {
	t      testing.TB
	ws     *websocket.Conn
	nextID int64
}

// Start starts Chromium with a fresh profile, or skips the test when it is
// not installed (CI installs it: .ci/run).
func Start(t testing.TB) *Browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no %s: install the Debian chromium package to run the browser test", chromiumPath)
	}
	profile := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, chromiumPath, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-dev-shm-usage", "--no-proxy-server", "--hide-scrollbars",
		"--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1280,900",
		"--user-data-dir="+profile, "about:blank")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the profile folder is removed
		cancel()
		cmd.Wait()
	})
	port, err := devToolsPort(profile, 20*time.Second)
	if err != nil {
		t.Fatalf("chromium did not start: %v\n%s", err, stderr.String())
	}
	wsURL, err := pageTarget(port)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := websocket.Dial(wsURL, "", "http://127.0.0.1/")
	if err != nil {
		t.Fatal(err)
	}
	ws.MaxPayloadBytes = 64 << 20
	t.Cleanup(func() { ws.Close() })
	return &Browser{t: t, ws: ws}
}

// devToolsPort reads the port Chromium chose from DevToolsActivePort.
func devToolsPort(profile string, wait time.Duration) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if err == nil {
			if port, _, ok := strings.Cut(string(b), "\n"); ok && port != "" {
				return port, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no DevToolsActivePort after %v", wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pageTarget finds the WebSocket URL of the browser's page.
func pageTarget(port string) (string, error) {
	resp, err := http.Get("http://127.0.0.1:" + port + "/json/list")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var targets []struct {
		Type string `json:"type"`
		URL  string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		return "", err
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			return tg.URL, nil
		}
	}
	return "", fmt.Errorf("no page target among %d", len(targets))
}

// call sends one command and waits for its answer (events are skipped).
func (b *Browser) call(method string, params any, result any) {
	b.t.Helper()
	if err := b.tryCall(method, params, result); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
}

// errProtocol is an error the browser answered (rather than a broken
// connection).
type errProtocol string

func (e errProtocol) Error() string { return string(e) }

// tryCall is call returning the browser's error instead of failing.
func (b *Browser) tryCall(method string, params any, result any) error {
	b.t.Helper()
	b.nextID++
	id := b.nextID
	if err := websocket.JSON.Send(b.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	b.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var msg struct {
			ID     int64           `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := websocket.JSON.Receive(b.ws, &msg); err != nil {
			b.t.Fatalf("%s: %v", method, err)
		}
		if msg.ID != id {
			continue
		}
		if msg.Error != nil {
			return errProtocol(msg.Error.Message)
		}
		if result != nil {
			if err := json.Unmarshal(msg.Result, result); err != nil {
				b.t.Fatalf("%s: %v", method, err)
			}
		}
		return nil
	}
}

// Navigate loads url in the page.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.call("Page.navigate", map[string]any{"url": url}, nil)
}

// Eval runs a JavaScript expression in the page and returns its value
// as JSON.
func (b *Browser) Eval(expr string) json.RawMessage {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res)
	if res.Exception != nil {
		b.t.Fatalf("evaluating %s: %s", expr, res.Exception.Text)
	}
	return res.Result.Value
}

// Text evaluates a JavaScript expression giving a string.
func (b *Browser) Text(expr string) string {
	b.t.Helper()
	var s string
	json.Unmarshal(b.Eval(expr), &s)
	return s
}

// WaitFor polls a condition (a JavaScript boolean expression) until it
// holds; after 15 s the test fails with what the page shows.
func (b *Browser) WaitFor(cond string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var res struct {
			Result struct {
				Value json.RawMessage `json:"value"`
			} `json:"result"`
		}
		// A page navigating away while the condition is evaluated (a
		// click that loads the next page) is not a failure: poll again.
		err := b.tryCall("Runtime.evaluate", map[string]any{"expression": "document.readyState === 'complete' && (" + cond + ")",
			"returnByValue": true}, &res)
		if err == nil && string(res.Result.Value) == "true" {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s: page %s shows:\n%s", cond, b.Text("location.href"),
				b.Text("document.body ? document.body.innerText.slice(0, 2000) : ''"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Screenshot saves the page as a PNG (full height).
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	var res struct {
		Data string `json:"data"`
	}
	b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &res)
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// JSString quotes s as a JavaScript string literal.
func JSString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
