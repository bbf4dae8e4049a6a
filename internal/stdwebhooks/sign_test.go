package stdwebhooks

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pyVerifier is an independent Standard Webhooks verifier in Python's
// hmac: argv secrets..., the id, timestamp and signature header in the
// environment, the body on stdin. It prints "ok" or "bad"; with
// PY_SIGN=1 it prints the signature of the first secret instead.
const pyVerifier = `
import base64, hmac, hashlib, os, sys
body = sys.stdin.buffer.read()
msg = (os.environ["WH_ID"] + "." + os.environ["WH_TS"] + ".").encode() + body
def sig(secret):
    key = base64.b64decode(secret[len("whsec_"):])
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
if os.environ.get("PY_SIGN") == "1":
    print("v1," + sig(sys.argv[1])); sys.exit(0)
got = [p.split(",", 1)[1] for p in os.environ["WH_SIG"].split() if p.startswith("v1,")]
print("ok" if any(hmac.compare_digest(sig(s), g) for s in sys.argv[1:] for g in got) else "bad")
`

func python(t *testing.T, env []string, body []byte, secrets ...string) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is needed")
		}
		t.Skip("no python3")
	}
	script := filepath.Join(t.TempDir(), "verify.py")
	if err := os.WriteFile(script, []byte(pyVerifier), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, append([]string{script}, secrets...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func mustSecret(t testing.TB, text string) Secret {
	t.Helper()
	s, err := ParseSecret(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The example of the Standard Webhooks specification's test vectors.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignatureMatchesTheSpecification(t *testing.T) {
	got, err := Signature([]Secret{mustSecret(t, specSecret)}, specID, time.Unix(specTS, 0), []byte(specBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != specSig {
		t.Fatalf("signature %s, want %s", got, specSig)
	}
}

func TestPythonVerifiesOurSignatures(t *testing.T) {
	old, cur := NewSecret(), NewSecret()
	other := NewSecret()
	for _, tc := range []struct {
		name     string
		signWith []Secret
		pyHolds  []Secret
		body     string
		tamper   bool
		want     string
	}{
		{"one secret", []Secret{cur}, []Secret{cur}, `{"a":1}`, false, "ok"},
		{"rotation, receiver still on the old one", []Secret{cur, old}, []Secret{old}, `{"a":1}`, false, "ok"},
		{"rotation, receiver on the new one", []Secret{cur, old}, []Secret{cur}, "x", false, "ok"},
		{"wrong secret", []Secret{cur}, []Secret{other}, `{"a":1}`, false, "bad"},
		{"body changed", []Secret{cur}, []Secret{cur}, `{"a":1}`, true, "bad"},
		{"empty body, binary-safe", []Secret{cur}, []Secret{cur}, "", false, "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			body := []byte(tc.body)
			if err := Sign(h, tc.signWith, "msg_42", time.Now(), body); err != nil {
				t.Fatal(err)
			}
			if tc.tamper {
				body = append(body, ' ')
			}
			var texts []string
			for _, s := range tc.pyHolds {
				texts = append(texts, s.Text())
			}
			env := []string{"WH_ID=" + h.Get(HeaderID), "WH_TS=" + h.Get(HeaderTimestamp), "WH_SIG=" + h.Get(HeaderSignature)}
			if got := python(t, env, body, texts...); got != tc.want {
				t.Fatalf("python says %s, want %s", got, tc.want)
			}
		})
	}
}

func TestWeVerifyPythonSignatures(t *testing.T) {
	s := NewSecret()
	now := time.Now()
	body := []byte(`{"type":"inventory.changed"}`)
	ts := fmt.Sprint(now.Unix())
	sig := python(t, []string{"PY_SIGN=1", "WH_ID=evt_1", "WH_TS=" + ts}, body, s.Text())
	h := http.Header{}
	h.Set(HeaderID, "evt_1")
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, "v1a,c2lnbmF0dXJl "+sig)
	id, err := Verify(h, body, []Secret{NewSecret(), s}, 0, now)
	if err != nil || id != "evt_1" {
		t.Fatalf("Verify = %q, %v", id, err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	s := NewSecret()
	now := time.Unix(1_800_000_000, 0)
	body := []byte("hello")
	signed := func(at time.Time) http.Header {
		h := http.Header{}
		if err := Sign(h, []Secret{s}, "msg_1", at, body); err != nil {
			t.Fatal(err)
		}
		return h
	}
	for _, tc := range []struct {
		name    string
		h       http.Header
		body    []byte
		secrets []Secret
		tol     time.Duration
		want    error
	}{
		{"good", signed(now), body, []Secret{s}, 0, nil},
		{"just inside the tolerance", signed(now.Add(-299 * time.Second)), body, []Secret{s}, 0, nil},
		{"too old", signed(now.Add(-301 * time.Second)), body, []Secret{s}, 0, ErrTimestamp},
		{"from the future", signed(now.Add(10 * time.Minute)), body, []Secret{s}, 0, ErrTimestamp},
		{"tighter tolerance", signed(now.Add(-30 * time.Second)), body, []Secret{s}, 10 * time.Second, ErrTimestamp},
		{"other body", signed(now), []byte("hellO"), []Secret{s}, 0, ErrSignature},
		{"other secret", signed(now), body, []Secret{NewSecret()}, 0, ErrSignature},
		{"no secret", signed(now), body, nil, 0, ErrNoSecret},
		{"no id", func() http.Header { h := signed(now); h.Del(HeaderID); return h }(), body, []Secret{s}, 0, ErrHeader},
		{"bad timestamp", func() http.Header { h := signed(now); h.Set(HeaderTimestamp, "soon"); return h }(), body, []Secret{s}, 0, ErrHeader},
		{"no signature", func() http.Header { h := signed(now); h.Del(HeaderSignature); return h }(), body, []Secret{s}, 0, ErrHeader},
		{"id changed", func() http.Header { h := signed(now); h.Set(HeaderID, "msg_2"); return h }(), body, []Secret{s}, 0, ErrSignature},
		{"timestamp changed", func() http.Header {
			h := signed(now)
			h.Set(HeaderTimestamp, fmt.Sprint(now.Unix()-1))
			return h
		}(), body, []Secret{s}, 0, ErrSignature},
		{"v1a only", func() http.Header {
			h := signed(now)
			h.Set(HeaderSignature, strings.Replace(h.Get(HeaderSignature), "v1,", "v1a,", 1))
			return h
		}(), body, []Secret{s}, 0, ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.h, tc.body, tc.secrets, tc.tol, now)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseSecret(t *testing.T) {
	raw := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{specSecret, true},
		{"whsec_" + raw(24), true},
		{"whsec_" + raw(64) + "\n", true},
		{"whsec_" + strings.TrimRight(raw(32), "="), true},
		{"whsec_" + raw(23), false},
		{"whsec_" + raw(65), false},
		{raw(32), false},
		{"whsec_not*base64!", false},
		{"", false},
	} {
		_, err := ParseSecret(tc.text)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSecret(%q): %v, want ok=%v", tc.text, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrSecret) || strings.Contains(err.Error(), strings.TrimSpace(strings.TrimPrefix(tc.text, "whsec_"))) && tc.text != "") {
			t.Errorf("ParseSecret(%q): error %q quotes the text or is not ErrSecret", tc.text, err)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret()
	key := strings.TrimPrefix(s.Text(), SecretPrefix)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "secret", s, "list", []Secret{s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), buf.String()} {
		if strings.Contains(out, key) {
			t.Fatalf("the secret printed: %s", out)
		}
	}
	if back := mustSecret(t, s.Text()); !bytes.Equal(back.key, s.key) {
		t.Fatal("Text does not parse back to the same key")
	}
}

func TestSignRefuses(t *testing.T) {
	h := http.Header{}
	if err := Sign(h, nil, "msg", time.Now(), nil); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("no secret: %v", err)
	}
	for _, id := range []string{"", "has space", strings.Repeat("x", 300), "new\nline"} {
		if err := Sign(h, []Secret{NewSecret()}, id, time.Now(), nil); !errors.Is(err, ErrHeader) {
			t.Fatalf("id %q: %v", id, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("msg_1", "1614265330", "v1,abc v1a,def", []byte("{}"))
	f.Add("", "x", "", []byte(nil))
	s := mustSecret(f, specSecret)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		if _, err := Verify(h, body, []Secret{s}, 0, time.Unix(specTS, 0)); err == nil {
			t.Fatalf("forged signature accepted: %q %q %q", id, ts, sig)
		}
	})
}

func FuzzParseSecret(f *testing.F) {
	f.Add(specSecret)
	f.Add("whsec_")
	f.Add("whsec_" + strings.Repeat("A", 100))
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSecret(text)
		if err != nil {
			if !errors.Is(err, ErrSecret) {
				t.Fatalf("error %v is not ErrSecret", err)
			}
			return
		}
		if n := len(s.key); n < MinSecretBytes || n > MaxSecretBytes {
			t.Fatalf("accepted a key of %d bytes", n)
		}
		if back, err := ParseSecret(s.Text()); err != nil || !bytes.Equal(back.key, s.key) {
			t.Fatalf("Text does not read back: %v", err)
		}
	})
}
