package stream_test

import (
	"path/filepath"
	"testing"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/events/stream/streamtest"
)

func TestBoltCursors(t *testing.T) {
	streamtest.Run(t, func(t *testing.T) func() stream.CursorStore {
		path := filepath.Join(t.TempDir(), "cursors.db")
		return func() stream.CursorStore {
			s, err := stream.OpenBoltCursors(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	})
}
