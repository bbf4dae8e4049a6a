package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// routeKind says how a route is guarded and answered.
type routeKind int

const (
	kindAPI    routeKind = iota + 1 // JSON under /api/v1, bounded by Options.Timeout
	kindStream                      // API download (raw bytes, Excel): no handler timeout
	kindPage                        // dashboard page: unauthenticated → login form
	kindForm                        // dashboard POST: session + CSRF token
	kindPlain                       // health, metrics, assets, login
	kindEvents                      // POST /api/v1/events: a partner's events token, its own body and rate limits
)

// route is one entry of the route table: the mux pattern is method + " "
// + path, and the OpenAPI test checks every /api/v1 route against the
// document.
type route struct {
	method  string
	path    string
	role    Role
	kind    routeKind
	handler http.HandlerFunc
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// routeTable lists every route the server serves.
func (s *Server) routeTable() []route {
	ro, op, pub := RoleReadOnly, RoleOperator, rolePublic
	metricsRole := ro
	if s.opts.PublicMetrics {
		metricsRole = pub
	}
	return []route{
		// API.
		{"GET", "/api/v1/openapi.json", pub, kindAPI, s.apiOpenAPI},
		{"GET", "/api/v1/overview", ro, kindAPI, s.apiOverview},
		{"GET", "/api/v1/stock", ro, kindAPI, s.apiStock},
		{"GET", "/api/v1/stock.xlsx", ro, kindStream, s.apiStockXLSX},
		{"GET", "/api/v1/availability/{sku...}", ro, kindAPI, s.apiAvailability},
		{"GET", "/api/v1/history/{sku...}", ro, kindAPI, s.apiHistory},
		{"POST", "/api/v1/reservations", op, kindAPI, s.apiReserve},
		{"DELETE", "/api/v1/reservations/{key}", op, kindAPI, s.apiRelease},
		{"GET", "/api/v1/messages", ro, kindAPI, s.apiMessages},
		{"GET", "/api/v1/messages.xlsx", ro, kindStream, s.apiMessagesXLSX},
		{"GET", "/api/v1/messages/{id}", ro, kindAPI, s.apiMessage},
		{"GET", "/api/v1/messages/{id}/raw", ro, kindStream, s.apiMessageRaw},
		{"POST", "/api/v1/messages/{id}/replay", op, kindAPI, s.apiReplay},
		{"GET", "/api/v1/outbox", ro, kindAPI, s.apiOutbox},
		{"GET", "/api/v1/outbox/{id}", ro, kindAPI, s.apiOutboxMessage},
		{"POST", "/api/v1/outbox/{id}/retry", op, kindAPI, s.apiRetry},
		{"GET", "/api/v1/partners", ro, kindAPI, s.apiPartners},
		{"GET", "/api/v1/partners/{id}", ro, kindAPI, s.apiPartner},
		{"GET", "/api/v1/partners/{id}/believes", ro, kindAPI, s.apiBelieves},
		{"GET", "/api/v1/broadcasts", ro, kindAPI, s.apiBroadcasts},
		{"GET", "/api/v1/broadcasts/{id}/told", ro, kindAPI, s.apiTold},
		{"GET", "/api/v1/orders", ro, kindAPI, s.apiOrders},
		{"GET", "/api/v1/orders.xlsx", ro, kindStream, s.apiOrdersXLSX},
		{"POST", "/api/v1/reload", op, kindAPI, s.apiReload},
		{"POST", "/api/v1/partners/{id}/advice", op, kindAPI, s.apiAdvice},
		{"GET", "/api/v1/orders/{partner}/{number}", ro, kindAPI, s.apiOrder},
		{"GET", "/api/v1/audit", ro, kindAPI, s.apiAudit},
		{"GET", "/api/v1/divergence", ro, kindAPI, s.apiDivergence},
		{"POST", "/api/v1/events", pub, kindEvents, s.apiPostEvents},
		{"GET", "/api/v1/events/schema", pub, kindAPI, s.apiEventsSchema},
		{"GET", "/api/v1/webhooks", ro, kindAPI, s.apiWebhooks},
		{"GET", "/api/v1/streams", ro, kindAPI, s.apiStreams},
		{"POST", "/api/v1/webhooks/enable", op, kindAPI, s.apiWebhookEnable},
		{"POST", "/api/v1/webhooks/redeliver", op, kindAPI, s.apiWebhookRedeliver},

		// Operations.
		{"GET", "/metrics", metricsRole, kindPlain, s.serveMetrics},
		{"GET", "/healthz", pub, kindPlain, s.healthz},
		{"GET", "/readyz", pub, kindPlain, s.readyz},

		// Dashboard.
		{"GET", "/static/{file...}", pub, kindPlain, s.static},
		{"GET", "/login", pub, kindPlain, s.loginPage},
		{"POST", "/login", pub, kindPlain, s.login},
		{"POST", "/logout", pub, kindPlain, s.logout},
		{"GET", "/{$}", ro, kindPage, s.overviewPage},
		{"GET", "/messages", ro, kindPage, s.messagesPage},
		{"GET", "/messages/{id}", ro, kindPage, s.messagePage},
		{"POST", "/messages/{id}/replay", op, kindForm, s.replayForm},
		{"GET", "/outbox", ro, kindPage, s.outboxList},
		{"GET", "/outbox/{id}", ro, kindPage, s.outboxMessagePage},
		{"POST", "/outbox/{id}/retry", op, kindForm, s.retryForm},
		{"GET", "/orders", ro, kindPage, s.ordersListPage},
		{"GET", "/orders/{partner}/{number}", ro, kindPage, s.orderPage},
		{"GET", "/partners", ro, kindPage, s.partnersPage},
		{"POST", "/partners/reload", op, kindForm, s.reloadForm},
		{"POST", "/partners/{id}/advice/preview", op, kindForm, s.advicePreviewForm},
		{"POST", "/partners/{id}/advice/send", op, kindForm, s.adviceSendForm},
		{"GET", "/partners/{id}", ro, kindPage, s.partnerPage},
		{"GET", "/inventory", ro, kindPage, s.inventoryPage},
		{"GET", "/audit", ro, kindPage, s.auditPageView},
		{"GET", "/webhooks", ro, kindPage, s.webhooksPage},
		{"POST", "/webhooks/enable", op, kindForm, s.webhookEnableForm},
		{"POST", "/webhooks/redeliver", op, kindForm, s.webhookRedeliverForm},
	}
}

func (s *Server) buildMux() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.pattern(), s.guard(rt))
	}
	mux.Handle("/api/", s.observe("api-not-found", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); allow != "" {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use "+allow)
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint; see /api/v1/openapi.json")
	})))
	return mux
}

// allowedMethods lists the methods the API serves at r's path, for a 405
// (the /api/ catch-all would otherwise answer 404).
func allowedMethods(mux *http.ServeMux, r *http.Request) string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// guard wraps a route's handler with, in order: the access log and
// request metrics, security headers, the body limit, authentication,
// the rate limit, the role check, the CSRF check of forms and the API
// timeout.
func (s *Server) guard(rt route) http.Handler {
	var h http.Handler = rt.handler
	if rt.kind == kindAPI || rt.kind == kindEvents {
		h = http.TimeoutHandler(h, s.opts.Timeout, `{"error":{"code":"timeout","message":"the request took too long"}}`)
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w, rt.kind)
		if r.Body != nil {
			limit := s.opts.MaxBodyBytes
			if rt.kind == kindEvents {
				limit = s.opts.MaxEventsBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if rt.kind == kindEvents { // the handler authenticates the partner and limits its rate
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			h.ServeHTTP(w, r)
			return
		}
		cookieOK := rt.kind == kindPage || rt.kind == kindForm || r.Method == http.MethodGet || r.Method == http.MethodHead
		p, fail := s.authenticate(r, cookieOK)
		if p == nil && (rt.role != rolePublic || rt.kind == kindPage) {
			s.refuse(w, r, rt, fail)
			return
		}
		key := "addr:" + clientAddr(r)
		if p != nil && p.Via != "loopback" {
			key = "token:" + p.Name
		}
		if ok, wait := s.rateLimit(rt, key); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
			s.fail(w, r, rt, http.StatusTooManyRequests, "rate_limited", "too many requests; retry later")
			return
		}
		if p != nil {
			r = r.WithContext(withPrincipal(r.Context(), p))
			noteWho(r, p.Name)
		}
		if p != nil && !p.Role.allows(rt.role) {
			s.fail(w, r, rt, http.StatusForbidden, "forbidden", forbiddenText(p, rt.role))
			return
		}
		if rt.kind == kindForm && !s.checkCSRF(r, p) {
			s.fail(w, r, rt, http.StatusForbidden, "csrf", "the form is stale or comes from another site; reload the page")
			return
		}
		if rt.kind == kindAPI { // the timeout's 503 body is JSON; handlers set their own type
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		h.ServeHTTP(w, r)
	})
	return s.observe(rt.pattern(), inner)
}

// rateLimit takes a request from key's bucket, except for the health
// checks: they come through one proxy address and must not be refused.
func (s *Server) rateLimit(rt route, key string) (bool, time.Duration) {
	if rt.path == "/healthz" || rt.path == "/readyz" {
		return true, 0
	}
	return s.limits.allow(key, time.Now())
}

func forbiddenText(p *principal, need Role) string {
	if p.Via == "loopback" {
		return "no API tokens are configured: access from this machine is read-only; configure an operator token to " + string(need) + " actions"
	}
	return "token " + p.Name + " is " + string(p.Role) + "; this needs the " + string(need) + " role"
}

// refuse answers an unauthenticated request: 401 for the API (and a slowed
// client address), a redirect to the login form for dashboard pages.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, rt route, fail authFailure) {
	if ok, wait := s.limits.allow("addr:"+clientAddr(r), time.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
		s.fail(w, r, rt, http.StatusTooManyRequests, "rate_limited", "too many requests; retry later")
		return
	}
	s.log.Info("authentication failed", "path", r.URL.Path, "reason", string(fail), "remote", clientAddr(r))
	if rt.kind == kindPage {
		if fail == authExpired {
			s.clearSessionCookie(w)
		}
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="dockside"`)
	s.fail(w, r, rt, http.StatusUnauthorized, "unauthorized", string(fail)+": send Authorization: Bearer <token>")
}

// fail answers an error in the route's style: JSON for the API, a page
// for the dashboard, text for the rest.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rt route, status int, code, msg string) {
	switch {
	case rt.kind == kindPage || rt.kind == kindForm:
		s.errorPage(w, r, status, msg)
	case strings.HasPrefix(rt.path, "/api/"):
		writeError(w, status, code, msg)
	default:
		http.Error(w, msg, status)
	}
}

func setSecurityHeaders(w http.ResponseWriter, kind routeKind) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	if kind != kindPlain {
		h.Set("Cache-Control", "no-store")
	}
}
