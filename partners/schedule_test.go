package partners

import (
	"errors"
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	havana, err := time.LoadLocation("America/Havana")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		expr  string
		loc   *time.Location // default zone
		after string
		want  []string // successive fire times, RFC 3339 in the schedule's zone
	}{
		{"*/15 * * * *", nil, "2025-03-01T10:07:30Z", []string{"2025-03-01T10:15:00Z", "2025-03-01T10:30:00Z"}},
		{"0 */4 * * *", nil, "2025-03-01T23:00:00Z", []string{"2025-03-02T00:00:00Z", "2025-03-02T04:00:00Z"}},
		{"30 6 * * mon-fri", nil, "2025-03-07T07:00:00Z", []string{"2025-03-10T06:30:00Z", "2025-03-11T06:30:00Z"}}, // Friday after 6:30: Monday
		{"0 0 1,15 * *", nil, "2025-01-31T12:00:00Z", []string{"2025-02-01T00:00:00Z", "2025-02-15T00:00:00Z"}},
		{"0 12 13 * 5", nil, "2025-06-01T00:00:00Z", []string{"2025-06-06T12:00:00Z", "2025-06-13T12:00:00Z"}}, // day 13 OR Friday
		{"0 0 29 2 *", nil, "2025-01-01T00:00:00Z", []string{"2028-02-29T00:00:00Z"}},
		{"0 0 * * 7", nil, "2025-03-01T00:00:00Z", []string{"2025-03-02T00:00:00Z"}}, // 7 is Sunday
		{"@weekly", nil, "2025-03-01T00:00:00Z", []string{"2025-03-02T00:00:00Z"}},
		{"5/20 9 * * *", nil, "2025-03-01T00:00:00Z", []string{"2025-03-01T09:05:00Z", "2025-03-01T09:25:00Z", "2025-03-01T09:45:00Z", "2025-03-02T09:05:00Z"}},
		// Profile zone, and DST: 02:30 does not exist on 2025-03-09 in New York.
		{"30 2 * * *", ny, "2025-03-08T12:00:00-05:00", []string{"2025-03-10T02:30:00-04:00"}},
		// 01:30 happens twice on 2025-11-02 in New York: it fires once.
		{"30 1 * * *", ny, "2025-11-02T00:00:00-04:00", []string{"2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00"}},
		// CRON_TZ wins over the default zone.
		{"CRON_TZ=Asia/Tokyo 0 9 * * *", ny, "2025-02-28T23:00:00Z", []string{"2025-03-01T09:00:00+09:00", "2025-03-02T09:00:00+09:00"}},
		// Midnight does not exist on 2025-03-09 in Havana (00:00 -> 01:00).
		{"0 0 * * *", havana, "2025-03-08T12:00:00-05:00", []string{"2025-03-10T00:00:00-04:00"}},
		{"0 1 * * *", havana, "2025-03-08T12:00:00-05:00", []string{"2025-03-09T01:00:00-04:00"}},
		// Every hour keeps running through the repeated hour.
		{"*/30 * * * *", ny, "2025-11-02T01:15:00-04:00", []string{"2025-11-02T01:30:00-04:00", "2025-11-02T01:00:00-05:00", "2025-11-02T01:30:00-05:00", "2025-11-02T02:00:00-05:00"}},
		// Strictly after: a time that fires gives the next one.
		{"0 9 * * *", nil, "2025-03-01T09:00:00Z", []string{"2025-03-02T09:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := ParseSchedule(tt.expr, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			at := utc(tt.after)
			for _, w := range tt.want {
				at = s.Next(at)
				if got := at.Format(time.RFC3339); got != w {
					t.Fatalf("Next = %s, want %s", got, w)
				}
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", `want 5 fields (minute hour day-of-month month day-of-week), got 0 in ""`},
		{"* * * *", `want 5 fields (minute hour day-of-month month day-of-week), got 4 in "* * * *"`},
		{"60 * * * *", `minute field "60": 60 is out of range 0-59`},
		{"* * 0 * *", `day of month field "0": 0 is out of range 1-31`},
		{"* * * 13 *", `month field "13": 13 is out of range 1-12`},
		{"* * * foo *", `month field "foo": "foo" is not a number`},
		{"* * * * 8", `day of week field "8": 8 is out of range 0-7`},
		{"5-1 * * * *", `minute field "5-1": range goes backwards`},
		{"*/0 * * * *", `minute field "*/0": step "0" is not a number from 1 to 59`},
		{"1,,2 * * * *", `minute field "": empty`},
		{"@reboot", `unknown descriptor "@reboot" (want @yearly, @monthly, @weekly, @daily, @midnight or @hourly)`},
		{"CRON_TZ= 0 * * * *", `unknown time zone ""`},
		{"0 0 31 4 *", `"0 0 31 4 *" never fires`},
	}
	for _, tt := range tests {
		_, err := ParseSchedule(tt.expr, nil)
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrCron) {
			t.Errorf("ParseSchedule(%q) = %v, want %q", tt.expr, err, tt.want)
		}
	}
}
