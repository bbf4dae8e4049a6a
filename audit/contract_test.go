package audit_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockside-edi/dockside/audit"
	"github.com/dockside-edi/dockside/audit/audittest"
)

func openBolt(t testing.TB, now func() time.Time) audit.Store {
	s, err := audit.Open(filepath.Join(t.TempDir(), "audit.db"), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestBoltContract(t *testing.T) { audittest.Run(t, openBolt) }

// BenchmarkRecordBolt is audittest.Bench on bbolt.
func BenchmarkRecordBolt(b *testing.B) { audittest.Bench(b, openBolt) }

func TestBoltKeepsEntriesAcrossOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s, err := audit.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(context.Background(), audit.Entry{Who: "ops", Action: audit.ActionReload}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = audit.Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _, err := s.List(context.Background(), audit.Filter{})
	if err != nil || len(got) != 1 || got[0].Action != audit.ActionReload {
		t.Fatalf("after reopening: %v %v", got, err)
	}
}
