package partners

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Schedule is a parsed cron expression: five fields (minute, hour, day of
// month, month, day of week), optionally led by CRON_TZ=Zone (or TZ=Zone),
// or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight,
// @hourly. Fields take *, numbers, ranges (1-5), steps (*/15, 0-30/10,
// 5/15), lists (1,15) and names (JAN-DEC, SUN-SAT; 7 is Sunday too). As in
// Vixie cron, when both day fields are restricted a day matching either
// one fires.
//
// Without CRON_TZ the schedule runs in the profile's time_zone (UTC when
// there is none).
type Schedule struct {
	expr     string
	loc      *time.Location
	explicit bool // the time zone came from CRON_TZ=
	minute   uint64
	hour     uint64
	dom      uint64
	month    uint64
	dow      uint64
	domAny   bool // day-of-month field starts with *
	dowAny   bool // day-of-week field starts with *
}

// cronField describes one of the five fields.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day of week", min: 0, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

var cronDescriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// ParseSchedule parses a cron expression. loc is the time zone used when
// the expression has no CRON_TZ= prefix (nil: UTC). The error wraps
// ErrCron.
func ParseSchedule(expr string, loc *time.Location) (Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	s := Schedule{expr: expr, loc: loc}
	rest := strings.TrimSpace(expr)
	for _, prefix := range []string{"CRON_TZ=", "TZ="} {
		if tz, ok := strings.CutPrefix(rest, prefix); ok {
			name, after, _ := strings.Cut(tz, " ")
			l, err := time.LoadLocation(name)
			if err != nil || name == "" || name == "Local" {
				return Schedule{}, details(ErrCron, "unknown time zone %q", name)
			}
			s.loc, s.explicit = l, true
			rest = strings.TrimSpace(after)
			break
		}
	}
	if strings.HasPrefix(rest, "@") {
		spec, ok := cronDescriptors[rest]
		if !ok {
			return Schedule{}, details(ErrCron, "unknown descriptor %q (want @yearly, @monthly, @weekly, @daily, @midnight or @hourly)", rest)
		}
		rest = spec
	}
	fields := strings.Fields(rest)
	if len(fields) != 5 {
		return Schedule{}, details(ErrCron, "want 5 fields (minute hour day-of-month month day-of-week), got %d in %q", len(fields), expr)
	}
	sets := [5]*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, f := range fields {
		bits, err := parseCronField(f, cronFields[i])
		if err != nil {
			return Schedule{}, err
		}
		*sets[i] = bits
	}
	if s.dow&(1<<7) != 0 { // 7 is Sunday
		s.dow |= 1
	}
	s.domAny = strings.HasPrefix(fields[2], "*")
	s.dowAny = strings.HasPrefix(fields[4], "*")
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return Schedule{}, details(ErrCron, "%q never fires", expr)
	}
	return s, nil
}

// parseCronField parses one comma-separated field into a bit set.
func parseCronField(text string, f cronField) (uint64, error) {
	var bits uint64
	for part := range strings.SplitSeq(text, ",") {
		b, err := parseCronPart(part, f)
		if err != nil {
			return 0, err
		}
		bits |= b
	}
	return bits, nil
}

// parseCronPart parses "*", "a", "a-b", with an optional "/step".
func parseCronPart(part string, f cronField) (uint64, error) {
	bad := func(format string, args ...any) error {
		return details(ErrCron, "%s field %q: %s", f.name, part, fmt.Sprintf(format, args...))
	}
	rangeText, stepText, hasStep := strings.Cut(part, "/")
	lo, hi := f.min, f.max
	switch {
	case rangeText == "*":
	case rangeText == "":
		return 0, bad("empty")
	default:
		a, b, isRange := strings.Cut(rangeText, "-")
		var err error
		if lo, err = cronValue(a, f); err != nil {
			return 0, bad("%v", err)
		}
		hi = lo
		if isRange {
			if hi, err = cronValue(b, f); err != nil {
				return 0, bad("%v", err)
			}
			if hi < lo {
				return 0, bad("range goes backwards")
			}
		} else if hasStep {
			hi = f.max // "5/15" means 5-max/15
		}
	}
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 || n > f.max {
			return 0, bad("step %q is not a number from 1 to %d", stepText, f.max)
		}
		step = n
	}
	var bits uint64
	for v := lo; v <= hi; v += step {
		bits |= 1 << uint(v)
	}
	return bits, nil
}

// cronValue reads a number or a name within the field's range.
func cronValue(s string, f cronField) (int, error) {
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, details(ErrCron, "%q is not a number", s)
	}
	if n < f.min || n > f.max {
		return 0, details(ErrCron, "%d is out of range %d-%d", n, f.min, f.max)
	}
	return n, nil
}

// String returns the expression as written.
func (s Schedule) String() string { return s.expr }

// MarshalText returns the expression as written.
func (s Schedule) MarshalText() ([]byte, error) { return []byte(s.expr), nil }

// IsZero reports whether s is the zero Schedule (none set).
func (s Schedule) IsZero() bool { return s.expr == "" }

// Location returns the time zone the schedule runs in.
func (s Schedule) Location() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// Next returns the first time strictly after t at which the schedule
// fires, in the schedule's time zone; the zero time when there is none in
// the next five years. Wall-clock times skipped by a DST change do not
// fire. In the hour a DST change repeats, a schedule with fixed hours
// fires once; one that runs every hour keeps running.
func (s Schedule) Next(t time.Time) time.Time {
	if s.minute == 0 {
		return time.Time{}
	}
	loc := s.Location()
	t = t.In(loc)
	start := wallClock(t)
	everyHour := s.hour == 1<<24-1
	// The next whole minute, in absolute time (zone offsets are whole
	// minutes).
	t = t.Add(-time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond())).Add(time.Minute)
	limit := t.Year() + 5
	// Each step moves to the start of the next month, day, hour or minute
	// that may match, then checks everything again. Hours and minutes
	// advance in absolute time, so DST changes are crossed correctly.
	for t.Year() <= limit {
		switch {
		case s.month&(1<<uint(t.Month())) == 0:
			t = dayStart(t.Year(), t.Month()+1, 1, loc)
		case !s.dayMatches(t):
			t = dayStart(t.Year(), t.Month(), t.Day()+1, loc)
		case s.hour&(1<<uint(t.Hour())) == 0:
			t = t.Add(-time.Duration(t.Minute()) * time.Minute).Add(time.Hour)
		case s.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		case !everyHour && !wallClock(t).After(start): // an hour repeated by a DST change
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

// dayStart returns the first instant of a day (normalized like
// time.Date), which is not midnight where midnight falls in a DST gap.
func dayStart(year int, month time.Month, day int, loc *time.Location) time.Time {
	noon := time.Date(year, month, day, 12, 0, 0, 0, loc) // never in a DST gap
	t := time.Date(year, month, day, 0, 0, 0, 0, loc)
	for i := 0; i < 4 && t.Day() != noon.Day(); i++ {
		t = t.Add(30 * time.Minute) // time.Date put us before the gap, on the day before
	}
	return t
}

// wallClock returns the wall-clock reading of t as a UTC time, to compare
// readings across a DST change.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
}

func (s Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.domAny || s.dowAny {
		return dom && dow
	}
	return dom || dow
}

// decodeScalar reads the schedule from YAML (in UTC; the profile check
// moves it to the profile's time zone when there was no CRON_TZ).
func (s *Schedule) decodeScalar(n *yaml.Node) error {
	p, err := ParseSchedule(n.Value, nil)
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// inZone returns s running in loc unless its expression named a zone.
func (s Schedule) inZone(loc *time.Location) Schedule {
	if !s.explicit && loc != nil {
		s.loc = loc
	}
	return s
}
