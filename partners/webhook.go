package partners

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/dockside-edi/dockside/internal/stdwebhooks"
)

// Webhook is the partner's HTTP endpoint, which we POST to, signed as
// Standard Webhooks asks: webhook-id (the same on every retry),
// webhook-timestamp and webhook-signature (HMAC-SHA256). A 2xx answer is
// a delivery; anything else is retried with the outbox's backoff; a 410
// Gone disables the endpoint until an operator enables it again (or the
// URL changes). Exactly one of secret_env and secret_file gives the
// signing secret ("whsec_" + base64 of 24 to 64 bytes); during a
// rotation, old_secret_env or old_secret_file gives the secret being
// retired and each request carries both signatures. Secrets are read at
// every attempt (a rotated file applies without a reload) and never
// logged.
type Webhook struct {
	// URL is the endpoint: http:// or https://.
	URL string `yaml:"url" required:"true"`
	// SecretEnv names the environment variable holding the secret.
	SecretEnv string `yaml:"secret_env"`
	// SecretFile is a file holding the secret, resolved against the
	// profile's folder.
	SecretFile string `yaml:"secret_file"`
	// OldSecretEnv names the environment variable holding the secret
	// being retired (a rotation): both signatures are sent.
	OldSecretEnv string `yaml:"old_secret_env"`
	// OldSecretFile is a file holding the secret being retired, resolved
	// against the profile's folder.
	OldSecretFile string `yaml:"old_secret_file"`
	// Timeout bounds one request, connecting included (default 15s, at
	// most 2m).
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultWebhookTimeout bounds one webhook request when the profile does
// not say.
const DefaultWebhookTimeout = 15 * time.Second

func (w *Webhook) setDefaults() {
	if w.Timeout == 0 {
		w.Timeout = DefaultWebhookTimeout
	}
}

// maxSecretFile bounds a secret file.
const maxSecretFile = stdwebhooks.MaxSecretFile

// Secrets reads the webhook's secrets: the current one, then the one
// being retired when set. Errors name the variable or file, never the
// value.
func (w *Webhook) Secrets() ([]stdwebhooks.Secret, error) {
	cur, err := stdwebhooks.LoadSecret(w.SecretEnv, w.SecretFile)
	if err != nil {
		return nil, err
	}
	out := []stdwebhooks.Secret{cur}
	if w.OldSecretEnv != "" || w.OldSecretFile != "" {
		old, err := stdwebhooks.LoadSecret(w.OldSecretEnv, w.OldSecretFile)
		if err != nil {
			return nil, fmt.Errorf("old secret: %w", err)
		}
		out = append(out, old)
	}
	return out, nil
}

// webhook checks an outbound webhook: its URL, exactly one source per
// secret, and that each secret can be read and parsed now.
func (c *checker) webhook(w *Webhook, p string, inbound bool) {
	if inbound {
		c.failf(p, ErrConflict, "webhook is outbound only (inbound events come over POST /api/v1/events: see events)")
		return
	}
	if w.URL != "" {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.failf(keyPath(p, "url"), ErrInvalid, "want an http:// or https:// URL")
		} else if u.User != nil {
			c.failf(keyPath(p, "url"), ErrInvalid, "no user or password in the URL (requests are signed)")
		}
	}
	if w.Timeout < time.Second || w.Timeout > 2*time.Minute {
		c.failf(keyPath(p, "timeout"), ErrInvalid, "%v: want 1s to 2m", w.Timeout)
	}
	c.webhookSecret(p, "secret", &w.SecretEnv, &w.SecretFile, true)
	c.webhookSecret(p, "old_secret", &w.OldSecretEnv, &w.OldSecretFile, false)
}

// webhookSecret checks one secret given by name_env or name_file.
func (c *checker) webhookSecret(p, name string, env, file *string, required bool) {
	envPath, filePath := keyPath(p, name+"_env"), keyPath(p, name+"_file")
	switch {
	case *env != "" && *file != "":
		c.failf(p, ErrConflict, "%s_env and %s_file: give one", name, name)
	case *env != "":
		v, ok := os.LookupEnv(*env)
		if !ok {
			c.failf(envPath, ErrRequired, "environment variable %s is not set", *env)
		} else if _, err := stdwebhooks.ParseSecret(v); err != nil {
			c.failf(envPath, ErrKey, "environment variable %s: %v", *env, err)
		}
	case *file != "":
		rel := *file
		resolved, data, ok := c.readFile(filePath, rel, maxSecretFile)
		*file = resolved
		if ok {
			if _, err := stdwebhooks.ParseSecret(string(data)); err != nil {
				c.failf(filePath, ErrKey, "%q: %v", rel, err)
			}
		}
	case required:
		c.failf(p, ErrRequired, "needs secret_env or secret_file (the signing secret, whsec_...)")
	}
}
