package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/dockside-edi/dockside/inbox"
	"github.com/dockside-edi/dockside/outbox"
	"github.com/dockside-edi/dockside/partners"
)

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request) {
	o, err := s.overview(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	o.Divergence = s.divergenceSummary(r)
	o.Webhooks = s.webhooksSummary(r)
	s.render(w, r, http.StatusOK, "overview", pageData{Title: "Overview", Nav: "overview", Data: o})
}

type messagesData struct {
	Query    url.Values
	Messages []*inbox.Message
	Next     uint64
	// Partial means the page is short because the search's scan bound
	// ran out (a text search): Older → searches on.
	Partial  bool
	Partners []*partners.Profile
	States   []inbox.State
}

func (s *Server) messagesPage(w http.ResponseWriter, r *http.Request) {
	q, err := parseMessageQuery(r, 50, maxPage)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	msgs, next, err := s.searchMessages(r.Context(), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := messagesData{Query: r.URL.Query(), Messages: msgs, Next: next, Partial: next != 0 && len(msgs) < q.limit,
		Partners: s.partners().Profiles(), States: messageStates}
	s.render(w, r, http.StatusOK, "messages", pageData{Title: "Messages", Nav: "messages", Data: d})
}

func (s *Server) messagePage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d, err := s.messageDetail(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Message " + strconv.FormatUint(id, 10), Nav: "messages", Data: d})
}

// replayForm replays a failed message and shows it again.
func (s *Server) replayForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	m, err := s.replayRecorded(r, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	flash := "replay-pending"
	switch m.State {
	case inbox.Done:
		flash = "replay-done"
	case inbox.Failed:
		flash = "replay-failed"
	case inbox.Duplicate:
		flash = "replay-dup"
	}
	http.Redirect(w, r, "/messages/"+strconv.FormatUint(id, 10)+"?flash="+flash, http.StatusSeeOther)
}

type outboxData struct {
	Query     url.Values
	Page      *outboxPage
	States    []outbox.State
	AckStates []outbox.AckState
	Partners  []*partners.Profile
}

func (s *Server) outboxList(w http.ResponseWriter, r *http.Request) {
	f, err := parseOutboxFilter(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	page, err := s.outboxPage(r, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := outboxData{Query: r.URL.Query(), Page: page, States: outboxStates, AckStates: ackStates, Partners: s.partners().Profiles()}
	s.render(w, r, http.StatusOK, "outbox", pageData{Title: "Outbox", Nav: "outbox", Data: d})
}

// outboxMessagePage shows one outbound message: its body, attempts,
// delivery and acknowledgement.
func (s *Server) outboxMessagePage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d, err := s.outboxDetail(id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "outboxmsg", pageData{Title: "Outbound " + strconv.FormatUint(id, 10), Nav: "outbox", Data: d})
}

func (s *Server) retryForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, err := s.retryRecorded(r, id); err != nil {
		s.pageError(w, r, err)
		return
	}
	back := r.PostFormValue("back")
	if !localPath(back) {
		back = "/outbox"
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"flash=retried", http.StatusSeeOther)
}

func (s *Server) partnersPage(w http.ResponseWriter, r *http.Request) {
	sums, err := s.partnerSummaries(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "partners", pageData{Title: "Partners", Nav: "partners", Data: sums})
}

func (s *Server) partnerPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.partnerDetail(r, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "partner", pageData{Title: d.Profile.Name, Nav: "partners", Data: d})
}

type inventoryData struct {
	Query    url.Values
	Rows     []inventoryRow
	Next     string
	Channels []*partners.Profile
}

func (s *Server) inventoryPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	limit, err := pageLimit(r, 50)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	locs := listParam(r, "location")
	rows, next, err := s.inventory(r.Context(), v.Get("sku_prefix"), locs, v.Get("after"), limit)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := inventoryData{Query: v, Rows: rows, Next: next}
	for _, p := range s.partners().Profiles() {
		if p.Advice != nil {
			d.Channels = append(d.Channels, p)
		}
	}
	s.render(w, r, http.StatusOK, "inventory", pageData{Title: "Inventory", Nav: "inventory", Data: d})
}

// localPath reports whether p is a path on this site (not //host or a
// scheme), safe to redirect to.
func localPath(p string) bool {
	// No control character: a browser drops tabs and newlines from a
	// Location, and "/\t/evil.example" would lead to another site.
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") &&
		strings.IndexFunc(p, unicode.IsControl) < 0
}

type loginData struct {
	Next     string
	NoTokens bool
	Failed   bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !localPath(next) {
		next = "/"
	}
	s.render(w, r, http.StatusOK, "login", pageData{Title: "Log in", Data: loginData{Next: next, NoTokens: len(s.tokens) == 0}})
}

// login checks the token from the form and sets the session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if i := strings.Index(o, "://"); i < 0 || o[i+3:] != r.Host {
			s.errorPage(w, r, http.StatusForbidden, "login from another site refused")
			return
		}
	}
	next := r.PostFormValue("next")
	if !localPath(next) {
		next = "/"
	}
	t := s.byHash(strings.TrimSpace(r.PostFormValue("token")))
	if t == nil {
		s.log.Info("dashboard login failed", "remote", clientAddr(r))
		s.render(w, r, http.StatusUnauthorized, "login", pageData{Title: "Log in",
			Data: loginData{Next: next, NoTokens: len(s.tokens) == 0, Failed: true}})
		return
	}
	value, expires := s.newSession(t)
	s.setSessionCookie(w, value, expires)
	s.log.Info("dashboard login", "who", t.name, "role", string(t.role), "remote", clientAddr(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?flash=logged-out", http.StatusSeeOther)
}
