package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxPage bounds the items of one API page.
const maxPage = 1000

// pageLimit reads the limit parameter: def when absent, 1..maxPage.
func pageLimit(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, badParam("limit", "want a number from 1 to %d", maxPage)
	}
	return n, nil
}

// uintParam reads an optional unsigned parameter (0 when absent).
func uintParam(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, badParam(name, "want a positive whole number")
	}
	return n, nil
}

// pathID reads the {id} path value.
func pathID(r *http.Request) (uint64, error) {
	n, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || n == 0 {
		return 0, badParam("id", "want a positive whole number")
	}
	return n, nil
}

// timeParam reads an RFC 3339 time or a date (2006-01-02, UTC midnight).
func timeParam(r *http.Request, name string) (time.Time, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badParam(name, "want an RFC 3339 time or a date (2006-01-02)")
}

// listParam reads a parameter given several times or comma-separated.
func listParam(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// maxPathText bounds a text path parameter (a partner id, an order
// number), as the ledger bounds its text fields.
const maxPathText = 1024

// pathText checks a text path parameter: not empty, at most maxPathText
// bytes, no control character (a NUL would reach into the keys of the
// stores, which join their parts with it).
func pathText(param, v string) error {
	if v == "" || len(v) > maxPathText || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return badParam(param, "1 to %d bytes, no control characters", maxPathText)
	}
	return nil
}
