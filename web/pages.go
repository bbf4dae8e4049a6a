package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template set per dashboard page.
type pages struct {
	byName map[string]*template.Template
}

func loadPages() (*pages, error) {
	layout, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parsing layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, fmt.Errorf("web: parsing %s: %w", name, err)
		}
		p.byName[strings.TrimSuffix(base, ".html")] = t
	}
	return p, nil
}

// pageData is what every page template receives.
type pageData struct {
	Title string
	Nav   string
	User  *principal
	CSRF  string
	Flash string
	Warn  string
	// Operator reports whether the user may replay and retry.
	Operator bool
	// ReadOnlyLocal marks anonymous read-only access from this machine.
	ReadOnlyLocal bool
	// Now is the server's clock reading, for "3 min ago".
	Now  time.Time
	Data any
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, pd pageData) {
	t := s.pages.byName[name]
	if t == nil {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	p := principalFrom(r.Context())
	pd.User, pd.CSRF = p, s.csrfToken(p)
	pd.Operator = p != nil && p.Role == RoleOperator
	pd.ReadOnlyLocal = p != nil && p.Via == "loopback"
	pd.Now = s.now()
	if pd.Flash == "" {
		pd.Flash = flashText(r.URL.Query().Get("flash"))
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pd); err != nil {
		s.log.Error("rendering page", "page", name, "err", err)
		http.Error(w, "internal error (logged)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// errorPage answers a dashboard error.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", pageData{Title: http.StatusText(status), Data: map[string]any{"Status": status, "Message": msg}})
}

// pageError answers an error from the stores on a dashboard page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := errorStatus(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		s.log.Error("page failed", "path", r.URL.Path, "err", err)
		msg = "internal error (logged)"
	}
	s.errorPage(w, r, status, msg)
}

// flashes are the fixed messages a redirect may ask a page to show.
var flashes = map[string]string{
	"replay-done":         "Replayed: the message was processed and is done.",
	"replay-failed":       "Replayed, but the message failed again: see its errors.",
	"replay-pending":      "Replay queued: the message is being processed; reload in a moment.",
	"replay-dup":          "Replayed: the message turned out to be a duplicate.",
	"retried":             "The outbound message is due now; the dispatcher sends it shortly.",
	"reloaded":            "Partner profiles reloaded.",
	"advice-sent":         "Inventory advice queued for the channel: see the outbox for its delivery.",
	"logged-out":          "You are logged out.",
	"webhook-enabled":     "The webhook endpoint is enabled: delivery resumes where it stopped.",
	"webhook-redelivered": "Redelivery started: the subscriber gets its events again from that change, in order.",
}

func flashText(key string) string { return flashes[key] }

var templateFuncs = template.FuncMap{
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"ago":      ago,
	"state":    func(s any) string { return "st-" + strings.ReplaceAll(fmt.Sprint(s), "_", "-") },
	"label":    func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") }, // a state as read: "not sent"
	"bytes":    humanBytes,
	"bytesInt": func(n int) string { return humanBytes(int64(n)) },
	"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// query is v with the given keys set (or removed when the value is
	// empty), encoded. It is a template.URL so that html/template keeps
	// its "=" and "&" (as a string, the escaper percent-encodes them
	// after "?": "?before%3d9951" pages nowhere); Encode has escaped
	// every key and value.
	"query": func(v url.Values, kv ...string) template.URL {
		q := url.Values{}
		for k, vs := range v {
			q[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				q.Del(kv[i])
			} else {
				q.Set(kv[i], kv[i+1])
			}
		}
		return template.URL(q.Encode()) // #nosec: url.Values.Encode escapes keys and values
	},
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"pct": func(n, of int) int {
		if of <= 0 {
			return 0
		}
		return n * 100 / of
	},
	"deref": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"short": func(s string, n int) string {
		if len([]rune(s)) <= n {
			return s
		}
		return string([]rune(s)[:n-1]) + "…"
	},
	"pathesc": url.PathEscape,
	"secs": func(s float64) string {
		switch {
		case s < 0 || math.IsInf(s, 1):
			return "> 1 h"
		case s < 1:
			return fmt.Sprintf("%.0f ms", s*1000)
		case s < 120:
			return fmt.Sprintf("%.1f s", s)
		default:
			return (time.Duration(s) * time.Second).String()
		}
	},
	"percent": func(f float64) string { return fmt.Sprintf("%.0f %%", f*100) },
	"bar":     barChart,
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
}

func humanBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
}

// barChart draws the 24-hour throughput as an inline SVG (no script, no
// style attribute: the page's CSP allows neither).
func barChart(hours []hourCount) template.HTML {
	peak := 1
	for _, h := range hours {
		peak = max(peak, h.Received)
	}
	const w, h, gap = 24, 90, 4
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="messages per hour, last 24 hours">`, len(hours)*(w+gap), h+16)
	for i, hc := range hours {
		x := i * (w + gap)
		rh := hc.Received * h / peak
		fh := hc.Failed * h / peak
		fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d"><title>%s: %d received, %d failed</title></rect>`,
			x, h-rh, w, rh, hc.Start.Format("15:04"), hc.Received, hc.Failed)
		if fh > 0 {
			fmt.Fprintf(&b, `<rect class="bar-failed" x="%d" y="%d" width="%d" height="%d"/>`, x, h-fh, w, fh)
		}
		if i%6 == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`, x, h+13, hc.Start.Format("15:04"))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // numbers and formatted times only
}

// static serves the embedded assets.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	sub, _ := fs.Sub(staticFS, "static")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.StripPrefix("/static/", http.FileServerFS(sub)).ServeHTTP(w, r)
}
